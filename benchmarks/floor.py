"""The floor: the contacts list with no framework, to measure the API against.

A raw ASGI callable (no FastAPI, no Starlette, no ORM, no Pydantic) that answers
`GET /api/v1/clients/{client_id}/contacts?limit=` with the same JSON as the API's
first page (same contacts, same fields in the same order, same `warmth`, same
`next_cursor`) from one hand-written asyncpg query. It does no authentication, no
Row-Level Security binding and no transaction: it is the least work that can produce
that response, so `benchmarks.run` prints the API's requests/s as a share of its own.
Only the first page is served (`cursor` is ignored).

    FLOOR_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/coach_bench \\
        uvicorn benchmarks.floor:app --workers 1 --no-access-log
"""

import json
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import asyncpg  # type: ignore[import-untyped]

# The API's schema (read once, for its field list) and two pure helpers, so the fields,
# the warmth and the cursor are exactly the API's; none does framework work per request.
from app.contacts.schemas import ContactRead
from app.contacts.warmth import warmth_of
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, encode_cursor

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PATH = re.compile(r"/api/v1/clients/([0-9a-fA-F-]{36})/contacts")
# ContactRead's fields in its order; all but `warmth` are columns (as `contact_columns`
# in app/contacts/schemas.py has it), so the floor follows the schema as it grows.
FIELDS = list(ContactRead.model_fields)
COLUMNS = [name for name in FIELDS if name != "warmth"]
WARMTH_AT = FIELDS.index("warmth")
# The API's list order (created_at, then id); one more row than the page tells whether
# there is a next one. The column names come from our own schema.
QUERY = f"""
SELECT {", ".join(f"c.{name}" for name in COLUMNS)}, o.cold_after_days
FROM contacts AS c JOIN organizations AS o ON o.id = c.organization_id
WHERE c.client_id = $1
ORDER BY c.created_at, c.id
LIMIT $2
"""  # noqa: S608


def _json_default(value: object) -> str:
    """UUIDs and datetimes as Pydantic writes them (UTC as `Z`)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _contact(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    values = list(row)
    cold_after_days = values.pop()
    warmth = warmth_of(row["last_contacted_at"], cold_after_days=cold_after_days, now=now)
    values.insert(WARMTH_AT, warmth.value)
    return dict(zip(FIELDS, values, strict=True))


async def _setup_connection(connection: asyncpg.Connection) -> None:
    # jsonb (`tags`) as Python values, as the ORM reads it.
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


class Floor:
    """The ASGI application: a connection pool, one route, `/readyz`."""

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                size = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
                self.pool = await asyncpg.create_pool(
                    os.environ["FLOOR_DATABASE_URL"],
                    min_size=1,
                    max_size=size,
                    init=_setup_connection,
                    # Lets the runner find these sessions (and their CPU) in PostgreSQL.
                    server_settings={
                        "application_name": os.environ.get("FLOOR_APPLICATION_NAME", "floor")
                    },
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, send: Send) -> None:
        if scope["path"] == "/readyz":
            await _respond(send, 200, b'{"status":"ready"}')
            return
        match = PATH.fullmatch(scope["path"])
        if match is None or scope["method"] != "GET":
            await _respond(send, 404, b'{"detail":"not found"}')
            return
        try:
            client_id = uuid.UUID(match[1])
            limit = int(parse_qs(scope["query_string"].decode()).get("limit", [DEFAULT_LIMIT])[0])
        except ValueError:
            await _respond(send, 422, b'{"detail":"bad client id or limit"}')
            return
        limit = max(1, min(limit, MAX_LIMIT))
        assert self.pool is not None
        rows = await self.pool.fetch(QUERY, client_id, limit + 1)
        now = datetime.now(UTC)
        page = rows[:limit]
        next_cursor = (
            encode_cursor([page[-1]["created_at"], page[-1]["id"]]) if len(rows) > limit else None
        )
        body = {"data": [_contact(row, now) for row in page], "next_cursor": next_cursor}
        # What FastAPI's JSON response writes: compact, UTF-8.
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)
        await _respond(send, 200, text.encode())


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = Floor()
