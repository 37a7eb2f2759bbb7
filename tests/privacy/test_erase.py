"""`POST /clients/{client_id}/erase`: personal data goes, anonymous counts stay."""

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.models import DeliveryStatus, Event, User, WebhookDelivery
from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.identity import Actor, add_member, sign_in, signup
from tests.factories.traction import frozen_clock, get_traction
from tests.factories.webhooks import create_endpoint
from tests.privacy.dataset import LOGIN_PASSWORD, export_of, rich_client


async def erase(
    http: httpx.AsyncClient, actor: Actor, client_id: str, confirm_name: str
) -> httpx.Response:
    return await http.post(
        f"/api/v1/clients/{client_id}/erase",
        json={"confirm_name": confirm_name},
        headers=actor.headers,
    )


def _figures(traction: dict[str, Any]) -> dict[str, Any]:
    """What the traction counts: the window's figures, the one before, the weeks."""
    return {key: traction[key] for key in ("current", "previous", "weeks")}


async def _organization_counts(http: httpx.AsyncClient, owner: Actor) -> dict[str, Any]:
    response = await http.get("/api/v1/reports/organization", headers=owner.headers)
    assert response.status_code == 200, response.text
    organization = response.json()["organization"]
    return {key: organization[key] for key in ("clients", "totals", "funnel")}


async def _arrange_pending_delivery(
    http: httpx.AsyncClient, db: AsyncSession, owner: Actor, client_id: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """A pending delivery of an event about the client, and a sent one (arranged directly:
    the endpoint is disabled so nothing is ever sent)."""
    endpoint = await create_endpoint(http, owner, "https://93.184.216.34/hooks", enabled=False)
    await bind_organization(db, owner.organization_id)
    events = (
        await db.execute(select(Event.id).where(Event.client_id == uuid.UUID(client_id)))
    ).scalars()
    first, second = list(events)[:2]
    pending, sent = (
        WebhookDelivery(
            organization_id=owner.organization_id,
            endpoint_id=uuid.UUID(endpoint["id"]),
            event_id=event_id,
            message_id=f"msg_{uuid.uuid4().hex}",
            status=status,
        )
        for event_id, status in (
            (first, DeliveryStatus.pending),
            (second, DeliveryStatus.succeeded),
        )
    )
    db.add_all([pending, sent])
    await db.commit()
    return pending.id, sent.id


async def test_erasure_leaves_no_personal_data_and_keeps_the_counts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    with frozen_clock("2030-06-10T10:00:00+00:00"):
        owner = await signup(client)
        data = await rich_client(client, owner)
        neighbour = await rich_client(client, owner, tag="-n")
        pending_id, sent_id = await _arrange_pending_delivery(client, db, owner, data.client_id)
        traction_before = await get_traction(client, owner, data.client_id)
        organization_before = await _organization_counts(client, owner)
        exported_before = await export_of(client, owner, data.client_id)
        # Each value is really there to erase, so its absence afterwards means something.
        for value in data.personal:
            assert value in exported_before.text, f"{value!r} was never stored"
        before = exported_before.json()

        response = await erase(client, owner, data.client_id, "Grace Hopperton")
        assert response.status_code == 200, response.text
        summary = response.json()
        assert summary["client_id"] == data.client_id
        assert (summary["contacts"], summary["interviews"], summary["outreach"]) == (2, 1, 1)
        assert (summary["companies"], summary["interactions"]) == (1, 3)
        assert summary["logins_removed"] == 1
        assert summary["webhook_deliveries_cancelled"] == 1
        assert summary["events"] == len(before["events"])

        exported = await export_of(client, owner, data.client_id)
        assert exported.status_code == 200
        for value in data.personal:
            assert value not in exported.text, f"{value!r} survived the erasure"
        after = exported.json()
        assert after["client"]["full_name"] == "Erased client"
        assert after["client"]["status"] == "archived"
        assert after["client"]["email"] is None
        assert {c["full_name"] for c in after["contacts"]} == {"Erased contact"}
        assert after["logins"] == []
        assert all(set(e["data"]) == {"erased", "id"} for e in after["events"])
        # The rows stay, with their structure: counts, stages, dates, links.
        assert len(after["contacts"]) == len(before["contacts"])
        assert {c["referred_by_id"] for c in after["contacts"]} == {None, data.contact_id}
        assert after["interviews"][0]["stage"] == "held"
        assert len(after["interviews"][0]["stage_history"]) == 3
        assert [o["status"] for o in after["outreach"]] == ["sent"]
        assert after["companies"][0]["name"] == "Acme"

        assert _figures(await get_traction(client, owner, data.client_id)) == _figures(
            traction_before
        )
        assert await _organization_counts(client, owner) == organization_before
        # Nothing of another client was touched.
        untouched = await export_of(client, owner, neighbour.client_id)
        assert "Lovelaceworth-n" in untouched.text
        assert "Hopperton-n" in untouched.text
        log = await client.get("/api/v1/audit-log?limit=200", headers=owner.headers)
        assert log.status_code == 200, log.text
        assert any(entry["action"] == "erase" for entry in log.json()["data"])
        for value in data.personal:
            assert value not in log.text

    await bind_organization(db, owner.organization_id)
    deliveries = (
        await db.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.id.in_([pending_id, sent_id]))
        )
    ).scalars()
    assert list(deliveries) == [sent_id]


