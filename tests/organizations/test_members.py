import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.models import ClientCoach, RefreshToken
from app.models.enums import Role
from tests.factories.clients import assign_coach, create_client
from tests.factories.identity import Actor, add_api_key, add_member, signup


async def _members(http: httpx.AsyncClient, actor: Actor) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/members", headers=actor.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_staff_list_members_with_their_roles(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    grace = await create_client(client, owner)
    await assign_coach(client, owner, grace["id"], coach)
    seeker = await add_member(client, db, owner.organization_id, Role.client, client_id=grace["id"])

    members = await _members(client, coach)
    assert [(m["user_id"], m["role"]) for m in members] == [
        (str(owner.user_id), "owner"),
        (str(coach.user_id), "coach"),
        (str(seeker.user_id), "client"),
    ]
    assert members[0]["email"] == owner.email
    assert members[0]["full_name"] == "Olive Owner"
    assert members[2]["client_id"] == grace["id"]
    assert members[0]["joined_at"]


async def test_a_coach_sees_the_staff_and_the_logins_of_their_own_clients_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    colleague = await add_member(client, db, owner.organization_id, Role.coach)
    grace = await create_client(client, owner, full_name="Grace Coached")
    hugo = await create_client(client, owner, full_name="Hugo Elsewhere")
    await assign_coach(client, owner, grace["id"], coach)
    await assign_coach(client, owner, hugo["id"], colleague)
    grace_login = await add_member(
        client, db, owner.organization_id, Role.client, client_id=grace["id"]
    )
    hugo_login = await add_member(
        client, db, owner.organization_id, Role.client, client_id=hugo["id"]
    )

    staff = [owner, admin, coach, colleague]
    seen_by_coach = await _members(client, coach)
    assert [m["user_id"] for m in seen_by_coach] == [
        *(str(a.user_id) for a in staff),
        str(grace_login.user_id),
    ]
    # Hugo is not the coach's client: nothing of his login shows, not even in passing.
    assert hugo_login.email not in str(seen_by_coach)
    assert hugo["id"] not in {m["client_id"] for m in seen_by_coach}
    # Page by page, the same members and no more.
    paged: list[str] = []
    params = {"limit": "2"}
    while True:
        page = (await client.get("/api/v1/members", params=params, headers=coach.headers)).json()
        paged += [m["user_id"] for m in page["data"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert paged == [m["user_id"] for m in seen_by_coach]

    # The client's login appears and disappears with the assignment.
    unassigned = await client.delete(
        f"/api/v1/clients/{grace['id']}/coaches/{coach.user_id}", headers=owner.headers
    )
    assert unassigned.status_code == 204, unassigned.text
    assert [m["role"] for m in await _members(client, coach)] == [
        "owner",
        "admin",
        "coach",
        "coach",
    ]
    # Owners and admins see everyone.
    every = [*staff, grace_login, hugo_login]
    for manager in (owner, admin):
        assert [m["user_id"] for m in await _members(client, manager)] == [
            str(a.user_id) for a in every
        ]


async def test_a_coach_is_refused_changing_a_hidden_client_login_as_any_member(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Member administration is for owners and admins: a coach gets 403 for every member,
    so a hidden login answers exactly like a visible one and reveals nothing."""
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    hugo = await create_client(client, owner)
    hidden = await add_member(client, db, owner.organization_id, Role.client, client_id=hugo["id"])
    for url in (f"/api/v1/members/{hidden.user_id}", f"/api/v1/members/{owner.user_id}"):
        patched = await client.patch(url, json={"role": "admin"}, headers=coach.headers)
        assert patched.status_code == 403
        assert (await client.delete(url, headers=coach.headers)).status_code == 403
    assert (await client.get("/api/v1/me", headers=hidden.headers)).json()["role"] == "client"


async def test_members_list_is_paginated(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    for _ in range(2):
        await add_member(client, db, owner.organization_id, Role.coach)
    first = await client.get("/api/v1/members?limit=2", headers=owner.headers)
    assert len(first.json()["data"]) == 2
    cursor = first.json()["next_cursor"]
    second = await client.get(f"/api/v1/members?limit=2&cursor={cursor}", headers=owner.headers)
    assert len(second.json()["data"]) == 1
    assert second.json()["next_cursor"] is None


async def test_client_role_and_api_keys_cannot_list_members(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    seeker = await add_member(client, db, owner.organization_id, Role.client, client_id=grace["id"])
    key = await add_api_key(db, owner.organization_id, ["organization:read", "clients:read"])
    assert (await client.get("/api/v1/members", headers=seeker.headers)).status_code == 403
    assert (await client.get("/api/v1/members", headers=key.headers)).status_code == 403


async def test_owner_promotes_a_coach_to_admin(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    response = await client.patch(
        f"/api/v1/members/{coach.user_id}", json={"role": "admin"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "admin"
    # The role is read from the membership on every request, so it applies at once.
    assert (await client.get("/api/v1/me", headers=coach.headers)).json()["role"] == "admin"


async def test_only_an_owner_grants_or_removes_the_owner_role(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    coach = await add_member(client, db, owner.organization_id, Role.coach)

    grant = await client.patch(
        f"/api/v1/members/{coach.user_id}", json={"role": "owner"}, headers=admin.headers
    )
    assert grant.status_code == 403
    demote = await client.patch(
        f"/api/v1/members/{owner.user_id}", json={"role": "coach"}, headers=admin.headers
    )
    assert demote.status_code == 403
    by_owner = await client.patch(
        f"/api/v1/members/{coach.user_id}", json={"role": "owner"}, headers=owner.headers
    )
    assert by_owner.status_code == 200


async def test_the_last_owner_cannot_be_demoted_or_removed(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    url = f"/api/v1/members/{owner.user_id}"
    demoted = await client.patch(url, json={"role": "admin"}, headers=owner.headers)
    assert demoted.status_code == 409
    assert demoted.headers["content-type"] == "application/problem+json"
    removed = await client.delete(url, headers=owner.headers)
    assert removed.status_code == 409
    assert (await client.get("/api/v1/me", headers=owner.headers)).json()["role"] == "owner"


async def test_an_owner_may_step_down_when_another_owner_remains(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    second = await add_member(client, db, owner.organization_id, Role.owner)
    response = await client.patch(
        f"/api/v1/members/{owner.user_id}", json={"role": "admin"}, headers=owner.headers
    )
    assert response.status_code == 200
    last = await client.delete(f"/api/v1/members/{second.user_id}", headers=owner.headers)
    assert last.status_code == 403  # now an admin: may not remove an owner
    assert (
        await client.patch(
            f"/api/v1/members/{second.user_id}", json={"role": "coach"}, headers=second.headers
        )
    ).status_code == 409


async def test_client_role_needs_a_client_record_of_the_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    url = f"/api/v1/members/{coach.user_id}"
    missing = await client.patch(url, json={"role": "client"}, headers=owner.headers)
    assert missing.status_code == 422
    elsewhere = await create_client(client, await signup(client))
    foreign = await client.patch(
        url, json={"role": "client", "client_id": elsewhere["id"]}, headers=owner.headers
    )
    assert foreign.status_code == 422

    grace = await create_client(client, owner)
    await assign_coach(client, owner, grace["id"], coach)
    linked = await client.patch(
        url, json={"role": "client", "client_id": grace["id"]}, headers=owner.headers
    )
    assert linked.status_code == 200
    assert linked.json()["client_id"] == grace["id"]
    me = (await client.get("/api/v1/me", headers=coach.headers)).json()
    assert (me["role"], me["client_id"]) == ("client", grace["id"])
    coaches = (await client.get(f"/api/v1/clients/{grace['id']}", headers=owner.headers)).json()
    assert coaches["coach_ids"] == []


async def test_removed_member_is_signed_out_everywhere(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    grace = await create_client(client, owner)
    await assign_coach(client, owner, grace["id"], coach)

    response = await client.delete(f"/api/v1/members/{coach.user_id}", headers=admin.headers)
    assert response.status_code == 204

    assert (await client.get("/api/v1/me", headers=coach.headers)).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": coach.refresh_token}
    )
    assert refreshed.status_code == 401
    assert [m["user_id"] for m in await _members(client, owner)] == [
        str(owner.user_id),
        str(admin.user_id),
    ]
    await bind_organization(db, owner.organization_id)
    tokens = (
        await db.execute(select(RefreshToken).where(RefreshToken.user_id == coach.user_id))
    ).scalars()
    assert all(t.revoked_at is not None for t in tokens)
    assignments = await db.execute(select(ClientCoach).where(ClientCoach.coach_id == coach.user_id))
    assert assignments.first() is None


async def test_admin_cannot_remove_an_owner(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    await add_member(client, db, owner.organization_id, Role.owner)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    response = await client.delete(f"/api/v1/members/{owner.user_id}", headers=admin.headers)
    assert response.status_code == 403


async def test_coach_cannot_change_or_remove_members(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    other = await add_member(client, db, owner.organization_id, Role.coach)
    url = f"/api/v1/members/{other.user_id}"
    assert (
        await client.patch(url, json={"role": "admin"}, headers=coach.headers)
    ).status_code == 403
    assert (await client.delete(url, headers=coach.headers)).status_code == 403


async def test_members_of_another_organization_do_not_exist_for_you(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    intruder = await signup(client, organization_name="Elsewhere")
    url = f"/api/v1/members/{coach.user_id}"
    patched = await client.patch(url, json={"role": "admin"}, headers=intruder.headers)
    assert patched.status_code == 404
    assert (await client.delete(url, headers=intruder.headers)).status_code == 404
    unknown = await client.delete(f"/api/v1/members/{uuid.uuid4()}", headers=owner.headers)
    assert unknown.status_code == 404
    assert (await client.get("/api/v1/me", headers=coach.headers)).json()["role"] == "coach"


async def test_api_keys_cannot_manage_members(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    key = await add_api_key(db, owner.organization_id, ["organization:read", "clients:write"])
    url = f"/api/v1/members/{coach.user_id}"
    assert (await client.patch(url, json={"role": "admin"}, headers=key.headers)).status_code == 403
    assert (await client.delete(url, headers=key.headers)).status_code == 403
