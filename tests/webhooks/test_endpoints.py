"""Managing webhook endpoints: who may, what is shown, what is refused."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Environment, Settings
from app.core.errors import Unprocessable
from app.models.enums import Role
from app.webhooks.service import check_url
from tests.factories.identity import add_api_key, add_member, signup
from tests.factories.webhooks import create_endpoint

RECEIVER = "http://127.0.0.1:9/hooks"


@pytest.mark.usefixtures("allow_private_urls")
async def test_secret_is_shown_on_creation_only(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await create_endpoint(client, owner, RECEIVER, description="CRM sync")
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == []
    assert created["enabled"] is True

    read = await client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=owner.headers)
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.headers["etag"] == '"1"'
    listed = await client.get("/api/v1/webhook-endpoints", headers=owner.headers)
    assert [e["id"] for e in listed.json()["data"]] == [created["id"]]
    assert "secret" not in listed.json()["data"][0]


@pytest.mark.usefixtures("allow_private_urls")
async def test_update_takes_if_match_and_delete_removes(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await create_endpoint(client, owner, RECEIVER)
    url = f"/api/v1/webhook-endpoints/{created['id']}"
    updated = await client.patch(
        url,
        json={"event_types": ["client.created"], "enabled": False},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["event_types"] == ["client.created"]
    assert updated.json()["enabled"] is False
    stale = await client.patch(
        url, json={"description": "x"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    test = await client.post(f"{url}/test", headers=owner.headers)
    assert test.status_code == 409
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404


@pytest.mark.usefixtures("allow_private_urls")
async def test_unknown_event_types_are_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/webhook-endpoints",
        json={"url": RECEIVER, "event_types": ["client.created", "client.exploded"]},
        headers=owner.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "event_types"]


@pytest.mark.usefixtures("allow_private_urls")
async def test_coaches_cannot_manage_webhooks_and_keys_need_scopes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    endpoint = await create_endpoint(client, owner, RECEIVER)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    reader = await add_api_key(db, owner.organization_id, ["webhooks:read"])
    writer = await add_api_key(db, owner.organization_id, ["webhooks:read", "webhooks:write"])

    assert (await client.get("/api/v1/webhook-endpoints", headers=coach.headers)).status_code == 403
    assert (
        await client.get("/api/v1/webhook-endpoints", headers=reader.headers)
    ).status_code == 200
    rotate = f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    assert (await client.post(rotate, headers=reader.headers)).status_code == 403
    assert (await client.post(rotate, headers=writer.headers)).status_code == 200


@pytest.mark.usefixtures("allow_private_urls")
async def test_another_organizations_endpoint_and_delivery_are_not_found(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    stranger = await signup(client, organization_name="Elsewhere")
    endpoint = await create_endpoint(client, owner, RECEIVER)
    base = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    test = await client.post(f"{base}/test", headers=owner.headers)
    delivery_id = test.json()["id"]
    for method, path in [
        ("GET", base),
        ("PATCH", base),
        ("DELETE", base),
        ("POST", f"{base}/rotate-secret"),
        ("POST", f"{base}/test"),
        ("GET", f"{base}/deliveries"),
        ("POST", f"/api/v1/webhook-deliveries/{delivery_id}/retry"),
    ]:
        response = await client.request(
            method, path, headers=stranger.headers, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, path, response.status_code)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://localhost:8080/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:10.0.0.1]/hooks",
        "http://10.1.2.3/hooks",
        "http://100.64.0.1/hooks",
        "http://[fd00::1]/hooks",
        "http://[::1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
async def test_private_addresses_are_refused_at_registration(
    client: httpx.AsyncClient, url: str
) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/webhook-endpoints", json={"url": url}, headers=owner.headers
    )
    assert response.status_code == 422, response.text
    assert "private" in response.json()["detail"]


async def test_production_requires_https() -> None:
    production = Settings(
        env=Environment.production,
        jwt_secret="production-secret-" + "y" * 40,  # type: ignore[arg-type]
        totp_encryption_keys="production-totp-key-" + "y" * 40,  # type: ignore[arg-type]
    )
    with pytest.raises(Unprocessable, match="https"):
        await check_url(production, "http://hooks.example.com/coach")


@pytest.mark.usefixtures("allow_private_urls")
async def test_a_null_url_is_refused_before_any_precondition(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await create_endpoint(client, owner, RECEIVER)
    url = f"/api/v1/webhook-endpoints/{created['id']}"

    cleared = await client.patch(
        url, json={"url": None}, headers={**owner.headers, "If-Match": '"999"'}
    )

    # The body is wrong whatever the version: 422, not the stale If-Match's 412.
    assert cleared.status_code == 422, cleared.text
    still = await client.get(url, headers=owner.headers)
    assert still.json()["url"] == created["url"]
