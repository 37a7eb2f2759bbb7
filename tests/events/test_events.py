"""The event log: written with the change, or not at all."""

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.events.catalog import EVENT_TYPES
from app.events.service import record_event
from app.models import Event, WebhookDelivery
from app.models.enums import Role
from tests.factories.clients import create_client
from tests.factories.identity import add_api_key, add_member, signup
from tests.factories.webhooks import create_endpoint

ISSUE_TYPES = {
    "client.created",
    "client.updated",
    "client.stalled",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.went_cold",
    "contact.referral_added",
    "interaction.created",
    "company.created",
    "company.status_changed",
    "outreach.sent",
    "outreach.responded",
    "interview.scheduled",
    "interview.stage_changed",
    "interview.held",
    "interview.followed_up",
    "member.joined",
    "webhook.test",
}


async def _counts(db: AsyncSession, organization_id: uuid.UUID) -> tuple[int, int]:
    events = await db.scalar(
        select(func.count(Event.id)).where(Event.organization_id == organization_id)
    )
    deliveries = await db.scalar(
        select(func.count(WebhookDelivery.id)).where(
            WebhookDelivery.organization_id == organization_id
        )
    )
    return events or 0, deliveries or 0


@pytest.mark.usefixtures("allow_private_urls")
async def test_a_rolled_back_change_leaves_no_event_and_no_delivery(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    await create_endpoint(client, owner, "http://127.0.0.1:9/hooks")
    await bind_organization(db, owner.organization_id)

    await record_event(
        db,
        organization_id=owner.organization_id,
        type="client.created",
        client_id=None,
        payload={"full_name": "Never committed"},
    )
    assert await _counts(db, owner.organization_id) == (1, 1)
    await db.rollback()
    assert await _counts(db, owner.organization_id) == (0, 0)

    await record_event(
        db,
        organization_id=owner.organization_id,
        type="client.created",
        client_id=None,
        payload={"full_name": "Committed"},
    )
    await db.commit()
    assert await _counts(db, owner.organization_id) == (1, 1)


async def test_unknown_event_types_are_a_programming_error(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    await bind_organization(db, owner.organization_id)
    with pytest.raises(ValueError, match="catalog"):
        await record_event(
            db,
            organization_id=owner.organization_id,
            type="client.exploded",
            client_id=None,
            payload={},
        )
    await db.rollback()


async def test_client_changes_appear_in_the_event_log_newest_first(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    first = await create_client(client, owner, full_name="First Seeker")
    second = await create_client(client, owner, full_name="Second Seeker")
    await client.patch(
        f"/api/v1/clients/{first['id']}", json={"headline": "Now"}, headers=owner.headers
    )

    log = await client.get("/api/v1/events", headers=owner.headers)
    assert log.status_code == 200
    assert [(e["type"], e["client_id"]) for e in log.json()["data"]] == [
        ("client.updated", first["id"]),
        ("client.created", second["id"]),
        ("client.created", first["id"]),
    ]
    assert log.json()["data"][0]["data"]["headline"] == "Now"

    only_first = await client.get(
        "/api/v1/events", params={"client_id": first["id"]}, headers=owner.headers
    )
    assert len(only_first.json()["data"]) == 2
    created = await client.get(
        "/api/v1/events", params={"type": "client.created", "limit": 1}, headers=owner.headers
    )
    assert [e["client_id"] for e in created.json()["data"]] == [second["id"]]
    assert created.json()["next_cursor"] is not None
    later = (utc_now() + timedelta(minutes=1)).isoformat()
    assert (
        await client.get("/api/v1/events", params={"since": later}, headers=owner.headers)
    ).json()["data"] == []
    assert (
        len(
            (
                await client.get("/api/v1/events", params={"until": later}, headers=owner.headers)
            ).json()["data"]
        )
        == 3
    )
    naive = await client.get(
        "/api/v1/events", params={"since": "2026-01-01T00:00:00"}, headers=owner.headers
    )
    assert naive.status_code == 422


async def test_deleting_a_client_is_an_event(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    gone = await create_client(client, owner)
    await client.delete(f"/api/v1/clients/{gone['id']}", headers=owner.headers)
    log = await client.get("/api/v1/events", headers=owner.headers)
    assert log.json()["data"][0]["type"] == "client.deleted"
    assert log.json()["data"][0]["data"]["id"] == gone["id"]


async def test_another_organizations_events_are_invisible(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    stranger = await signup(client, organization_name="Elsewhere")
    await create_client(client, owner)
    log = await client.get("/api/v1/events", headers=stranger.headers)
    assert log.json()["data"] == []


async def test_event_types_are_catalogued_with_examples(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await client.get("/api/v1/event-types", headers=owner.headers)
    assert response.status_code == 200
    catalogue = {t["name"]: t for t in response.json()["data"]}
    assert set(catalogue) >= ISSUE_TYPES
    assert len(catalogue) == len(EVENT_TYPES)
    assert all(t["description"] and t["example"] for t in catalogue.values())


async def test_any_member_reads_event_types_but_only_admins_read_the_log(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    with_scope = await add_api_key(db, owner.organization_id, ["events:read"])
    without_scope = await add_api_key(db, owner.organization_id, ["clients:read"])

    assert (await client.get("/api/v1/event-types", headers=coach.headers)).status_code == 200
    assert (await client.get("/api/v1/events", headers=coach.headers)).status_code == 403
    assert (await client.get("/api/v1/events", headers=with_scope.headers)).status_code == 200
    assert (await client.get("/api/v1/events", headers=without_scope.headers)).status_code == 403
    assert (
        await client.get("/api/v1/event-types", headers=without_scope.headers)
    ).status_code == 403


@pytest.mark.parametrize(
    "bound",
    ["since=9999-12-31T23:59:59-23:59", "until=0001-01-01T00:00:00%2B23:59", "since=0"],
)
async def test_a_time_filter_out_of_range_is_a_clear_422(
    client: httpx.AsyncClient, bound: str
) -> None:
    owner = await signup(client)
    response = await client.get(f"/api/v1/events?{bound}", headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
