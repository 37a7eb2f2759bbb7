from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.identity import add_member, signup


async def test_owner_creates_and_reads_a_client(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await create_client(client, owner, target_roles=["Data engineer"])
    response = await client.get(f"/api/v1/clients/{created['id']}", headers=owner.headers)
    assert response.status_code == 200
    assert response.json()["target_roles"] == ["Data engineer"]
    assert response.headers["etag"] == '"1"'


async def test_coach_cannot_see_unassigned_client(client: httpx.AsyncClient, cast: Cast) -> None:
    coach, hidden, visible = cast.coach, cast.other, cast.seeker

    listed = await client.get("/api/v1/clients", headers=coach.headers)
    assert [c["id"] for c in listed.json()["data"]] == [visible["id"]]
    missing = await client.get(f"/api/v1/clients/{hidden['id']}", headers=coach.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_client_role_sees_only_itself_without_coach_notes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    me = await create_client(client, owner, notes="Struggles with salary talks")
    other = await create_client(client, owner)
    seeker = await add_member(client, db, owner.organization_id, Role.client, client_id=me["id"])

    own = await client.get(f"/api/v1/clients/{me['id']}", headers=seeker.headers)
    assert own.status_code == 200
    assert own.json()["notes"] is None
    assert (
        await client.get(f"/api/v1/clients/{other['id']}", headers=seeker.headers)
    ).status_code == 404


async def test_stale_if_match_is_refused_with_412(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await create_client(client, owner)
    url = f"/api/v1/clients/{created['id']}"
    first = await client.patch(
        url, json={"headline": "v2"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    stale = await client.patch(
        url, json={"headline": "v3"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert (await client.get(url, headers=owner.headers)).json()["headline"] == "v2"


async def test_unknown_fields_are_rejected(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/clients",
        json={"full_name": "X", "organization_id": str(owner.organization_id)},
        headers=owner.headers,
    )
    assert response.status_code == 422
    body: dict[str, Any] = response.json()
    assert body["errors"][0]["loc"] == ["body", "organization_id"]


async def test_required_fields_cannot_be_nulled_and_stay_as_they_were(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    created = await create_client(client, owner, full_name="Grace", target_roles=["CTO"])
    url = f"/api/v1/clients/{created['id']}"

    for field in ("full_name", "status", "target_roles", "locations"):
        response = await client.patch(url, json={field: None}, headers=owner.headers)
        assert response.status_code == 422, response.text
        assert f"{field} cannot be null" in response.text

    # Optional fields still clear with null.
    cleared = await client.patch(url, json={"headline": None}, headers=owner.headers)
    assert cleared.status_code == 200
    kept = (await client.get(url, headers=owner.headers)).json()
    assert (kept["full_name"], kept["status"], kept["target_roles"]) == ("Grace", "active", ["CTO"])
