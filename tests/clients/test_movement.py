"""What counts as a client moving: imports do not, backdated contacts count when they happened."""

from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.time import utc_now
from app.db.session import create_sessionmaker
from app.jobs.sweep import sweep
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup
from tests.factories.traction import frozen_clock, get_traction

LINKEDIN_EXPORT = (
    Path(__file__).parent.parent / "contacts" / "data" / "linkedin-Connections.csv"
).read_bytes()


async def test_a_linkedin_import_does_not_make_a_quiet_client_look_busy(
    client: httpx.AsyncClient, owner_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    with frozen_clock(utc_now() - timedelta(days=20)) as clock:
        seeker = await create_client(client, owner)
        clock.set(clock.now + timedelta(days=20))
        response = await client.post(
            f"/api/v1/clients/{seeker['id']}/contacts/import",
            files={"file": ("Connections.csv", LINKEDIN_EXPORT, "text/csv")},
            headers=owner.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 5

        traction = await get_traction(client, owner, seeker["id"])
        result = await sweep(
            create_sessionmaker(owner_engine), organization_ids=[owner.organization_id]
        )

    # Quiet for 20 days (`stalled_after_days` is 14): the import is not a move.
    assert traction["stalled"] is True
    assert traction["last_moving_event_at"] is None
    assert result.stalled == 1


async def test_loading_last_months_contacts_leaves_the_last_move_last_month(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    now = utc_now()
    with frozen_clock(now - timedelta(days=40)):
        seeker = await create_client(client, owner)
    for days_ago in (35, 30, 25):
        at = (now - timedelta(days=days_ago)).isoformat()
        contact = await create_contact(
            client, owner, seeker["id"], full_name=f"Met {days_ago} days ago", created_at=at
        )
        assert contact["created_at"] == at.replace("+00:00", "Z")
        assert contact["imported"] is False

    traction = await get_traction(client, owner, seeker["id"])

    assert traction["last_moving_event_at"] == (now - timedelta(days=25)).isoformat().replace(
        "+00:00", "Z"
    )
    assert traction["stalled"] is True
    # A contact added just now is a move.
    await create_contact(client, owner, seeker["id"], full_name="Met today")
    assert (await get_traction(client, owner, seeker["id"]))["stalled"] is False
