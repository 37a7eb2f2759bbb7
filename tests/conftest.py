"""Test harness: every test runs on SQLite, and on PostgreSQL when
`COACH_TEST_POSTGRES_URL` is set (each session creates and drops its own
database, and the app connects as a role that Row-Level Security applies to).

Tests isolate themselves by working in a fresh organization each.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.cli import alembic_config
from app.core.config import Environment, Settings
from app.core.security import configure_password_hashing
from app.db.session import async_database_url, create_engine, create_sessionmaker
from app.main import create_app
from tests.factories.cast import Cast, build_cast

POSTGRES_URL = os.environ.get("COACH_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]
TEST_JWT_SECRET = "test-only-secret-" + "x" * 40
# Argon2 at its cheapest: a sign-in is a millisecond, not a fifth of a second (production
# refuses these: tests/core/test_config.py).
CHEAP_PASSWORD_HASHING: dict[str, Any] = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 8,
    "password_hash_parallelism": 1,
}


@dataclass
class Database:
    backend: str
    app_url: str  # what the API connects with (RLS applies on PostgreSQL)
    owner_url: str  # table owner / superuser: migrations and direct test setup


async def _upgrade(url: str) -> None:
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    from alembic import command

    await asyncio.to_thread(command.upgrade, config, "head")


async def _admin_execute(server_url: str, *statements: str) -> None:
    engine = create_async_engine(async_database_url(server_url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "coach-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        await _upgrade(url)
        yield Database("sqlite", url, url)
        return

    assert POSTGRES_URL is not None
    suffix = uuid.uuid4().hex[:12]
    db_name, role = f"coach_test_{suffix}", f"coach_app_{suffix}"
    server = make_url(async_database_url(POSTGRES_URL))
    owner_url = server.set(database=db_name).render_as_string(hide_password=False)
    app_url = server.set(database=db_name, username=role, password=None).render_as_string(
        hide_password=False
    )
    await _admin_execute(POSTGRES_URL, f'CREATE DATABASE "{db_name}"')
    try:
        await _upgrade(owner_url)
        await _admin_execute(
            owner_url,
            f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS',
            f'GRANT USAGE ON SCHEMA public TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        )
        yield Database("postgres", app_url, owner_url)
    finally:
        await _admin_execute(
            POSTGRES_URL,
            f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{role}"',
        )


@pytest.fixture(scope="session")
def settings(database: Database) -> Settings:
    return Settings(
        env=Environment.test,
        database_url=database.app_url,
        jwt_secret=TEST_JWT_SECRET,  # type: ignore[arg-type]
        log_level="WARNING",
        # The whole suite is one IP and few users: limits stay on, just out of reach
        # (tests/core/test_rate_limits.py proves them with small quotas).
        rate_limit_per_user=1_000_000,
        rate_limit_per_api_key=1_000_000,
        rate_limit_auth_per_ip=1_000_000,
        login_max_failures_per_ip=1_000_000,
        **CHEAP_PASSWORD_HASHING,
    )


@pytest.fixture(autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """A test that builds a production app sets strong parameters process-wide: back to
    cheap ones after it."""
    yield
    configure_password_hashing(Settings(**CHEAP_PASSWORD_HASHING))


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
async def owner_engine(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(database_url=database.owner_url), database.owner_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(owner_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session as the table owner, for arranging and inspecting rows directly."""
    async with create_sessionmaker(owner_engine)() as session:
        yield session


@pytest.fixture
async def cast(client: httpx.AsyncClient, db: AsyncSession) -> Cast:
    """The usual cast in a fresh organization (tests/factories/cast.py): owner, an assigned
    coach, the client record and its login, and a second client the coach does not see."""
    return await build_cast(client, db)


@pytest.fixture
def backend(database: Database) -> str:
    return database.backend


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
