"""`Idempotency-Key` on POST (IETF draft semantics), as ASGI middleware.

Same key and same request within the TTL → the stored first response is
replayed; same key, different request → 422; the first still in flight → 409.
A response marked `Cache-Control: no-store` shows a secret once (an API key, a
webhook secret, recovery codes): its body is never stored, and a retry answers
409 with the first response's `Location` instead of creating a second one.
Records are keyed by a digest of who the caller is (the user and organization
of an access token, or the API key itself), so one caller's key never collides
with (or replays for) another, and a retry after a token refresh still replays.
What the client sent is stored only as digests (of the caller and of the request:
method, path, query and body) and the bounded, checked key: a path of any length or
content (an encoded NUL) cannot fail the insert.
"""

import hashlib
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response
from app.core.security import InvalidToken, decode_access_token, looks_like_jwt
from app.core.text import control_character_problem
from app.core.time import utc_now
from app.models.idempotency import IdempotencyRecord

MAX_KEY_LENGTH = 255
# An in-flight record older than this belongs to a request that died.
ABANDONED_AFTER = timedelta(minutes=2)
_REPLAYED_HEADERS = ("content-type", "location", "etag")
# Stored in place of a withheld body's headers; never sent.
_WITHHELD = "x-coach-withheld"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=MAX_KEY_LENGTH,
        description="Retry-safe creation: a retry with the same key and body returns the "
        "first response (24 h); a different body with the same key answers 422.",
    ),
]


def shows_secret_once(response: Response) -> None:
    """Mark a response that reveals a secret: no cache keeps it, and neither do we."""
    response.headers["Cache-Control"] = "no-store"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl: timedelta) -> None:
        self.app = app
        self.ttl = ttl

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key_raw = headers.get(b"idempotency-key")
        credential = headers.get(b"authorization")
        if scope["type"] != "http" or scope["method"] != "POST" or key_raw is None:
            await self.app(scope, receive, send)
            return
        key = key_raw.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH or control_character_problem(key):
            await problem_response(
                422,
                "validation-error",
                "Invalid request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters, none of them "
                "control characters.",
            )(scope, receive, send)
            return
        if credential is None:
            # Unauthenticated POSTs are answered 401 by the route itself.
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        credential_hash = hashlib.sha256(_caller_identity(scope, credential)).hexdigest()
        request_hash = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode("utf-8", "surrogatepass"),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        sessionmaker: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker

        record_id, replay = await self._claim(
            sessionmaker, credential_hash, key, request_hash, scope
        )
        if replay is not None:
            await replay(scope, receive, send)
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await self._finish(sessionmaker, record_id, captured)

    async def _claim(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        credential_hash: str,
        key: str,
        request_hash: str,
        scope: Scope,
    ) -> tuple[Any, Any]:
        now = utc_now()
        async with sessionmaker() as session:
            record = IdempotencyRecord(
                credential_hash=credential_hash,
                key=key,
                request_hash=request_hash,
                method=scope["method"],
                created_at=now,
            )
            session.add(record)
            try:
                await session.commit()
                return record.id, None
            except IntegrityError:
                await session.rollback()
            existing = (
                await session.execute(
                    select(IdempotencyRecord)
                    .where(
                        IdempotencyRecord.credential_hash == credential_hash,
                        IdempotencyRecord.key == key,
                    )
                    .with_for_update()
                )
            ).scalar_one()
            expired = existing.created_at < now - self.ttl
            abandoned = (
                existing.completed_at is None and existing.created_at < now - ABANDONED_AFTER
            )
            if expired or abandoned:
                existing.request_hash = request_hash
                existing.method = scope["method"]
                existing.created_at, existing.completed_at = now, None
                existing.response_status = existing.response_headers = existing.response_body = None
                await session.commit()
                return existing.id, None
            if existing.request_hash != request_hash:
                return None, problem_response(
                    422,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    "This Idempotency-Key was used with a different request.",
                )
            if existing.completed_at is None:
                return None, problem_response(
                    409,
                    "idempotency-in-flight",
                    "Request in progress",
                    "A request with this Idempotency-Key is still being processed.",
                    headers={"Retry-After": "1"},
                )
            return None, _StoredResponse(existing)

    async def _finish(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        record_id: Any,
        captured: dict[str, Any],
    ) -> None:
        async with sessionmaker() as session:
            if captured["status"] >= 500:
                # A server failure is not a result: let the client retry for real.
                await session.execute(
                    delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id)
                )
            else:
                record = await session.get(IdempotencyRecord, record_id)
                if record is None:
                    return
                headers = {
                    name.decode("latin-1").lower(): value.decode("latin-1")
                    for name, value in captured["headers"]
                }
                kept = {name: value for name, value in headers.items() if name in _REPLAYED_HEADERS}
                body = captured["body"]
                if "no-store" in headers.get("cache-control", ""):
                    kept = {name: value for name, value in kept.items() if name == "location"}
                    kept[_WITHHELD] = "true"
                    body = b""
                record.response_status = captured["status"]
                record.response_headers = kept
                record.response_body = body
                record.completed_at = utc_now()
            await session.commit()


class _StoredResponse:
    def __init__(self, record: IdempotencyRecord) -> None:
        self.status = record.response_status or 200
        self.headers = dict(record.response_headers or {})
        self.body = record.response_body or b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.headers.pop(_WITHHELD, None) is not None:
            await problem_response(
                409,
                "idempotency-secret-not-replayable",
                "Already created",
                "The first request with this Idempotency-Key succeeded; its response held a "
                "secret that is shown only once, so it cannot be replayed.",
                headers=self.headers,
            )(scope, receive, send)
            return
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        headers += [
            (b"content-length", str(len(self.body)).encode()),
            (b"idempotent-replayed", b"true"),
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def _caller_identity(scope: Scope, credential: bytes) -> bytes:
    """The user behind a valid access token, else the credential itself (API keys)."""
    scheme, _, token = credential.decode("latin-1").partition(" ")
    if scheme.lower() == "bearer" and looks_like_jwt(token):
        try:
            claims = decode_access_token(scope["app"].state.settings, token)
        except InvalidToken:
            return credential  # the route answers 401; nothing is created
        return f"user:{claims.organization_id}:{claims.user_id}".encode()
    return credential


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
