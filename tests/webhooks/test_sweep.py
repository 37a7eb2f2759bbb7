"""The worker's sweep: contacts going cold and clients stalling, announced once per crossing."""

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.session import create_sessionmaker
from app.jobs.sweep import sweep
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, signup
from tests.factories.webhooks import create_endpoint
from tests.webhooks.conftest import Clock, SweepPass, WorkerPass
from tests.webhooks.receiver import run_receiver

# Keys do not expire when the clock jumps by weeks; access tokens would.
SCOPES = [
    "clients:read",
    "clients:write",
    "contacts:read",
    "contacts:write",
    "events:read",
    "webhooks:read",
    "webhooks:write",
]


async def _organization(http: httpx.AsyncClient, db: AsyncSession, **settings: int) -> Actor:
    owner = await signup(http)
    if settings:
        response = await http.patch("/api/v1/organization", json=settings, headers=owner.headers)
        assert response.status_code == 200, response.text
    return await add_api_key(db, owner.organization_id, SCOPES)


async def _touch(http: httpx.AsyncClient, key: Actor, contact_id: str, kind: str = "call") -> None:
    response = await http.post(
        f"/api/v1/contacts/{contact_id}/interactions", json={"kind": kind}, headers=key.headers
    )
    assert response.status_code == 201, response.text


async def _events(http: httpx.AsyncClient, key: Actor, type: str) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/events", params={"type": type}, headers=key.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def _contact(http: httpx.AsyncClient, key: Actor, contact_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/contacts/{contact_id}", headers=key.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_contact_going_cold_is_announced_once_across_sweeps(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, run_sweep: SweepPass
) -> None:
    key = await _organization(client, db)
    grace = await create_client(client, key)
    alan = await create_contact(client, key, grace["id"], full_name="Alan Mentor")
    await _touch(client, key, alan["id"])
    before = await _contact(client, key, alan["id"])

    clock.advance(timedelta(days=30))  # cooling, not cold yet
    assert (await run_sweep(key.organization_id)).went_cold == 0
    clock.advance(timedelta(hours=1))
    assert (await run_sweep(key.organization_id)).went_cold == 1
    assert (await run_sweep(key.organization_id)).went_cold == 0
    clock.advance(timedelta(days=10))
    assert (await run_sweep(key.organization_id)).went_cold == 0

    [event] = await _events(client, key, "contact.went_cold")
    assert event["client_id"] == grace["id"]
    assert event["data"]["id"] == alan["id"]
    assert event["data"]["warmth"] == "cold"
    assert event["data"]["last_contacted_at"] == before["last_contacted_at"]
    # Announcing is not an edit: the contact's own timestamps stay.
    assert (await _contact(client, key, alan["id"]))["updated_at"] == before["updated_at"]


async def test_a_new_touch_re_arms_a_cold_contact(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, run_sweep: SweepPass
) -> None:
    key = await _organization(client, db)
    grace = await create_client(client, key)
    alan = await create_contact(client, key, grace["id"])
    await _touch(client, key, alan["id"])
    clock.advance(timedelta(days=31))
    assert (await run_sweep(key.organization_id)).went_cold == 1

    # A note is not a touch: the contact stays cold and is not announced again.
    await _touch(client, key, alan["id"], kind="note")
    assert (await run_sweep(key.organization_id)).went_cold == 0

    await _touch(client, key, alan["id"])
    assert (await run_sweep(key.organization_id)).went_cold == 0  # warm again
    clock.advance(timedelta(days=31))
    assert (await run_sweep(key.organization_id)).went_cold == 1
    assert (await run_sweep(key.organization_id)).went_cold == 0

    events = await _events(client, key, "contact.went_cold")
    assert [e["data"]["id"] for e in events] == [alan["id"], alan["id"]]
    assert events[0]["data"]["last_contacted_at"] > events[1]["data"]["last_contacted_at"]


async def test_a_contact_never_touched_never_goes_cold(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, run_sweep: SweepPass
) -> None:
    key = await _organization(client, db)
    grace = await create_client(client, key)
    await create_contact(client, key, grace["id"])
    clock.advance(timedelta(days=90))
    assert (await run_sweep(key.organization_id)).went_cold == 0


async def test_a_client_stalling_is_announced_once_per_crossing(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, run_sweep: SweepPass
) -> None:
    key = await _organization(client, db)
    grace = await create_client(client, key, full_name="Grace Stalled")
    first = await create_contact(client, key, grace["id"])

    clock.advance(timedelta(days=14))  # still within `stalled_after_days`
    assert (await run_sweep(key.organization_id)).stalled == 0
    clock.advance(timedelta(hours=1))
    assert (await run_sweep(key.organization_id)).stalled == 1
    assert (await run_sweep(key.organization_id)).stalled == 0

    # Moving again re-arms it; the next quiet spell is a second crossing.
    second = await create_contact(client, key, grace["id"], full_name="Sam Second")
    assert (await run_sweep(key.organization_id)).stalled == 0
    clock.advance(timedelta(days=15))
    assert (await run_sweep(key.organization_id)).stalled == 1
    assert (await run_sweep(key.organization_id)).stalled == 0

    later, earlier = await _events(client, key, "client.stalled")
    for event in (earlier, later):
        assert event["client_id"] == grace["id"]
        assert event["data"]["client"]["id"] == grace["id"]
        assert event["data"]["client"]["full_name"] == "Grace Stalled"
        assert event["data"]["stalled_after_days"] == 14
    assert earlier["data"]["last_moved_at"] == first["created_at"]
    assert later["data"]["last_moved_at"] == second["created_at"]


