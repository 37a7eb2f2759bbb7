"""The traction SQL: two statements for any number of clients.

`clients` reads each client's name, goals and latest moving event; `figures` reads every
count in one statement, a `UNION ALL` of one grouped query per source (outreach, held
interviews, stage moves, contacts, and for the per-client answer the median time to
response, companies engaged and contacts gone cold: `app.traction.counts`). Every row is
`(client_id, source, segment_no, a, b, c, d, hours)`, the source saying what `a` to `d`
count (`OUTREACH` and the others in `app.traction.sql`), so the number of statements never
grows with the clients, their events or the figures. Times are cut into *segments* by a
list of UTC bounds (the previous window, then the current window's weeks, or just the two
windows for reports); each row names its segment, and the service adds them up.

Every query filters by the caller's organization and readable clients itself, on top of
the tenancy hook (which does not reach into every subquery shape). The per-client
statement is prepared once per *shape* (the kind of caller, the number of weeks, the
database), every value of the caller a parameter of each run: building it costs more
than running it."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, Label

from app.auth.principal import Principal
from app.clients.momentum import last_moved_at
from app.clients.repository import readable_client_ids_by_parameter
from app.db.tenancy import PreparedRead, prepare_read, run_prepared
from app.models import Client
from app.traction import counts
from app.traction.sql import CONSTANTS, Instants, Readable


@cache
def _last_moved_at() -> Label[datetime]:
    # Built once: it has no parameters, and building it costs more than running it.
    return last_moved_at().label("last_moved_at")


async def clients(session: AsyncSession, scope: Readable) -> Sequence[Any]:
    """Each client's name, status, goals, creation and latest moving event."""
    statement = select(
        Client.id,
        Client.full_name,
        Client.status,
        Client.created_at,
        Client.weekly_outreach_goal,
        Client.weekly_informational_goal,
        _last_moved_at(),
    ).where(scope.of(Client.organization_id, Client.id))
    return list((await session.execute(statement)).all())


@lru_cache(maxsize=512)  # shapes are few in practice; bounded all the same
def _prepared_figures(readable: Select[uuid.UUID], segments: int, dialect: str) -> PreparedRead:
    """`counts.figures` with `detail`, for one kind of caller (`readable`, the statement
    `readable_client_ids_by_parameter` gives it), one number of segments and one
    database: the caller's organization, readable clients, the clients asked about and
    the instants are all placeholders (`prepare_read` refuses any other value)."""
    scope = Readable.placeholders(readable)
    statement = counts.figures(scope, Instants.placeholders(segments), dialect, detail=True)
    return prepare_read(statement, constants=CONSTANTS)


async def figures(
    session: AsyncSession, principal: Principal, scope: Readable, at: Instants, *, detail: bool
) -> Sequence[Any]:
    """Every count of the clients in `scope` (the caller's, `principal`), by segment, in
    one statement (see the module docstring for the rows). Without `detail` (reports),
    only outreach, held interviews, stage moves and the contacts added within the bounds.

    The per-client answer (`detail`, a list of clients) runs a statement prepared once
    per shape; reports (a statement selecting the clients) build theirs."""
    dialect = session.get_bind().dialect.name
    if detail and not isinstance(scope.asked, (Select, BindParameter)):
        readable, reader = readable_client_ids_by_parameter(principal)
        read = _prepared_figures(readable, len(at.bounds) - 1, dialect)
        parameters = {
            "organization_id": principal.organization_id,
            "client_ids": list(scope.asked),
            **reader,
            **at.parameters(),
        }
        return list((await run_prepared(session, read, parameters)).all())
    statement = counts.figures(scope, at, dialect, detail=detail)
    return list((await session.execute(statement)).all())
