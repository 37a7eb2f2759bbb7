from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from tests.factories.identity import Actor, add_api_key, add_member, signup


async def _create_key(http: httpx.AsyncClient, actor: Actor, scopes: list[str]) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/api-keys", json={"name": "CRM sync", "scopes": scopes}, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _list_keys(http: httpx.AsyncClient, actor: Actor) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/api-keys", headers=actor.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_api_key_lifecycle_create_use_list_revoke(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await _create_key(client, owner, ["clients:read"])
    key = created["key"]
    assert key.startswith("ck_")
    assert created["prefix"] == key[:12]
    assert created["scopes"] == ["clients:read"]
    assert created["created_by_id"] == str(owner.user_id)
    assert created["last_used_at"] is None
    bearer = {"Authorization": f"Bearer {key}"}

    assert (await client.get("/api/v1/clients", headers=bearer)).status_code == 200
    denied = await client.post("/api/v1/clients", json={"full_name": "X"}, headers=bearer)
    assert denied.status_code == 403

    listed = await _list_keys(client, owner)
    assert [k["id"] for k in listed] == [created["id"]]
    assert listed[0]["last_used_at"] is not None
    assert listed[0]["prefix"] == key[:12]
    assert "key" not in listed[0]
    assert "secret_hash" not in listed[0]

    revoked = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/clients", headers=bearer)).status_code == 401
    assert await _list_keys(client, owner) == []


async def test_api_key_needs_at_least_one_known_scope(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for scopes in ([], ["admin"], None):
        response = await client.post(
            "/api/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=owner.headers
        )
        assert response.status_code == 422, scopes


async def test_only_owners_and_admins_manage_api_keys(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    key = await add_api_key(db, owner.organization_id, ["organization:read", "clients:write"])

    created = await _create_key(client, admin, ["reports:read"])
    assert len(await _list_keys(client, admin)) == 2
    for actor in (coach, key):
        assert (await client.get("/api/v1/api-keys", headers=actor.headers)).status_code == 403
        response = await client.post(
            "/api/v1/api-keys",
            json={"name": "k", "scopes": ["clients:read"]},
            headers=actor.headers,
        )
        assert response.status_code == 403
        deleted = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=actor.headers)
        assert deleted.status_code == 403


async def test_another_organizations_key_cannot_be_revoked(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await _create_key(client, owner, ["clients:read"])
    intruder = await signup(client, organization_name="Elsewhere")
    response = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=intruder.headers)
    assert response.status_code == 404
    assert await _list_keys(client, intruder) == []
    bearer = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get("/api/v1/clients", headers=bearer)).status_code == 200