async def test_every_kind_of_move_keeps_a_client_from_stalling(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, run_sweep: SweepPass
) -> None:
    key = await _organization(client, db, stalled_after_days=7)
    grace = await create_client(client, key)
    alan = await create_contact(client, key, grace["id"])
    clock.advance(timedelta(days=6))
    await _touch(client, key, alan["id"])
    clock.advance(timedelta(days=6))
    # An interview stage change counts too.
    response = await client.post(
        f"/api/v1/clients/{grace['id']}/interviews",
        json={"kind": "informational", "contact_id": alan["id"], "stage": "scheduled"},
        headers=key.headers,
    )
    assert response.status_code == 201, response.text
    clock.advance(timedelta(days=6))
    assert (await run_sweep(key.organization_id)).stalled == 0
    # A coach's note is not a move.
    await _touch(client, key, alan["id"], kind="note")
    clock.advance(timedelta(days=2))
    assert (await run_sweep(key.organization_id)).stalled == 1


async def test_a_client_that_never_moved_stalls_from_its_creation_and_paused_ones_do_not(
    client: httpx.AsyncClient, db: AsyncSession, clock: Clock, run_sweep: SweepPass
) -> None:
    key = await _organization(client, db)
    idle = await create_client(client, key, full_name="Ida Idle")
    await create_client(client, key, full_name="Paul Paused", status="paused")
    clock.advance(timedelta(days=15))
    assert (await run_sweep(key.organization_id)).stalled == 1

    [event] = await _events(client, key, "client.stalled")
    assert event["data"]["client"]["id"] == idle["id"]
    assert event["data"]["last_moved_at"] is None


@pytest.mark.usefixtures("allow_private_urls")
async def test_each_organization_is_swept_by_its_own_settings_and_hears_only_its_own(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: Clock,
    run_sweep: SweepPass,
    run_worker_once: WorkerPass,
) -> None:
    quick = await _organization(client, db, cold_after_days=10)
    slow = await _organization(client, db)
    contacts: dict[uuid.UUID, str] = {}
    with run_receiver() as quick_receiver, run_receiver() as slow_receiver:
        for key, receiver in ((quick, quick_receiver), (slow, slow_receiver)):
            await create_endpoint(client, key, receiver.url, event_types=["contact.went_cold"])
            seeker = await create_client(client, key)
            contact = await create_contact(client, key, seeker["id"])
            await _touch(client, key, contact["id"])
            contacts[key.organization_id] = contact["id"]

        clock.advance(timedelta(days=11))
        assert (await run_sweep(quick.organization_id, slow.organization_id)).went_cold == 1
        clock.advance(timedelta(days=20))
        assert (await run_sweep(quick.organization_id, slow.organization_id)).went_cold == 1
        await run_worker_once(quick.organization_id, slow.organization_id)

    for key, receiver in ((quick, quick_receiver), (slow, slow_receiver)):
        [event] = await _events(client, key, "contact.went_cold")
        assert event["data"]["id"] == contacts[key.organization_id]
        [request] = receiver.requests
        assert json.loads(request.body)["data"]["id"] == contacts[key.organization_id]


async def test_concurrent_sweeps_announce_each_crossing_once(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: Clock,
    owner_engine: AsyncEngine,
) -> None:
    key = await _organization(client, db)
    grace = await create_client(client, key)
    for name in ("Ann", "Ben", "Cy", "Dee", "Eve"):
        contact = await create_contact(client, key, grace["id"], full_name=name)
        await _touch(client, key, contact["id"])
    clock.advance(timedelta(days=31))

    sessionmaker = create_sessionmaker(owner_engine)
    # Small batches, so the two sweeps interleave over several transactions.
    results = await asyncio.gather(
        *(
            sweep(sessionmaker, organization_ids=[key.organization_id], batch_size=2)
            for _ in range(2)
        )
    )
    again = await sweep(sessionmaker, organization_ids=[key.organization_id])

    assert sum(r.went_cold for r in results) + again.went_cold == 5
    events = await _events(client, key, "contact.went_cold")
    assert len(events) == len({e["data"]["id"] for e in events}) == 5
    # The client stalled too (its last move was 31 days ago): announced once as well.
    assert sum(r.stalled for r in results) + again.stalled == 1
