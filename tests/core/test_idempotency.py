"""`Idempotency-Key` makes a retried create safe."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.idempotency import IdempotencyRecord
from tests.factories.identity import Actor, signup


async def _create(
    http: httpx.AsyncClient, actor: Actor, key: str, name: str = "Idem Potent"
) -> httpx.Response:
    return await http.post(
        "/api/v1/clients",
        json={"full_name": name},
        headers={**actor.headers, "Idempotency-Key": key},
    )


async def _count(http: httpx.AsyncClient, actor: Actor) -> int:
    return len((await http.get("/api/v1/clients", headers=actor.headers)).json()["data"])


async def test_retry_with_the_same_key_replays_the_first_response(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    first = await _create(client, owner, "create-grace-1")
    retry = await _create(client, owner, "create-grace-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert await _count(client, owner) == 1


async def test_same_key_with_a_different_body_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert (await _create(client, owner, "k-1", name="First")).status_code == 201
    reused = await _create(client, owner, "k-1", name="Second")
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"].endswith("idempotency-key-reused")
    assert await _count(client, owner) == 1


async def test_callers_with_the_same_key_do_not_collide(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    mine = await _create(client, alice, "shared-key")
    theirs = await _create(client, bob, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers
    assert await _count(client, alice) == 1
    assert await _count(client, bob) == 1


async def test_different_keys_create_different_records(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    a = await _create(client, owner, "key-a")
    b = await _create(client, owner, "key-b")
    assert a.json()["id"] != b.json()["id"]
    assert await _count(client, owner) == 2


async def test_a_failed_create_is_replayed_as_the_same_failure(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    body = {"full_name": "X", "unknown": 1}
    headers = {**owner.headers, "Idempotency-Key": "bad-1"}
    first = await client.post("/api/v1/clients", json=body, headers=headers)
    again = await client.post("/api/v1/clients", json=body, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()


async def test_overlong_key_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await _create(client, owner, "k" * 256)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await _count(client, owner) == 0


async def test_a_retry_after_a_token_refresh_still_replays(client: httpx.AsyncClient) -> None:
    """A SPA whose access token expired mid-retry refreshes it and retries the same create."""
    owner = await signup(client)
    first = await _create(client, owner, "create-after-refresh")
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
    )
    assert refreshed.status_code == 200
    new_token = refreshed.json()["access_token"]
    assert new_token != owner.token
    retry = await client.post(
        "/api/v1/clients",
        json={"full_name": "Idem Potent"},
        headers={"Authorization": f"Bearer {new_token}", "Idempotency-Key": "create-after-refresh"},
    )
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert await _count(client, owner) == 1


async def test_a_secret_shown_once_is_never_stored_or_replayed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """An API key's secret must not sit in the idempotency store, and a retry must not mint
    a second key: it answers 409 and points at the first one."""
    owner = await signup(client)
    headers = {**owner.headers, "Idempotency-Key": "new-key-1"}
    body = {"name": "CRM sync", "scopes": ["clients:read"]}
    first = await client.post("/api/v1/api-keys", json=body, headers=headers)
    assert first.status_code == 201
    assert first.headers["cache-control"] == "no-store"
    secret = first.json()["key"]

    stored = (await db.execute(select(IdempotencyRecord.response_body))).scalars().all()
    await db.rollback()  # SQLite: release the write lock before the API writes again
    assert not any(secret.encode() in (row or b"") for row in stored)

    retry = await client.post("/api/v1/api-keys", json=body, headers=headers)
    assert retry.status_code == 409
    assert retry.json()["type"].endswith("idempotency-secret-not-replayable")
    assert secret not in retry.text
    keys = (await client.get("/api/v1/api-keys", headers=owner.headers)).json()["data"]
    assert [k["name"] for k in keys] == ["CRM sync"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/clients/" + "x" * 5000, "/api/v1/clients%00", "/api/v1/clients/%00/contacts"],
    ids=["very-long", "encoded-nul", "encoded-nul-as-an-id"],
)
async def test_any_path_with_a_key_is_answered_not_failed(
    client: httpx.AsyncClient, path: str
) -> None:
    owner = await signup(client)
    headers = {**owner.headers, "Idempotency-Key": "odd-path-1"}
    first = await client.post(path, json={"full_name": "Grace"}, headers=headers)
    again = await client.post(path, json={"full_name": "Grace"}, headers=headers)
    assert 400 <= first.status_code < 500, first.text
    assert first.headers["content-type"] == "application/problem+json"
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_key_with_control_characters_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await _create(client, owner, "retry\x00-1")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await _count(client, owner) == 0
