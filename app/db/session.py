"""Engine and session factory; one session and one transaction per request."""

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings
from app.core.errors import DatabaseUnreachable
from app.core.request_context import current_request_context


def async_database_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite://` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    database_url = async_database_url(url or settings.database_url)
    kwargs: dict[str, Any] = {}
    if database_url.startswith("postgresql"):
        # An exhausted pool raises `sqlalchemy.exc.TimeoutError` after `pool_timeout`
        # (answered 503 with Retry-After) instead of queueing requests forever.
        kwargs |= {
            "pool_size": settings.database_pool_size,
            "max_overflow": settings.database_max_overflow,
            "pool_timeout": settings.database_pool_timeout_seconds,
        }
        # Per connection, so they cover every statement the app runs.
        server_settings = {
            "max_parallel_workers_per_gather": str(settings.database_parallel_workers_per_query),
            "jit": "on" if settings.database_jit else "off",
        }
        if settings.database_statement_timeout_ms:
            # Answered 503.
            server_settings["statement_timeout"] = str(settings.database_statement_timeout_ms)
        kwargs["connect_args"] = {"server_settings": server_settings}
    engine = create_async_engine(database_url, **kwargs)
    _connect_failures_as_unreachable(engine)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _ping_after_idle(engine, settings.database_ping_after_idle_seconds)
    return engine


def _connect_failures_as_unreachable(engine: AsyncEngine) -> None:
    """A failed connection attempt raises `DatabaseUnreachable` (503), whichever way it
    failed: asyncpg raises a bare `OSError` when the server refuses the connection,
    which no database error handler would recognise."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except (OSError, dialect.loaded_dbapi.Error) as exc:
            raise DatabaseUnreachable(f"cannot connect: {type(exc).__name__}") from exc


_IDLE_SINCE = "coach_idle_since"


def _ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it has been idle for `idle_seconds`.

    `pool_pre_ping` pings on every checkout: three round trips (BEGIN, ping, ROLLBACK
    with asyncpg) on every request. A connection in steady use was just used; one that
    breaks anyway (the server restarted under load) fails that request with a 503
    (`database-connection-lost`), and SQLAlchemy then invalidates the pool, so the next
    requests connect afresh.
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out another (a new one).
            raise DisconnectionError("connection lost while idle in the pool") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below) instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that
        # reads and then writes fails with SQLITE_BUSY under concurrency.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. `AutoCommitAPIRoute` commits it; errors roll it back."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        context = current_request_context()
        if context is not None:
            context.session = session
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
