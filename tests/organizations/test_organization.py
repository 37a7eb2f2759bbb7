import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from tests.factories.identity import add_api_key, add_member, signup


async def test_any_member_reads_the_organization_with_its_defaults(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client, organization_name="Northstar Coaching")
    seeker = await add_member(client, db, owner.organization_id, Role.coach)
    response = await client.get("/api/v1/organization", headers=seeker.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(owner.organization_id)
    assert body["name"] == "Northstar Coaching"
    assert body["timezone"] == "UTC"
    assert (body["cold_after_days"], body["stalled_after_days"]) == (30, 14)
    assert response.headers["etag"] == '"1"'


async def test_owner_updates_settings_and_a_stale_write_is_refused_with_412(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    first = await client.patch(
        "/api/v1/organization",
        json={
            "timezone": "Europe/Berlin",
            "cold_after_days": 45,
            "keep_in_touch_defaults": {"work": 60, "family": 90},
        },
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    assert first.json()["keep_in_touch_defaults"] == {"work": 60, "family": 90}

    stale = await client.patch(
        "/api/v1/organization",
        json={"name": "Overwritten"},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    current = await client.get("/api/v1/organization", headers=owner.headers)
    assert current.json()["timezone"] == "Europe/Berlin"
    assert current.json()["cold_after_days"] == 45
    assert current.json()["name"] == "Northstar"


async def test_coach_cannot_change_the_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    response = await client.patch(
        "/api/v1/organization", json={"name": "Coach's practice"}, headers=coach.headers
    )
    assert response.status_code == 403


async def test_invalid_settings_are_refused_with_422(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for invalid in (
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../etc/passwd"},
        {"cold_after_days": 0},
        {"stalled_after_days": 366},
        {"keep_in_touch_defaults": {"neighbour": 30}},
        {"keep_in_touch_defaults": {"work": 0}},
        {"name": None},
        {"id": "00000000-0000-0000-0000-000000000000"},
    ):
        response = await client.patch("/api/v1/organization", json=invalid, headers=owner.headers)
        assert response.status_code == 422, (invalid, response.text)


async def test_api_key_reads_the_organization_only_with_its_scope(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    reader = await add_api_key(db, owner.organization_id, ["organization:read"])
    other = await add_api_key(db, owner.organization_id, ["clients:read"])
    assert (await client.get("/api/v1/organization", headers=reader.headers)).status_code == 200
    assert (await client.get("/api/v1/organization", headers=other.headers)).status_code == 403
    patched = await client.patch(
        "/api/v1/organization", json={"name": "Renamed"}, headers=reader.headers
    )
    assert patched.status_code == 403
