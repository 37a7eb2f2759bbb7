import re
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.demo import DEMO_ORGANIZATION, describe_logins, seed_demo_database
from app.models import Organization
from tests.conftest import Database


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_seed_demo_prints_logins_that_show_a_coach_real_contact_trees(
    client: httpx.AsyncClient, database: Database, settings: Settings, db: AsyncSession
) -> None:
    created = await seed_demo_database(settings, database.owner_url)
    printed = describe_logins(created=created)

    password = re.search(r"Password for every demo login: (\S+)", printed)
    logins = dict(re.findall(r"^\s+(owner|coach|client)\s+(\S+@\S+)", printed, re.MULTILINE))
    assert password is not None
    assert set(logins) == {"owner", "coach", "client"}

    coach = await sign_in(client, logins["coach"], password.group(1))
    me = await client.get("/api/v1/me", headers=coach)
    assert me.json()["organization_name"] == DEMO_ORGANIZATION
    clients = (await client.get("/api/v1/clients", headers=coach)).json()["data"]
    assert len(clients) == 3

    for seeker in clients:
        listed = await client.get(
            f"/api/v1/clients/{seeker['id']}/contacts", params={"limit": 200}, headers=coach
        )
        assert listed.status_code == 200, listed.text
        contacts: list[dict[str, Any]] = listed.json()["data"]
        assert sum(c["depth"] == 0 for c in contacts) >= 3
        assert max(c["depth"] for c in contacts) == 4
        assert {"warm", "cooling", "cold", "never"} <= {c["warmth"] for c in contacts}
        interactions = await client.get(
            f"/api/v1/clients/{seeker['id']}/interactions", params={"limit": 200}, headers=coach
        )
        assert len(interactions.json()["data"]) >= 10

    deepest = max(contacts, key=lambda c: c["depth"])
    chain = await client.get(f"/api/v1/contacts/{deepest['id']}/chain", headers=coach)
    assert chain.status_code == 200, chain.text
    assert len(chain.json()["contacts"]) == 5  # A → B → C → D → E

    client_login = await sign_in(client, logins["client"], password.group(1))
    own = (await client.get("/api/v1/clients", headers=client_login)).json()["data"]
    assert len(own) == 1


async def test_seed_demo_twice_does_not_duplicate(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    await seed_demo_database(settings, database.owner_url)

    again = await seed_demo_database(settings, database.owner_url)

    assert again is False
    assert "already exists" in describe_logins(created=again)
    organizations = await db.execute(
        select(func.count()).select_from(Organization).where(Organization.name == DEMO_ORGANIZATION)
    )
    assert organizations.scalar_one() == 1
