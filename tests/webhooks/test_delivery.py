"""Delivery to real receivers on loopback, driven one worker pass at a time."""

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from app.db.tenancy import bind_organization
from app.models import Event
from tests.factories.clients import create_client
from tests.factories.identity import Actor, add_api_key, signup
from tests.factories.webhooks import create_endpoint
from tests.webhooks.conftest import Clock, WorkerPass
from tests.webhooks.receiver import HANG, run_receiver

pytestmark = pytest.mark.usefixtures("allow_private_urls")


async def _api_key(db: AsyncSession, owner: Actor) -> Actor:
    """Reads after the clock moved: an access token would have expired, a key does not."""
    return await add_api_key(
        db, owner.organization_id, ["webhooks:read", "webhooks:write", "events:read"]
    )


async def _deliveries(http: httpx.AsyncClient, owner: Actor, endpoint_id: str) -> list[Any]:
    response = await http.get(
        f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_receiver_verifies_our_signature_with_standardwebhooks(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    with run_receiver() as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        created = await create_client(client, owner, full_name="Grace Signed")
        assert await run_worker_once(owner.organization_id) == 1

    [request] = receiver.requests
    verified = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert verified["type"] == "client.created"
    assert verified["data"]["id"] == created["id"]
    assert verified["data"]["full_name"] == "Grace Signed"
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    [delivery] = await _deliveries(client, owner, endpoint["id"])
    assert delivery["status"] == "succeeded"
    assert delivery["message_id"] == request.headers["webhook-id"]
    assert delivery["attempts"][0]["status_code"] == 200


async def test_two_failures_then_success_is_delivered_exactly_once(
    client: httpx.AsyncClient, run_worker_once: WorkerPass, clock: Clock, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await _api_key(db, owner)
    with run_receiver(500, 500, 200) as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(client, owner)

        assert await run_worker_once(owner.organization_id) == 1
        # Not due yet: the first retry waits about 5 seconds.
        clock.advance(timedelta(seconds=1))
        assert await run_worker_once(owner.organization_id) == 0
        clock.advance(timedelta(seconds=5))
        assert await run_worker_once(owner.organization_id) == 1
        # The second retry waits about 5 minutes.
        clock.advance(timedelta(minutes=4))
        assert await run_worker_once(owner.organization_id) == 0
        clock.advance(timedelta(minutes=2))
        assert await run_worker_once(owner.organization_id) == 1
        clock.advance(timedelta(days=1))
        assert await run_worker_once(owner.organization_id) == 0

    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    [delivery] = await _deliveries(client, key, endpoint["id"])
    assert delivery["status"] == "succeeded"
    assert delivery["attempt_count"] == 3
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    failed = delivery["attempts"][0]
    assert len(failed["response_body"]) <= 256
    assert failed["response_body"].startswith("receiver trouble")
    assert failed["response_headers"]["content-type"] == "application/json"
    assert failed["duration_ms"] >= 0


async def test_an_attempt_log_keeps_nothing_the_receiver_echoes(
    client: httpx.AsyncClient, run_worker_once: WorkerPass, db: AsyncSession
) -> None:
    """A receiver that answers with what it was sent must not copy the client's data into
    the deliveries log, where it would outlive the event's own erasure."""
    owner = await signup(client)
    key = await _api_key(db, owner)
    with run_receiver(500, echo=True) as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(
            client, owner, full_name="Grace Echoed", email="grace.echoed@example.com"
        )
        assert await run_worker_once(owner.organization_id) == 1
    [request] = receiver.requests
    assert b"Grace Echoed" in request.body
    [delivery] = await _deliveries(client, key, endpoint["id"])
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 500
    body = attempt["response_body"]
    assert body.startswith("echo: ")
    assert "[redacted]" in body
    assert len(body) <= 256
    for sent in ("Grace Echoed", "grace.echoed", "client.created"):
        assert sent not in body
    assert set(attempt["response_headers"]) == {"content-type", "content-length", "date", "server"}


async def test_a_hanging_receiver_times_out_and_is_retried(
    client: httpx.AsyncClient, run_worker_once: WorkerPass, clock: Clock, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await _api_key(db, owner)
    with run_receiver(HANG, 200) as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(client, owner)

        assert await run_worker_once(owner.organization_id, webhook_timeout_seconds=0.5) == 1
        [pending] = await _deliveries(client, owner, endpoint["id"])
        assert pending["status"] == "pending"
        assert pending["attempts"][0]["error"] == "timed out"
        assert pending["attempts"][0]["status_code"] is None

        clock.advance(timedelta(seconds=6))
        assert await run_worker_once(owner.organization_id, webhook_timeout_seconds=0.5) == 1

    [delivered] = await _deliveries(client, key, endpoint["id"])
    assert delivered["status"] == "succeeded"
    assert [a["error"] for a in delivered["attempts"]] == ["timed out", None]


async def test_another_organization_never_receives_the_event(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    northstar = await signup(client, organization_name="Northstar")
    rival = await signup(client, organization_name="Rival")
    with run_receiver() as ours, run_receiver() as theirs:
        await create_endpoint(client, northstar, ours.url)
        rival_endpoint = await create_endpoint(client, rival, theirs.url)
        await create_client(client, northstar)
        await run_worker_once(northstar.organization_id, rival.organization_id)

    assert [json.loads(r.body)["type"] for r in ours.requests] == ["client.created"]
    assert theirs.requests == []
    assert await _deliveries(client, rival, rival_endpoint["id"]) == []
    # Nor can it read the other organization's endpoint.
    response = await client.get(
        f"/api/v1/webhook-endpoints/{rival_endpoint['id']}", headers=northstar.headers
    )
    assert response.status_code == 404


async def test_rotated_secret_signs_beside_the_new_one_for_a_day(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    with run_receiver() as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        rotated = await client.post(
            f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=owner.headers
        )
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != endpoint["secret"]
        assert rotated.json()["previous_secret_expires_at"] is not None
        test = await client.post(
            f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=owner.headers
        )
        assert test.status_code == 202
        await run_worker_once(owner.organization_id)

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], new_secret):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"


async def test_old_secret_stops_signing_after_24_hours(
    client: httpx.AsyncClient, run_worker_once: WorkerPass, clock: Clock, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await _api_key(db, owner)
    with run_receiver() as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await client.post(
            f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=owner.headers
        )
        clock.advance(timedelta(hours=25))
        await client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=key.headers)
        await run_worker_once(owner.organization_id)

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 1


async def test_test_event_goes_to_that_endpoint_only(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    with run_receiver() as chosen, run_receiver() as other:
        endpoint = await create_endpoint(client, owner, chosen.url, event_types=["client.created"])
        await create_endpoint(client, owner, other.url)
        response = await client.post(
            f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=owner.headers
        )
        assert response.status_code == 202
        assert response.json()["event_type"] == "webhook.test"
        await run_worker_once(owner.organization_id)

    assert [json.loads(r.body)["type"] for r in chosen.requests] == ["webhook.test"]
    assert other.requests == []


async def test_endpoint_receives_only_subscribed_types(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    with run_receiver() as receiver:
        await create_endpoint(client, owner, receiver.url, event_types=["client.updated"])
        created = await create_client(client, owner)
        await client.patch(
            f"/api/v1/clients/{created['id']}", json={"headline": "New"}, headers=owner.headers
        )
        await run_worker_once(owner.organization_id)

    [request] = receiver.requests
    assert json.loads(request.body)["type"] == "client.updated"
    assert json.loads(request.body)["data"]["headline"] == "New"


async def test_retry_sends_a_delivery_again_now_with_the_same_id(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    with run_receiver() as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(client, owner)
        await run_worker_once(owner.organization_id)
        [delivery] = await _deliveries(client, owner, endpoint["id"])
        retried = await client.post(
            f"/api/v1/webhook-deliveries/{delivery['id']}/retry", headers=owner.headers
        )
        assert retried.status_code == 202
        assert retried.json()["status"] == "pending"
        assert await run_worker_once(owner.organization_id) == 1

    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]


async def test_410_gone_disables_the_endpoint_and_says_so(
    client: httpx.AsyncClient, run_worker_once: WorkerPass, db: AsyncSession
) -> None:
    owner = await signup(client)
    with run_receiver(410) as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(client, owner)
        await run_worker_once(owner.organization_id)

    read = (
        await client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=owner.headers)
    ).json()
    assert read["enabled"] is False
    assert read["disabled_reason"] == "gone"
    [delivery] = await _deliveries(client, owner, endpoint["id"])
    assert delivery["status"] == "failed"
    await bind_organization(db, owner.organization_id)
    types = (await db.execute(select(Event.type).order_by(Event.occurred_at))).scalars().all()
    assert types == ["client.created", "webhook_endpoint.disabled"]


async def test_endpoint_failing_for_five_days_is_disabled(
    client: httpx.AsyncClient, run_worker_once: WorkerPass, clock: Clock, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await _api_key(db, owner)
    with run_receiver(*[500] * 20) as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(client, owner)
        await run_worker_once(owner.organization_id)
        clock.advance(timedelta(days=4))
        await run_worker_once(owner.organization_id)
        still = await client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=key.headers)
        assert still.json()["enabled"] is True
        clock.advance(timedelta(days=1, minutes=1))
        await run_worker_once(owner.organization_id)

    disabled = (
        await client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=key.headers)
    ).json()
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"] == "failing"
    events = await client.get(
        "/api/v1/events", params={"type": "webhook_endpoint.disabled"}, headers=key.headers
    )
    assert [e["data"]["id"] for e in events.json()["data"]] == [endpoint["id"]]


async def test_delivery_time_ssrf_check_blocks_without_sending(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    with run_receiver() as receiver:
        endpoint = await create_endpoint(client, owner, receiver.url)
        await create_client(client, owner)
        await run_worker_once(owner.organization_id, webhook_allow_private_urls=False)

    assert receiver.requests == []
    [delivery] = await _deliveries(client, owner, endpoint["id"])
    assert delivery["attempts"][0]["error"] == "blocked address"
    assert delivery["status"] == "pending"


async def test_a_delivery_is_claimed_by_one_worker_at_a_time(
    client: httpx.AsyncClient, owner_engine: Any
) -> None:
    from app.core.time import utc_now
    from app.db.session import create_sessionmaker
    from app.webhooks.dispatch import claim_due

    owner = await signup(client)
    await create_endpoint(client, owner, "http://127.0.0.1:9/unused")
    await create_client(client, owner)
    sessionmaker = create_sessionmaker(owner_engine)
    claims: list[list[uuid.UUID]] = []
    for _ in range(2):
        async with sessionmaker() as session:
            claimed = await claim_due(
                session,
                now=utc_now(),
                lease=timedelta(minutes=1),
                limit=10,
                organization_ids=[owner.organization_id],
            )
            await session.commit()
        claims.append([c.id for c in claimed])
    assert len(claims[0]) == 1
    assert claims[1] == []
