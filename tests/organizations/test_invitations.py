from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import set_clock, utc_now
from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.identity import (
    PASSWORD,
    Actor,
    add_api_key,
    add_member,
    sign_in,
    signup,
    unique_email,
)

NEW_PASSWORD = "a brand new passphrase"


async def _invite(
    http: httpx.AsyncClient, inviter: Actor, role: str = "coach", **fields: Any
) -> dict[str, Any]:
    body = {"email": fields.pop("email", None) or unique_email("invitee"), "role": role, **fields}
    response = await http.post("/api/v1/invitations", json=body, headers=inviter.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _accept(
    http: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await http.post(
        f"/api/v1/invitations/{token}/accept",
        json={"full_name": "Ivy Invitee", "password": password},
    )


async def test_invitee_accepts_then_signs_in_with_the_invited_role(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    invitation = await _invite(client, owner, "coach", email="Ivy.Invitee@Example.com")
    assert invitation["email"] == "ivy.invitee@example.com"
    assert invitation["role"] == "coach"
    assert invitation["invited_by_id"] == str(owner.user_id)
    assert invitation["accepted_at"] is None
    assert invitation["token"].startswith(invitation["id"].replace("-", "") + ".")

    accepted = await _accept(client, invitation["token"])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "coach"
    assert accepted.json()["organization_id"] == str(owner.organization_id)

    signed_in = await client.post(
        "/api/v1/auth/token",
        data={"username": "ivy.invitee@example.com", "password": NEW_PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["role"] == "coach"
    assert me.json()["user"]["full_name"] == "Ivy Invitee"
    members = await client.get("/api/v1/members", headers=owner.headers)
    assert "ivy.invitee@example.com" in [m["email"] for m in members.json()["data"]]


async def test_an_invitation_works_only_once(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    invitation = await _invite(client, owner)
    assert (await _accept(client, invitation["token"])).status_code == 200
    again = await _accept(client, invitation["token"])
    assert again.status_code == 410
    assert again.headers["content-type"] == "application/problem+json"


async def test_an_expired_invitation_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    invitation = await _invite(client, owner)
    later = utc_now() + timedelta(days=8)
    set_clock(lambda: later)
    try:
        response = await _accept(client, invitation["token"])
    finally:
        set_clock(None)
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]


async def test_unknown_or_forged_tokens_are_not_found(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    invitation = await _invite(client, owner)
    invitation_hex = invitation["id"].replace("-", "")
    for token in ("nonsense", f"{invitation_hex}.wrong-secret", f"{invitation_hex}.", "a.b"):
        response = await _accept(client, token)
        assert response.status_code == 404, (token, response.text)


async def test_invite_for_client_role_links_the_login_to_the_client(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    invitation = await _invite(client, owner, "client", client_id=grace["id"])
    assert invitation["client_id"] == grace["id"]
    accepted = await _accept(client, invitation["token"])
    assert accepted.status_code == 200
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {accepted.json()['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["client_id"]) == ("client", grace["id"])


async def test_client_invitations_need_a_client_you_may_see(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach, mine, unassigned = cast.owner, cast.coach, cast.seeker, cast.other
    foreign = await create_client(client, await signup(client))

    async def invite(actor: Actor, **body: Any) -> int:
        response = await client.post(
            "/api/v1/invitations",
            json={"email": unique_email(), **body},
            headers=actor.headers,
        )
        return response.status_code

    assert await invite(owner, role="client") == 422
    assert await invite(owner, role="coach", client_id=mine["id"]) == 422
    assert await invite(owner, role="client", client_id=foreign["id"]) == 422
    assert await invite(coach, role="client", client_id=unassigned["id"]) == 422
    assert await invite(coach, role="client", client_id=mine["id"]) == 201
    assert await invite(coach, role="coach") == 403


async def test_who_may_invite(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    grace = await create_client(client, owner)
    seeker = await add_member(client, db, owner.organization_id, Role.client, client_id=grace["id"])
    key = await add_api_key(db, owner.organization_id, ["organization:read", "clients:write"])

    async def invite(actor: Actor, role: str) -> int:
        response = await client.post(
            "/api/v1/invitations",
            json={"email": unique_email(), "role": role},
            headers=actor.headers,
        )
        return response.status_code

    assert await invite(admin, "admin") == 201
    assert await invite(admin, "owner") == 403
    assert await invite(owner, "owner") == 201
    assert await invite(seeker, "coach") == 403
    assert await invite(key, "coach") == 403


async def test_inviting_an_existing_member_conflicts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    assert coach.email is not None
    response = await client.post(
        "/api/v1/invitations",
        json={"email": coach.email.upper(), "role": "admin"},
        headers=owner.headers,
    )
    assert response.status_code == 409


async def test_an_existing_account_joins_with_its_own_password(
    client: httpx.AsyncClient,
) -> None:
    first = await signup(client, organization_name="First practice")
    second = await signup(client, organization_name="Second practice")
    assert first.email is not None
    invitation = await _invite(client, second, "admin", email=first.email)

    wrong = await _accept(client, invitation["token"], password=NEW_PASSWORD)
    assert wrong.status_code == 401
    joined = await _accept(client, invitation["token"], password=PASSWORD)
    assert joined.status_code == 200, joined.text
    assert joined.json()["organization_id"] == str(second.organization_id)
    assert joined.json()["role"] == "admin"

    # Now in two organizations: signing in asks which one.
    choice = await sign_in(client, first.email)
    assert choice.status_code == 409
    chosen = await sign_in(client, first.email, organization_id=str(second.organization_id))
    assert chosen.status_code == 200
    assert chosen.json()["role"] == "admin"


async def test_invitation_accept_validates_the_password(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    invitation = await _invite(client, owner)
    response = await _accept(client, invitation["token"], password="short")
    assert response.status_code == 422
    assert (await _accept(client, invitation["token"])).status_code == 200
