"""The audit log: who did what to which object, read by owners and admins."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base
from app.db.session import create_sessionmaker
from app.db.tenancy import bind_organization
from app.models import AuditEntry
from app.models.enums import Role
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, add_member, sign_in, signup
from tests.factories.traction import frozen_clock


async def audit_log(http: httpx.AsyncClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/audit-log", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _about(entries: list[dict[str, Any]], object_id: Any) -> list[dict[str, Any]]:
    """Oldest first: the log lists newest first."""
    return [e for e in reversed(entries) if e["object_id"] == str(object_id)]


async def test_a_members_create_update_and_delete_are_recorded_with_the_member_as_actor(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    contact = await create_contact(client, owner, grace["id"], full_name="Ada Lovelace")
    patched = await client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"title": "Analyst of engines"},
        headers=owner.headers,
    )
    assert patched.status_code == 200, patched.text
    deleted = await client.delete(f"/api/v1/contacts/{contact['id']}", headers=owner.headers)
    assert deleted.status_code == 200, deleted.text

    entries = _about(await audit_log(client, owner, object_type="contact"), contact["id"])
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    for entry in entries:
        assert entry["actor_user_id"] == str(owner.user_id)
        assert entry["actor_api_key_id"] is None
        assert entry["actor_role"] == "owner"
        assert entry["client_id"] == grace["id"]
        assert entry["request_id"]
    assert "full_name" in entries[0]["changes"]
    assert entries[1]["changes"] == ["title"]
    assert entries[2]["changes"] == []


async def test_entries_name_fields_never_their_values(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner, full_name="Grace Secretname")
    contact = await create_contact(
        client, owner, grace["id"], full_name="Ada Privatename", email="ada.private@example.com"
    )
    patched = await client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"notes": "Confidential"}, headers=owner.headers
    )
    assert patched.status_code == 200, patched.text
    response = await client.get("/api/v1/audit-log?limit=200", headers=owner.headers)
    assert response.status_code == 200, response.text
    # The entries are there (create client, create contact, update contact): only values are not.
    assert len(response.json()["data"]) >= 3
    for value in ("Secretname", "Privatename", "ada.private@example.com", "Confidential"):
        assert value not in response.text


async def test_writes_through_an_api_key_name_the_key_as_actor_and_its_use_is_recorded_sparingly(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    key = await add_api_key(db, owner.organization_id, ["contacts:write", "contacts:read"])
    key_id = key.token.split("_")[1]
    with frozen_clock("2030-03-04T09:00:00+00:00") as clock:
        contact = await create_contact(client, key, grace["id"], full_name="Keyed Contact")
        await client.get(f"/api/v1/contacts/{contact['id']}", headers=key.headers)
        clock.set(clock.now + timedelta(seconds=30))
        await client.get(f"/api/v1/contacts/{contact['id']}", headers=key.headers)
        clock.set(clock.now + timedelta(minutes=2))
        await client.get(f"/api/v1/contacts/{contact['id']}", headers=key.headers)

    created = _about(await audit_log(client, owner, object_type="contact"), contact["id"])
    assert [e["action"] for e in created] == ["create"]
    assert created[0]["actor_api_key_id"] == str(uuid.UUID(hex=key_id))
    assert created[0]["actor_user_id"] is None
    assert created[0]["actor_role"] is None
    # Four requests: one entry for the first burst, one after the minute had passed.
    uses = await audit_log(client, owner, action="api_key_use")
    assert [(e["object_type"], e["object_id"]) for e in uses] == [
        ("api_key", str(uuid.UUID(hex=key_id)))
    ] * 2
    # The key's own bookkeeping (`last_used_at`) is not an update entry.
    assert await audit_log(client, owner, action="update", object_type="api_key") == []


async def test_a_role_change_and_a_sign_in_are_recorded(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    promoted = await client.patch(
        f"/api/v1/members/{coach.user_id}", json={"role": "admin"}, headers=owner.headers
    )
    assert promoted.status_code == 200, promoted.text
    signed_in = await sign_in(client, str(coach.email))
    assert signed_in.status_code == 200

    (change,) = await audit_log(client, owner, action="role_change")
    assert change["object_type"] == "member"
    assert change["object_id"] == str(coach.user_id)
    assert "role" in change["changes"]
    assert change["actor_user_id"] == str(owner.user_id)
    logins = await audit_log(client, owner, action="login", actor_id=str(coach.user_id))
    # Once when the test arranged the member, once now (as an admin).
    assert [e["actor_role"] for e in logins] == ["admin", "coach"]
    assert {e["object_id"] for e in logins} == {str(coach.user_id)}


async def test_a_failed_sign_in_leaves_no_entry_and_a_refresh_is_not_a_login(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    wrong = await client.post(
        "/api/v1/auth/token", data={"username": owner.email, "password": "not the password"}
    )
    assert wrong.status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
    )
    assert refreshed.status_code == 200, refreshed.text
    logins = await audit_log(client, owner, action="login")
    assert len(logins) == 1  # the sign-up's


async def test_bulk_writes_are_recorded_row_by_row(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    await assign_coach(client, owner, grace["id"], coach)
    imported = await client.post(
        f"/api/v1/clients/{grace['id']}/contacts/import",
        files={"file": ("c.csv", b"full_name\nAda One\nBob Two\n", "text/csv")},
        headers=owner.headers,
    )
    assert imported.status_code in (200, 201), imported.text
    removed = await client.delete(
        f"/api/v1/clients/{grace['id']}/coaches/{coach.user_id}", headers=owner.headers
    )
    assert removed.status_code == 204

    contacts = await client.get(f"/api/v1/clients/{grace['id']}/contacts", headers=owner.headers)
    contact_ids = {c["id"] for c in contacts.json()["data"]}
    created = await audit_log(client, owner, object_type="contact", action="create")
    assert {e["object_id"] for e in created} == contact_ids
    assert all("full_name" in e["changes"] and e["client_id"] == grace["id"] for e in created)
    assignment = await audit_log(client, owner, object_type="client_coach")
    assert [(e["action"], e["object_id"], e["client_id"]) for e in assignment] == [
        ("delete", str(coach.user_id), grace["id"]),
        ("create", str(coach.user_id), grace["id"]),
    ]


async def test_the_log_filters_and_paginates(client: httpx.AsyncClient) -> None:
    with frozen_clock("2030-05-01T12:00:00+00:00") as clock:
        owner = await signup(client)
        grace = await create_client(client, owner, full_name="Grace")
        clock.set("2030-05-01T12:05:00+00:00")
        henry = await create_client(client, owner, full_name="Henry")
        clock.set("2030-05-01T12:10:00+00:00")
        contact = await create_contact(client, owner, henry["id"])

        about_henry = await audit_log(client, owner, client_id=henry["id"])
        assert {(e["object_type"], e["object_id"]) for e in about_henry} == {
            ("client", henry["id"]),
            ("contact", contact["id"]),
        }
        by_id = await audit_log(client, owner, object_id=grace["id"])
        assert [e["object_id"] for e in by_id] == [grace["id"]]
        window = await audit_log(
            client, owner, since="2030-05-01T12:01:00Z", until="2030-05-01T12:06:00Z"
        )
        assert [e["object_id"] for e in window] == [henry["id"]]
        by_owner = await audit_log(client, owner, actor_id=str(owner.user_id), object_type="client")
        assert [e["object_id"] for e in by_owner] == [henry["id"], grace["id"]]

        first = await client.get("/api/v1/audit-log?limit=1", headers=owner.headers)
        second = await client.get(
            "/api/v1/audit-log",
            params={"limit": 1, "cursor": first.json()["next_cursor"]},
            headers=owner.headers,
        )
    assert first.json()["data"][0]["object_id"] == contact["id"]
    assert second.json()["data"][0]["object_id"] == henry["id"]


async def test_only_owners_admins_and_keys_with_audit_read_read_the_log(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    org = owner.organization_id
    admin = await add_member(client, db, org, Role.admin)
    coach = await add_member(client, db, org, Role.coach)
    seeker = await add_member(client, db, org, Role.client, client_id=grace["id"])
    reader_key = await add_api_key(db, org, ["audit:read"])
    other_key = await add_api_key(db, org, ["clients:read", "reports:read"])

    assert (await client.get("/api/v1/audit-log", headers=admin.headers)).status_code == 200
    assert (await client.get("/api/v1/audit-log", headers=reader_key.headers)).status_code == 200
    for refused in (coach, seeker, other_key):
        response = await client.get("/api/v1/audit-log", headers=refused.headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


async def test_an_organization_never_sees_another_ones_entries(client: httpx.AsyncClient) -> None:
    first = await signup(client, organization_name="First")
    second = await signup(client, organization_name="Second")
    grace = await create_client(client, first)
    assert await audit_log(client, second, object_id=grace["id"]) == []
    assert await audit_log(client, second, client_id=grace["id"]) == []


async def test_the_log_cannot_be_written_through_the_api(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/api/v1/audit-log", headers=owner.headers)
        assert response.status_code == 405


async def test_postgres_refuses_to_change_or_delete_entries(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the append-only trigger is PostgreSQL's")
    owner = await signup(client)
    await create_client(client, owner)
    # As the application's own role, the one RLS applies to.
    sessionmaker = create_sessionmaker(app.state.engine)
    for statement in (
        update(AuditEntry).values(action="delete"),
        delete(AuditEntry),
    ):
        async with sessionmaker() as session:
            await bind_organization(session, owner.organization_id)
            assert (await session.execute(select(AuditEntry.id))).first() is not None
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(statement)
            await session.rollback()
    assert len(await audit_log(client, owner)) >= 2


def test_every_tenant_model_is_audited_or_excluded_on_purpose() -> None:
    from app.audit.recorder import NOT_AUDITED, object_kind
    from app.db.base import TenantMixin

    tenant_models = {m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantMixin)}
    audited = {m for m in tenant_models if object_kind(m) is not None}
    assert audited | NOT_AUDITED == tenant_models
    assert not audited & NOT_AUDITED


async def test_sign_up_is_recorded_without_an_actor_then_a_login(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    entries = list(reversed(await audit_log(client, owner)))
    created = [(e["action"], e["object_type"]) for e in entries[:3]]
    assert ("create", "organization") in created
    assert ("create", "member") in created
    assert entries[2]["action"] == "login"
    assert entries[0]["actor_user_id"] is None
    assert datetime.fromisoformat(entries[0]["occurred_at"]) <= datetime.now(UTC)


async def test_filters_out_of_range_or_malformed_are_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    for params in (
        {"since": "9999-12-31T23:59:59-23:59"},
        {"until": "0001-01-01T00:00:00+23:59"},
        {"since": "2030-01-01T00:00:00"},  # no offset
        {"object_type": "Contact; DROP"},
        {"action": "shred"},
        {"cursor": "not-a-cursor"},
    ):
        response = await client.get("/api/v1/audit-log", params=params, headers=owner.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
