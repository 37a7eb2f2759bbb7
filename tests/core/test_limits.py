"""Limits answer with problems that name them; a saturated database answers 503.

Statement timeouts and the connection pool are PostgreSQL settings of the app's
engine, so those tests run on PostgreSQL only.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts import service as contacts_service
from app.core.config import Settings
from app.core.pagination import MAX_LIMIT
from app.core.routing import api_router
from app.db.session import SessionDep
from app.main import create_app
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain
from tests.factories.identity import signup

PROBLEM = "application/problem+json"


@asynccontextmanager
async def serving(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        yield app


def http_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("statement_timeout and the connection pool are PostgreSQL settings")


async def test_a_page_size_over_the_maximum_names_it(client: httpx.AsyncClient) -> None:
    owner = await signup(client)

    response = await client.get(f"/api/v1/clients?limit={MAX_LIMIT + 1}", headers=owner.headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "limit"]
    assert str(MAX_LIMIT) in error["msg"]


async def test_a_tree_depth_over_the_maximum_names_it(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await client.get(
        f"/api/v1/clients/{seeker['id']}/contact-tree?max_depth={contacts_service.MAX_DEPTH + 1}",
        headers=owner.headers,
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "max_depth"]
    assert str(contacts_service.MAX_DEPTH) in error["msg"]


async def test_a_referral_chain_over_the_maximum_depth_names_it(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_service, "MAX_DEPTH", 2)
    owner = await signup(client)
    seeker = await create_client(client, owner)
    chain = await create_chain(client, owner, seeker["id"], "Ada", "Ben", "Cleo")

    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts",
        json={"full_name": "Dev Deep", "referred_by_id": chain[-1]["id"]},
        headers=owner.headers,
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "limited to 2 introductions" in response.json()["detail"]


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize(
    ("overrides", "parameter", "shown"),
    [
        ({"database_statement_timeout_ms": 1234}, "statement_timeout", "1234ms"),
        # No parallel workers by default: one report's would take the cores of the
        # requests running beside it.
        ({}, "max_parallel_workers_per_gather", "0"),
        ({"database_parallel_workers_per_query": 3}, "max_parallel_workers_per_gather", "3"),
        # JIT off by default: compiling a large report's plan cost more than it saved.
        ({}, "jit", "off"),
        ({"database_jit": True}, "jit", "on"),
    ],
)
async def test_app_connections_carry_their_configured_server_settings(
    settings: Settings, overrides: dict[str, Any], parameter: str, shown: str
) -> None:
    async with serving(settings, **overrides) as app, app.state.sessionmaker() as session:
        assert (await session.execute(text(f"SHOW {parameter}"))).scalar_one() == shown


@pytest.mark.usefixtures("postgres_only")
async def test_a_query_over_the_statement_timeout_answers_503_naming_it(
    settings: Settings,
) -> None:
    async with serving(settings, database_statement_timeout_ms=50) as app:
        # No route is slow enough on purpose, so the test mounts one that is.
        @app.get("/slow-report")
        async def slow_report(session: SessionDep) -> dict[str, str]:
            await session.execute(text("SELECT pg_sleep(1)"))
            return {"status": "finished"}

        async with http_client(app) as http:
            response = await http.get("/slow-report")

    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"].endswith("/query-timeout")
    assert body["statement_timeout_ms"] == 50
    assert "50 ms" in body["detail"]


@pytest.mark.usefixtures("postgres_only")
async def test_an_exhausted_pool_answers_503_instead_of_waiting(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    owner = await signup(client)
    async with (
        serving(
            settings,
            database_pool_size=1,
            database_max_overflow=0,
            database_pool_timeout_seconds=0.2,
        ) as app,
        http_client(app) as http,
    ):
        async with app.state.engine.connect() as held:
            await held.execute(text("SELECT 1"))

            busy = await http.get("/api/v1/me", headers=owner.headers)
            # Middleware that reaches the database (idempotency) is answered alike; the
            # error is re-raised after the response, for the server's log.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as tolerant:
                retried = await tolerant.post(
                    "/api/v1/clients",
                    json={"full_name": "Pat Patient"},
                    headers={**owner.headers, "Idempotency-Key": "busy-1"},
                )

        assert busy.status_code == 503, busy.text
        assert busy.headers["content-type"] == PROBLEM
        assert int(busy.headers["retry-after"]) >= 1
        body = busy.json()
        assert body["type"].endswith("/database-busy")
        assert body["pool_timeout_seconds"] == 0.2
        assert retried.status_code == 503, retried.text
        assert retried.json()["type"].endswith("/database-busy")
        # Once the connection is back, the same request is served.
        assert (await http.get("/api/v1/me", headers=owner.headers)).status_code == 200


@pytest.mark.usefixtures("postgres_only")
async def test_a_connection_closed_while_idle_in_the_pool_is_replaced_before_use(
    settings: Settings, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    async with _pooled_connection_closed(settings, db, owner.headers, idle_ping=0) as http:
        assert (await http.get("/api/v1/me", headers=owner.headers)).status_code == 200


@pytest.mark.usefixtures("postgres_only")
async def test_a_connection_lost_in_steady_use_answers_503_and_the_pool_reconnects(
    settings: Settings, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """A connection used moments ago is not pinged: if the server closed it meanwhile,
    that one request is told to retry, and the next gets a new connection."""
    owner = await signup(client)
    # "Moments ago" however slow the machine running the test is.
    async with _pooled_connection_closed(settings, db, owner.headers, idle_ping=3600) as http:
        lost = await http.get("/api/v1/me", headers=owner.headers)
        assert lost.status_code == 503, lost.text
        assert lost.headers["content-type"] == PROBLEM
        assert lost.headers["retry-after"] == "1"
        assert lost.json()["type"].endswith("/database-connection-lost")
        assert (await http.get("/api/v1/me", headers=owner.headers)).status_code == 200


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize(
    ("method", "problem", "retry_after"),
    [("POST", "commit-outcome-unknown", None), ("GET", "database-connection-lost", "1")],
)
async def test_a_connection_lost_while_committing_a_write_is_not_answered_retry(
    settings: Settings, db: AsyncSession, method: str, problem: str, retry_after: str | None
) -> None:
    """The server may have committed before the connection dropped: a write is told its
    outcome is unknown (a blind retry could do it twice); a read may simply retry."""
    async with serving(settings) as app:
        # Nothing real loses its connection on cue, so the test mounts a route that does.
        async def lose_the_connection_before_commit(session: SessionDep) -> dict[str, str]:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            await db.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            return {"status": "done"}

        router = api_router()
        router.add_api_route("/commit-lost", lose_the_connection_before_commit, methods=[method])
        app.include_router(router)
        async with http_client(app) as http:
            response = await http.request(method, "/commit-lost")

    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith(f"/{problem}")
    assert response.headers.get("retry-after") == retry_after


async def test_a_database_that_cannot_be_reached_answers_503(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    """Down, or never there: the client is told to come back, not shown a 500."""
    unreachable = {
        # Nothing listens on port 1; asyncpg raises a bare OSError.
        "postgres": "postgresql://postgres@127.0.0.1:1/coach",
        "sqlite": f"sqlite:///{tmp_path}/no-such-folder/coach.db",
    }[backend]
    async with serving(settings, database_url=unreachable) as app, http_client(app) as http:
        response = await http.post(
            "/api/v1/auth/token", data={"username": "ada@example.com", "password": "x" * 12}
        )

    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/database-unavailable")
    assert response.headers["retry-after"] == "5"


@asynccontextmanager
async def _pooled_connection_closed(
    settings: Settings, superuser: AsyncSession, headers: dict[str, str], *, idle_ping: float
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with one pooled connection, used once; then the server closes it (and this
    waits for that), as a restart or an idle timeout would."""
    async with (
        serving(
            settings,
            database_pool_size=1,
            database_max_overflow=0,
            database_ping_after_idle_seconds=idle_ping,
        ) as app,
        http_client(app) as http,
    ):
        assert (await http.get("/api/v1/me", headers=headers)).status_code == 200
        async with app.state.engine.connect() as connection:
            pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        closed = await superuser.scalar(
            text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}
        )
        assert closed is True
        yield http