async def test_the_erasure_is_audited_and_the_log_survives_it(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner, full_name="Grace Audited")
    entries_before = (
        await client.get(
            "/api/v1/audit-log", params={"client_id": grace["id"]}, headers=owner.headers
        )
    ).json()["data"]
    assert (await erase(client, owner, grace["id"], "Grace Audited")).status_code == 200

    entries = (
        await client.get(
            "/api/v1/audit-log", params={"client_id": grace["id"]}, headers=owner.headers
        )
    ).json()["data"]
    assert entries[0]["action"] == "erase"
    assert entries[0]["object_id"] == grace["id"]
    assert entries[0]["actor_user_id"] == str(owner.user_id)
    assert "contacts.email" in entries[0]["changes"]
    assert entries[1:] == entries_before


async def test_the_clients_login_is_removed_and_its_account_deleted(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    data = await rich_client(client, owner)
    signed_in = await sign_in(client, data.login_email, password=LOGIN_PASSWORD)
    assert signed_in.status_code == 200
    token = signed_in.json()["access_token"]

    assert (await erase(client, owner, data.client_id, "Grace Hopperton")).status_code == 200
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    again = await sign_in(client, data.login_email, password=LOGIN_PASSWORD)
    assert again.status_code == 401
    users = await db.execute(select(User.id).where(User.email == data.login_email))
    assert users.first() is None
    members = await client.get("/api/v1/members", headers=owner.headers)
    assert data.login_email not in members.text


async def test_a_login_that_belongs_to_another_organization_keeps_its_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner, full_name="Grace Twice")
    login = await add_member(client, db, owner.organization_id, Role.client, client_id=grace["id"])
    elsewhere = await signup(client, organization_name="Second practice")
    invited = await client.post(
        "/api/v1/invitations",
        json={"email": login.email, "role": "coach"},
        headers=elsewhere.headers,
    )
    assert invited.status_code == 201, invited.text
    accepted = await client.post(
        f"/api/v1/invitations/{invited.json()['token']}/accept",
        json={"full_name": "Grace Twice", "password": "correct horse battery staple"},
    )
    assert accepted.status_code == 200, accepted.text

    assert (await erase(client, owner, grace["id"], "Grace Twice")).status_code == 200
    signed_in = await sign_in(client, str(login.email))
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["organization_id"] == str(elsewhere.organization_id)


async def test_the_name_must_match_exactly(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner, full_name="Grace Hopper")
    for wrong in ("grace hopper", "Grace", "Grace Hopper Jr"):
        response = await erase(client, owner, grace["id"], wrong)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "confirm_name"]
    missing = await client.post(
        f"/api/v1/clients/{grace['id']}/erase", json={}, headers=owner.headers
    )
    assert missing.status_code == 422
    unchanged = await client.get(f"/api/v1/clients/{grace['id']}", headers=owner.headers)
    assert unchanged.json()["full_name"] == "Grace Hopper"


async def test_erasing_twice_is_fine(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner, full_name="Grace Again")
    first = await erase(client, owner, grace["id"], "Grace Again")
    assert first.status_code == 200
    # A retry carries the original name, which is gone: it succeeds all the same.
    second = await erase(client, owner, grace["id"], "Grace Again")
    assert second.status_code == 200, second.text
    log = await client.get("/api/v1/audit-log", params={"action": "erase"}, headers=owner.headers)
    assert len(log.json()["data"]) == 2


async def test_only_owners_and_admins_erase(
    client: httpx.AsyncClient, db: AsyncSession, cast: Cast
) -> None:
    owner, coach, own_login = cast.owner, cast.coach, cast.client_login
    org = owner.organization_id
    grace, henry = cast.seeker, cast.other
    stranger = await signup(client, organization_name="Elsewhere")

    assert (await erase(client, coach, grace["id"], grace["full_name"])).status_code == 403
    assert (await erase(client, coach, henry["id"], henry["full_name"])).status_code == 404
    assert (await erase(client, own_login, grace["id"], grace["full_name"])).status_code == 403
    assert (await erase(client, stranger, grace["id"], grace["full_name"])).status_code == 404
    admin = await add_member(client, db, org, Role.admin)
    assert (await erase(client, admin, henry["id"], henry["full_name"])).status_code == 200
    kept = await client.get(f"/api/v1/clients/{grace['id']}", headers=owner.headers)
    assert kept.json()["full_name"] == grace["full_name"]
