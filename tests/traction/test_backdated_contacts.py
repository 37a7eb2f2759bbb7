"""Contacts loaded with their real dates count in the weeks they were added."""

import httpx

from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup
from tests.factories.traction import frozen_clock, get_traction


async def test_backdated_contacts_land_in_the_week_they_were_added(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    with frozen_clock("2026-10-01T09:00:00+00:00"):
        seeker = await create_client(client, owner)
    with frozen_clock("2026-10-28T09:00:00+00:00"):
        # Loaded today, met in the weeks of 10-05 and 10-12 (the window's first two weeks).
        for at in ("2026-10-06T10:00:00+00:00", "2026-10-07T10:00:00+00:00"):
            await create_contact(client, owner, seeker["id"], created_at=at)
        await create_contact(client, owner, seeker["id"], created_at="2026-10-13T10:00:00+00:00")
        # And one from before the window: in the previous window only.
        await create_contact(client, owner, seeker["id"], created_at="2026-09-30T10:00:00+00:00")
        traction = await get_traction(
            client, owner, seeker["id"], **{"from": "2026-10-05", "to": "2026-10-26"}
        )

    assert [w["new_contacts"] for w in traction["weeks"]] == [2, 1, 0]
    assert traction["current"]["figures"]["new_contacts"] == 3
    assert traction["previous"]["figures"]["new_contacts"] == 1
    assert traction["last_moving_event_at"] == "2026-10-13T10:00:00Z"
