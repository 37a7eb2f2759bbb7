"""`Idempotency-Key` makes a retried create safe."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.time import utc_now
from app.db.session import create_sessionmaker
from app.db.tenancy import unscoped
from app.idempotency.service import IdempotencyMiddleware, prune_expired
from app.models.idempotency import IdempotencyRecord
from tests.factories.identity import Actor, add_api_key, signup


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

    stored = (
        (await db.execute(select(IdempotencyRecord.response_body).execution_options(**unscoped())))
        .scalars()
        .all()
    )
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


async def test_a_key_with_control_characters_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await _create(client, owner, "retry\x00-1")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await _count(client, owner) == 0


async def _records(db: AsyncSession) -> list[IdempotencyRecord]:
    rows = (
        (await db.execute(select(IdempotencyRecord).execution_options(**unscoped())))
        .scalars()
        .all()
    )
    db.expunge_all()  # read as they are now: the rollback does not expire them
    await db.rollback()  # SQLite: release the lock before the API writes again
    return list(rows)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer ck_00000000000000000000000000000000_nope", "Basic Zm9vOmJhcg=="],
)
async def test_an_unauthenticated_caller_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, authorization: str
) -> None:
    before = len(await _records(db))
    for attempt in range(5):
        response = await client.post(
            "/api/v1/clients",
            json={"full_name": "Nobody"},
            headers={"Authorization": authorization, "Idempotency-Key": f"k-{attempt}"},
        )
        assert response.status_code == 401
    assert len(await _records(db)) == before


async def test_a_record_belongs_to_the_callers_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    created = await _create(client, owner, "org-owned")
    [record] = [r for r in await _records(db) if r.key == "org-owned"]
    assert record.organization_id == owner.organization_id
    assert record.caller == f"user:{owner.user_id}"
    assert str(record.client_id) == created.json()["id"]


async def test_an_api_key_is_its_own_caller(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, ["clients:read", "clients:write"])
    by_key = await _create(client, key, "same-key")
    by_owner = await _create(client, owner, "same-key")
    assert by_key.status_code == by_owner.status_code == 201
    assert by_key.json()["id"] != by_owner.json()["id"]
    again = await _create(client, key, "same-key")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == by_key.json()["id"]


async def test_records_per_caller_are_bounded(app: Any, client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    other = await signup(client)
    middleware = _idempotency_middleware(app)
    middleware.max_records = 3
    try:
        for attempt in range(3):
            assert (await _create(client, owner, f"bounded-{attempt}")).status_code == 201
        refused = await _create(client, owner, "bounded-3")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("idempotency-records-exhausted")
        assert "retry-after" in refused.headers
        # Nothing was created, a retry of a stored one still replays, others are unaffected.
        assert await _count(client, owner) == 3
        replay = await _create(client, owner, "bounded-0")
        assert replay.headers["idempotent-replayed"] == "true"
        assert (await _create(client, other, "bounded-0")).status_code == 201
        assert (
            await client.post(
                "/api/v1/clients", json={"full_name": "No key"}, headers=owner.headers
            )
        ).status_code == 201
    finally:
        middleware.max_records = app.state.settings.idempotency_max_records_per_caller


def _idempotency_middleware(app: Any) -> IdempotencyMiddleware:
    """The app's own middleware instance (built on the first request)."""
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, IdempotencyMiddleware):
        layer = getattr(layer, "app", None)
    assert isinstance(layer, IdempotencyMiddleware)
    return layer


async def test_the_worker_prunes_expired_records(
    client: httpx.AsyncClient, db: AsyncSession, owner_engine: AsyncEngine
) -> None:
    owner = await signup(client)
    await _create(client, owner, "short-lived")
    await _create(client, owner, "kept")
    mine = [r for r in await _records(db) if r.organization_id == owner.organization_id]
    old = next(r for r in mine if r.key == "short-lived")
    await db.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == old.id)
        .values(created_at=utc_now() - timedelta(hours=25))
        .execution_options(**unscoped())
    )
    await db.commit()
    assert await prune_expired(create_sessionmaker(owner_engine), timedelta(hours=24)) >= 1
    left = [r.key for r in await _records(db) if r.organization_id == owner.organization_id]
    assert left == ["kept"]
