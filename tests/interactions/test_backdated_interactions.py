"""An interaction logged after the fact moves the client when it happened, not when logged."""

from datetime import timedelta

import httpx

from app.core.time import utc_now
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup
from tests.factories.traction import frozen_clock, get_traction


async def test_a_call_logged_late_leaves_the_client_stalled_when_it_is_old_enough(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    now = utc_now()
    with frozen_clock(now - timedelta(days=40)):
        seeker = await create_client(client, owner)
        alan = await create_contact(client, owner, seeker["id"])
    url = f"/api/v1/contacts/{alan['id']}/interactions"

    old = (now - timedelta(days=20)).isoformat()
    logged = await client.post(
        url, json={"kind": "call", "occurred_at": old}, headers=owner.headers
    )
    assert logged.status_code == 201, logged.text

    traction = await get_traction(client, owner, seeker["id"])
    # `stalled_after_days` is 14: a call 20 days ago is the last move, and too old.
    assert traction["last_moving_event_at"] == old.replace("+00:00", "Z")
    assert traction["stalled"] is True

    recent = (now - timedelta(days=3)).isoformat()
    logged = await client.post(
        url, json={"kind": "call", "occurred_at": recent}, headers=owner.headers
    )
    assert logged.status_code == 201, logged.text
    assert (await get_traction(client, owner, seeker["id"]))["stalled"] is False
