"""`Idempotency-Key` on POST (IETF draft semantics): ASGI middleware plus a claim made
once the caller is known.

Same key and same request within the TTL → the stored first response is replayed;
same key, different request → 422; the first still in flight → 409. A response
marked `Cache-Control: no-store` shows a secret once (an API key, a webhook secret,
recovery codes): its body is never stored, and a retry answers 409 with the first
response's `Location` instead of creating a second one; so does a response too large
to keep, or one holding more than one client's data.

The middleware only reads the key and digests the request. Nothing is written until
authentication calls `claim()` (in the request's session, committed before the route
runs): a record belongs to an authenticated caller (a member
or an API key) and its organization (ORM hook and RLS), so a garbage token stores
nothing and one organization never reads another's stored responses. Records are
bounded: at most `idempotency_max_records_per_caller` live ones per caller (429
past it), at most `MAX_STORED_BODY` bytes of body each. A record remembers the client
whose data the request wrote, so erasing the client deletes it.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response
from app.core.request_context import current_request_context
from app.core.text import control_character_problem
from app.core.time import utc_now
from app.db.tenancy import bind_organization, unscoped
from app.models.idempotency import IdempotencyRecord

MAX_KEY_LENGTH = 255
# A create's answer is a few KB; a larger one is not kept (a retry answers 409).
MAX_STORED_BODY = 64 * 1024
# An in-flight record older than this belongs to a request that died.
ABANDONED_AFTER = timedelta(minutes=2)
_REPLAYED_HEADERS = ("content-type", "location", "etag")
# Stored in place of a withheld body's headers, naming why; never sent.
_WITHHELD = "x-coach-withheld"
_WITHHELD_DETAIL = {
    "secret": "its response held a secret that is shown only once",
    "size": "its response was too large to keep",
    "clients": "its response held more than one client's data",
    "erased": "the client it wrote was erased since",
}
_STATE = "idempotency"

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


class IdempotentAnswer(Exception):
    """Raised by `claim()` when the request must not run: the answer is `response`
    (a replay, or a problem: key reused, in flight, too many records)."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent answer")
        self.response = response


def install_idempotent_answers(app: FastAPI) -> None:
    @app.exception_handler(IdempotentAnswer)
    async def _answer(_: Request, exc: IdempotentAnswer) -> Response:
        return exc.response


@dataclass(slots=True)
class _Pending:
    """A keyed POST on its way to the route, until authentication claims it."""

    key: str
    request_hash: str
    ttl: timedelta
    max_records: int
    organization_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, ttl: timedelta, max_records_per_caller: int) -> None:
        self.app = app
        self.ttl = ttl
        self.max_records = max_records_per_caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key_raw = headers.get(b"idempotency-key")
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
        if b"authorization" not in headers:
            # Unauthenticated POSTs are answered 401 by the route itself, or are public.
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
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
        pending = _Pending(key, request_hash, self.ttl, self.max_records)
        scope.setdefault("state", {})[_STATE] = pending
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
            if pending.record_id is not None:
                await _finish(scope["app"].state.sessionmaker, pending, captured)


async def claim(
    request: Request, session: AsyncSession, *, organization_id: uuid.UUID, caller: str
) -> None:
    """Claim the request's `Idempotency-Key` for an authenticated caller, in the request's
    session bound to its organization, before the route has written anything: the claim
    is committed at once, so a concurrent retry sees it in flight.

    Raises `IdempotentAnswer` when the route must not run. A request without a key, or
    claimed already, passes."""
    pending: _Pending | None = request.scope.get("state", {}).get(_STATE)
    if pending is None or pending.organization_id is not None:
        return
    pending.organization_id = organization_id
    now = utc_now()
    record = IdempotencyRecord(
        organization_id=organization_id,
        caller=caller,
        key=pending.key,
        request_hash=pending.request_hash,
        method=request.method,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(record)
    except IntegrityError:
        pass  # this caller used the key before: the savepoint alone is undone
    else:
        live = await session.scalar(
            select(func.count()).where(
                IdempotencyRecord.caller == caller,
                IdempotencyRecord.created_at >= now - pending.ttl,
            )
        )
        if (live or 0) > pending.max_records:
            raise IdempotentAnswer(_too_many(pending))  # the request's rollback drops it
        await session.commit()
        pending.record_id = record.id
        return
    existing = (
        await session.execute(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.caller == caller, IdempotencyRecord.key == pending.key)
            .with_for_update()
        )
    ).scalar_one()
    expired = existing.created_at < now - pending.ttl
    abandoned = existing.completed_at is None and existing.created_at < now - ABANDONED_AFTER
    if expired or abandoned:
        existing.request_hash = pending.request_hash
        existing.method = request.method
        existing.created_at, existing.completed_at = now, None
        existing.client_id = None
        existing.response_status = existing.response_headers = existing.response_body = None
        await session.commit()
        pending.record_id = existing.id
        return
    if existing.request_hash != pending.request_hash:
        raise IdempotentAnswer(
            problem_response(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was used with a different request.",
            )
        )
    if existing.completed_at is None:
        raise IdempotentAnswer(
            problem_response(
                409,
                "idempotency-in-flight",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed.",
                headers={"Retry-After": "1"},
            )
        )
    raise IdempotentAnswer(_stored_response(existing))


