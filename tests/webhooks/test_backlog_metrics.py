"""The webhook backlog on `GET /metrics`: measured by the worker across organizations,
read by the API, whose own role sees one organization at a time."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.session import create_sessionmaker
from app.webhooks.backlog import measure_backlog
from tests.factories.clients import create_client
from tests.factories.identity import signup
from tests.factories.webhooks import create_endpoint

pytestmark = pytest.mark.usefixtures("allow_private_urls")

# Never contacted: nothing delivers in this test, so every delivery stays pending.
RECEIVER_URL = "http://127.0.0.1:9/hooks"


def _gauges(text: str) -> dict[str, float]:
    return {
        sample.name + "".join(f"[{v}]" for v in sample.labels.values()): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("coach_webhook_")
    }


async def _scrape(http: httpx.AsyncClient) -> dict[str, float]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    return _gauges(response.text)


async def test_the_backlog_of_every_organization_is_reported_after_a_measurement(
    client: httpx.AsyncClient, owner_engine: AsyncEngine
) -> None:
    worker_sessions = create_sessionmaker(owner_engine)
    await measure_backlog(worker_sessions)
    before = await _scrape(client)

    for name in ("North", "South"):
        owner = await signup(client, organization_name=name)
        await create_endpoint(client, owner, RECEIVER_URL)
        await create_client(client, owner)  # client.created: one pending delivery
        await create_client(client, owner)

    pending, due = "coach_webhook_deliveries[pending]", "coach_webhook_deliveries[due]"
    # The API does not count by itself: figures move when the worker measures.
    unmeasured = await _scrape(client)
    assert (unmeasured[pending], unmeasured[due]) == (before[pending], before[due])
    await measure_backlog(worker_sessions)
    after = await _scrape(client)

    assert after[pending] == before[pending] + 4
    assert after[due] == before[due] + 4
    assert after["coach_webhook_oldest_due_seconds"] >= 0
    assert 0 <= after["coach_webhook_backlog_measured_seconds_ago"] < 60
