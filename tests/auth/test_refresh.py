"""Rotating refresh tokens: each works once; a replayed one ends the whole sign-in."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.time import set_clock
from app.db.tenancy import bind_organization
from app.models import Membership
from app.models.enums import Role
from tests.factories.identity import PASSWORD, add_member, signup


async def _refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/api/v1/auth/refresh", json={"refresh_token": token})


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthorized")


async def test_refresh_rotates_and_each_token_works_once(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert owner.refresh_token is not None

    rotated = await _refresh(client, owner.refresh_token)
    assert rotated.status_code == 200, rotated.text
    tokens = rotated.json()
    assert tokens["refresh_token"] != owner.refresh_token
    assert tokens["organization_id"] == str(owner.organization_id)
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200

    again = await _refresh(client, tokens["refresh_token"])
    assert again.status_code == 200, again.text


async def test_reusing_a_rotated_token_revokes_the_whole_sign_in(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    assert owner.refresh_token is not None
    second = (await _refresh(client, owner.refresh_token)).json()["refresh_token"]
    newest = (await _refresh(client, second)).json()["refresh_token"]

    replayed = await _refresh(client, owner.refresh_token)
    _assert_refused(replayed)
    assert "revoked" in replayed.json()["detail"]
    # The legitimate holder's newest token dies with the family.
    _assert_refused(await _refresh(client, newest))


async def test_other_sign_ins_survive_a_revoked_family(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert owner.refresh_token is not None
    assert owner.email is not None
    other_session = await client.post(
        "/api/v1/auth/token",
        data={"username": owner.email, "password": PASSWORD},
    )
    other_refresh = other_session.json()["refresh_token"]

    await _refresh(client, owner.refresh_token)
    _assert_refused(await _refresh(client, owner.refresh_token))
    assert (await _refresh(client, other_refresh)).status_code == 200


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert owner.refresh_token is not None
    logged_out = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": owner.refresh_token}
    )
    assert logged_out.status_code == 204
    _assert_refused(await _refresh(client, owner.refresh_token))


async def test_logout_with_an_unknown_token_is_harmless(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": "nonsense"})
    assert response.status_code == 204


async def test_garbage_refresh_tokens_are_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert owner.refresh_token is not None
    token_id, _, _ = owner.refresh_token.partition(".")
    for garbage in ("garbage", "not-hex.secret", f"{token_id}.wrong-secret", "."):
        _assert_refused(await _refresh(client, garbage))
    # A wrong guess does not burn the real token.
    assert (await _refresh(client, owner.refresh_token)).status_code == 200


async def test_refresh_body_is_validated(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh", json={})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    assert owner.refresh_token is not None
    later = datetime.now(UTC) + timedelta(days=settings.refresh_token_days, minutes=1)
    set_clock(lambda: later)
    try:
        _assert_refused(await _refresh(client, owner.refresh_token))
    finally:
        set_clock(None)


async def test_removed_member_cannot_refresh(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    assert coach.refresh_token is not None
    await bind_organization(db, owner.organization_id)
    await db.execute(delete(Membership).where(Membership.user_id == coach.user_id))
    await db.commit()
    _assert_refused(await _refresh(client, coach.refresh_token))
