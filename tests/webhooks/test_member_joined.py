"""`member.joined`: an accepted invitation is announced with the member as the API shows it."""

import json

import httpx
import pytest

from tests.factories.clients import create_client
from tests.factories.identity import signup, unique_email
from tests.factories.webhooks import create_endpoint
from tests.webhooks.conftest import WorkerPass
from tests.webhooks.receiver import run_receiver

pytestmark = pytest.mark.usefixtures("allow_private_urls")


async def _invite_and_accept(
    http: httpx.AsyncClient, headers: dict[str, str], **invitation: object
) -> None:
    response = await http.post("/api/v1/invitations", json=invitation, headers=headers)
    assert response.status_code == 201, response.text
    accepted = await http.post(
        f"/api/v1/invitations/{response.json()['token']}/accept",
        json={"full_name": "Casey Joiner", "password": "a brand new passphrase"},
    )
    assert accepted.status_code == 200, accepted.text


async def test_accepting_an_invitation_announces_the_new_member(
    client: httpx.AsyncClient, run_worker_once: WorkerPass
) -> None:
    owner = await signup(client)
    email = unique_email("coach")
    with run_receiver() as receiver:
        await create_endpoint(client, owner, receiver.url, event_types=["member.joined"])
        await _invite_and_accept(client, owner.headers, email=email, role="coach")
        assert await run_worker_once(owner.organization_id) == 1

    members = await client.get("/api/v1/members", headers=owner.headers)
    [member] = [m for m in members.json()["data"] if m["email"] == email]
    [request] = receiver.requests
    message = json.loads(request.body)
    assert message["type"] == "member.joined"
    assert message["data"] == member
    assert member["role"] == "coach"
    assert member["full_name"] == "Casey Joiner"

    events = await client.get(
        "/api/v1/events", params={"type": "member.joined"}, headers=owner.headers
    )
    [event] = events.json()["data"]
    assert event["data"] == member
    assert event["client_id"] is None


async def test_a_client_login_joining_is_announced_with_its_client_record(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    await _invite_and_accept(
        client, owner.headers, email=unique_email("grace"), role="client", client_id=grace["id"]
    )

    events = await client.get(
        "/api/v1/events", params={"type": "member.joined"}, headers=owner.headers
    )
    [event] = events.json()["data"]
    assert event["data"]["role"] == "client"
    assert event["data"]["client_id"] == grace["id"]


async def test_a_refused_acceptance_announces_nothing(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("twice"), "role": "coach"},
        headers=owner.headers,
    )
    token = response.json()["token"]
    body = {"full_name": "Casey Joiner", "password": "a brand new passphrase"}
    assert (await client.post(f"/api/v1/invitations/{token}/accept", json=body)).status_code == 200
    assert (await client.post(f"/api/v1/invitations/{token}/accept", json=body)).status_code == 410

    events = await client.get(
        "/api/v1/events", params={"type": "member.joined"}, headers=owner.headers
    )
    assert len(events.json()["data"]) == 1
