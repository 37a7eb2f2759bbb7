"""Two workers record failed attempts for one endpoint at once: both attempts are kept.

PostgreSQL only: SQLite has one writer at a time, so the two never overlap there.
"""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.time import utc_now
from app.db.session import create_sessionmaker
from app.db.tenancy import bind_organization
from app.webhooks.delivery import AttemptOutcome
from app.webhooks.dispatch import _record_outcome
from tests.factories.clients import create_client
from tests.factories.identity import signup
from tests.factories.webhooks import create_endpoint

pytestmark = pytest.mark.usefixtures("allow_private_urls")

# Never contacted: the test records outcomes as if the worker had posted them.
RECEIVER_URL = "http://127.0.0.1:9/hooks"
LOCK_WAIT_LIMIT_SECONDS = 10.0


async def _wait_until_blocked(owner_engine: AsyncEngine, pid: int, task: asyncio.Task[Any]) -> None:
    """Return once the backend `pid` waits on a row lock, i.e. B is stuck behind A."""
    deadline = asyncio.get_running_loop().time() + LOCK_WAIT_LIMIT_SECONDS
    while not task.done():
        # A fresh connection each time: pg_stat_activity is a per-transaction snapshot.
        async with owner_engine.connect() as connection:
            waiting = (
                await connection.execute(
                    text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": pid},
                )
            ).scalar_one()
        if waiting:
            return
        assert asyncio.get_running_loop().time() < deadline, "B never waited for A's lock"
        await asyncio.sleep(0.01)
    task.result()  # finished without waiting: surface its error, if any
    pytest.fail("B finished while A still held its transaction open")


async def test_concurrent_failures_for_one_endpoint_record_both_attempts(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    owner = await signup(client)
    endpoint = await create_endpoint(client, owner, RECEIVER_URL)
    await create_client(client, owner, full_name="Ada First")
    await create_client(client, owner, full_name="Grace Second")
    response = await client.get(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    first_id, second_id = (uuid.UUID(d["id"]) for d in response.json()["data"])

    # Two sessions from the worker's sessionmaker, as two workers' `deliver` open them.
    sessionmaker = create_sessionmaker(owner_engine)
    failed = AttemptOutcome(status_code=500, duration_ms=12, response_body="down")

    async def record(session: AsyncSession, delivery_id: uuid.UUID) -> None:
        await _record_outcome(session, delivery_id, utc_now(), failed)
        await session.commit()

    async with sessionmaker() as session_a, sessionmaker() as session_b:
        await bind_organization(session_a, owner.organization_id)
        await bind_organization(session_b, owner.organization_id)
        b_pid = (await session_b.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        # A records its failure (starting the endpoint's failing run) and has not committed.
        await _record_outcome(session_a, first_id, utc_now(), failed)
        b_task = asyncio.create_task(record(session_b, second_id))
        await _wait_until_blocked(owner_engine, b_pid, b_task)
        await session_a.commit()
        await b_task

    response = await client.get(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    deliveries = {uuid.UUID(d["id"]): d for d in response.json()["data"]}
    for delivery_id in (first_id, second_id):
        delivery = deliveries[delivery_id]
        assert delivery["status"] == "pending"
        assert delivery["attempt_count"] == 1
        assert [a["status_code"] for a in delivery["attempts"]] == [500]
    response = await client.get(
        f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["failing_since"] is not None
    assert response.json()["enabled"] is True