async def forget_client(session: AsyncSession, client_id: uuid.UUID) -> None:
    """Blank every stored response of a request that wrote `client_id`'s data (erasure):
    a retry of one answers 409, never the erased data, and does not run again."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.client_id == client_id)
        .values(response_body=b"", response_headers={_WITHHELD: "erased"})
        .execution_options(synchronize_session=False)
    )


async def prune_expired(sessionmaker: async_sessionmaker[AsyncSession], ttl: timedelta) -> int:
    """Delete every organization's records past the TTL (the worker's role sees them all)."""
    async with sessionmaker() as session:
        result = await session.execute(
            delete(IdempotencyRecord)
            .where(IdempotencyRecord.created_at < utc_now() - ttl)
            .execution_options(**unscoped())
        )
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def _too_many(pending: _Pending) -> Response:
    hours = int(pending.ttl.total_seconds() // 3600)
    return problem_response(
        429,
        "idempotency-records-exhausted",
        "Too many idempotent requests",
        f"This caller holds {pending.max_records} Idempotency-Key records of the last "
        f"{hours} h, the most kept; send the request without a key, or later.",
        headers={"Retry-After": "3600"},
    )


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession], pending: _Pending, captured: dict[str, Any]
) -> None:
    assert pending.organization_id is not None  # claimed
    async with sessionmaker() as session:
        await bind_organization(session, pending.organization_id)
        if captured["status"] >= 500:
            # A server failure is not a result: let the client retry for real.
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.id == pending.record_id)
            )
            await session.commit()
            return
        record = await session.get(IdempotencyRecord, pending.record_id)
        if record is None:
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in captured["headers"]
        }
        kept = {name: value for name, value in headers.items() if name in _REPLAYED_HEADERS}
        body: bytes = captured["body"]
        context = current_request_context()
        clients = context.clients_written if context is not None else set()
        withheld = None
        if "no-store" in headers.get("cache-control", ""):
            withheld = "secret"
        elif len(body) > MAX_STORED_BODY:
            withheld = "size"
        elif len(clients) > 1:
            withheld = "clients"
        if withheld is not None:
            kept = {name: value for name, value in kept.items() if name == "location"}
            kept[_WITHHELD] = withheld
            body = b""
        record.client_id = next(iter(clients)) if len(clients) == 1 else None
        record.response_status = captured["status"]
        record.response_headers = kept
        record.response_body = body
        record.completed_at = utc_now()
        await session.commit()


def _stored_response(record: IdempotencyRecord) -> Response:
    headers = dict(record.response_headers or {})
    withheld = headers.pop(_WITHHELD, None)
    if withheld is not None:
        reason = _WITHHELD_DETAIL.get(withheld, _WITHHELD_DETAIL["secret"])
        return problem_response(
            409,
            "idempotency-secret-not-replayable"
            if withheld == "secret"
            else "idempotency-not-replayable",
            "Already created",
            f"The first request with this Idempotency-Key succeeded; {reason}, so it "
            "cannot be replayed.",
            headers=headers,
        )
    return Response(
        content=record.response_body or b"",
        status_code=record.response_status or 200,
        headers={**headers, "Idempotent-Replayed": "true"},
    )


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
