"""Forged, stale and misused access tokens: one table, each case a token a caller could send.

Each case starts from a real sign-in's claims (so its sign-in is alive) and changes one
thing, signed with python-jose here. Every case is a 401 problem, except the controls
(200) and a lowered role, which is judged with the role the member has now.
"""

import base64
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.models.enums import Role
from tests.conftest import TEST_JWT_SECRET
from tests.factories.identity import PASSWORD, Actor, add_member, signup

_YEAR = 365 * 24 * 3600


@dataclass
class World:
    client: httpx.AsyncClient
    db: AsyncSession
    settings: Settings
    owner: Actor

    async def me(self, token: str) -> httpx.Response:
        return await self.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    async def used(self, token: str) -> str:
        """`token`, after one successful use: the app now remembers it as verified."""
        response = await self.me(token)
        assert response.status_code == 200, response.text
        return token


def _claims_of(world: World, **changes: Any) -> dict[str, Any]:
    """The owner's real claims with fresh times and `changes` (None removes a claim)."""
    now = int(time.time())
    claims: dict[str, Any] = jwt.get_unverified_claims(world.owner.token)
    claims |= {"iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    claims |= changes
    return {name: value for name, value in claims.items() if value is not None}


def _sign(claims: dict[str, Any], *, key: str = TEST_JWT_SECRET, alg: str = "HS256") -> str:
    return str(jwt.encode(claims, key, algorithm=alg))


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


def _forged(**changes: Any) -> Callable[[World], Awaitable[str]]:
    async def forge(world: World) -> str:
        return _sign(_claims_of(world, **changes))

    return forge


async def _unsigned(world: World) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims_of(world))}."


async def _wrong_key(world: World) -> str:
    return _sign(_claims_of(world), key="an-attacker-secret-" + "y" * 40)


async def _hs512(world: World) -> str:
    return _sign(_claims_of(world), alg="HS512")


async def _labelled_rs256(world: World) -> str:
    # HMAC-signed with our key, the header claiming RS256 (python-jose #398/#414).
    token = str(
        jwt.encode(_claims_of(world), TEST_JWT_SECRET, algorithm="HS256", headers={"alg": "RS256"})
    )
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    return token


async def _expired(world: World) -> str:
    now = int(time.time())
    return _sign(_claims_of(world, iat=now - 1200, exp=now - 300))


async def _issued_next_year(world: World) -> str:
    now = int(time.time())
    return _sign(_claims_of(world, iat=now + _YEAR, exp=now + _YEAR + 600))


async def _issued_with_clock_skew(world: World) -> str:
    return _sign(_claims_of(world, iat=int(time.time()) + 20))


async def _exp_as_string(world: World) -> str:
    return _sign(_claims_of(world, exp=str(int(time.time()) + 600)))


async def _iat_as_string(world: World) -> str:
    return _sign(_claims_of(world, iat=str(int(time.time()))))


async def _exp_as_fraction(world: World) -> str:
    return _sign(_claims_of(world, exp=time.time() + 600.5))


async def _not_yet_valid(world: World) -> str:
    return _sign(_claims_of(world, nbf=int(time.time()) + 3600))


async def _nbf_as_string(world: World) -> str:
    return _sign(_claims_of(world, nbf=str(int(time.time()))))


async def _exp_before_iat(world: World) -> str:
    now = int(time.time())
    return _sign(_claims_of(world, iat=now + 30, exp=now + 10))


async def _mfa_token(world: World) -> str:
    return _sign(
        _claims_of(
            world, aud=f"{world.settings.jwt_audience}/mfa", typ="mfa", purpose="verify", sid=None
        )
    )


async def _refresh_token(world: World) -> str:
    assert world.owner.refresh_token is not None
    return world.owner.refresh_token


async def _another_users_sign_in(world: World) -> str:
    # A real, live sign-in family, but not this member's.
    other = await signup(world.client)
    return _sign(_claims_of(world, sid=jwt.get_unverified_claims(other.token)["sid"]))


async def _removed_member(world: World) -> str:
    coach = await add_member(world.client, world.db, world.owner.organization_id, Role.coach)
    token = await world.used(coach.token)
    removed = await world.client.delete(
        f"/api/v1/members/{coach.user_id}", headers=world.owner.headers
    )
    assert removed.status_code == 204, removed.text
    return token


async def _after_logout(world: World) -> str:
    token = await world.used(world.owner.token)
    logged_out = await world.client.post(
        "/api/v1/auth/logout", json={"refresh_token": world.owner.refresh_token}
    )
    assert logged_out.status_code == 204, logged_out.text
    return token


async def _another_sign_in_after_logout(world: World) -> str:
    assert world.owner.email is not None
    other = await world.client.post(
        "/api/v1/auth/token", data={"username": world.owner.email, "password": PASSWORD}
    )
    assert other.status_code == 200, other.text
    await _after_logout(world)
    return str(other.json()["access_token"])


async def _after_refresh_token_reuse(world: World) -> str:
    token = await world.used(world.owner.token)
    for _ in range(2):  # the second use of the same refresh token revokes the sign-in
        await world.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": world.owner.refresh_token}
        )
    return token


async def _after_a_refresh(world: World) -> str:
    token = await world.used(world.owner.token)
    rotated = await world.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": world.owner.refresh_token}
    )
    assert rotated.status_code == 200, rotated.text
    return token


async def _admin_lowered_to_coach(world: World) -> str:
    admin = await add_member(world.client, world.db, world.owner.organization_id, Role.admin)
    listed = await world.client.get("/api/v1/api-keys", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    lowered = await world.client.patch(
        f"/api/v1/members/{admin.user_id}", json={"role": "coach"}, headers=world.owner.headers
    )
    assert lowered.status_code == 200, lowered.text
    assert jwt.get_unverified_claims(admin.token)["role"] == "admin"
    return admin.token


@dataclass(frozen=True)
class Case:
    forge: Callable[[World], Awaitable[str]]
    status: int = 401
    path: str = "/api/v1/me"


CASES: dict[str, Case] = {
    "a well-formed token": Case(_forged(), status=200),
    "iat a few seconds ahead (clock skew)": Case(_issued_with_clock_skew, status=200),
    "the old token after a refresh (same sign-in)": Case(_after_a_refresh, status=200),
    "another sign-in of a member who logged out": Case(_another_sign_in_after_logout, 200),
    "alg none": Case(_unsigned),
    "signed with another key": Case(_wrong_key),
    "signed HS512": Case(_hs512),
    "header says RS256": Case(_labelled_rs256),
    "expired": Case(_expired),
    "iat a year in the future": Case(_issued_next_year),
    "exp before iat": Case(_exp_before_iat),
    "nbf in the future": Case(_not_yet_valid),
    "exp as a string": Case(_exp_as_string),
    "iat as a string": Case(_iat_as_string),
    "nbf as a string": Case(_nbf_as_string),
    "exp as a fraction": Case(_exp_as_fraction),
    "exp as true": Case(_forged(exp=True)),
    "exp as infinity": Case(_forged(exp=float("inf"))),
    "exp beyond any calendar": Case(_forged(exp=10**20)),
    "iat as infinity": Case(_forged(iat=float("inf"))),
    "missing exp": Case(_forged(exp=None)),
    "missing iat": Case(_forged(iat=None)),
    "missing sub": Case(_forged(sub=None)),
    "missing org": Case(_forged(org=None)),
    "missing jti": Case(_forged(jti=None)),
    "missing aud": Case(_forged(aud=None)),
    "missing iss": Case(_forged(iss=None)),
    "missing typ (issued before typ existed)": Case(_forged(typ=None)),
    "missing sid": Case(_forged(sid=None)),
    "wrong aud": Case(_forged(aud="another-api")),
    "wrong iss": Case(_forged(iss="someone-else")),
    "typ refresh": Case(_forged(typ="refresh")),
    "typ mfa at the access audience": Case(_forged(typ="mfa")),
    "sub not a uuid": Case(_forged(sub="owner")),
    "sub a uuid in another spelling": Case(_forged(sub="{" + "0" * 32 + "}")),
    "org as a number": Case(_forged(org=12345)),
    "jti not hex": Case(_forged(jti="not-a-token-id")),
    "jti as a number": Case(_forged(jti=7)),
    "sid not a uuid": Case(_forged(sid="family")),
    "sid of no sign-in": Case(_forged(sid=str(uuid.uuid4()))),
    "sid of another user's sign-in": Case(_another_users_sign_in),
    "an mfa token": Case(_mfa_token),
    "a refresh token": Case(_refresh_token),
    "a removed member's token": Case(_removed_member),
    "a token after logout": Case(_after_logout),
    "a token after its refresh token was reused": Case(_after_refresh_token_reuse),
    # Judged with the role the member has now: a coach may not list API keys.
    "a role lowered since issue": Case(_admin_lowered_to_coach, 403, "/api/v1/api-keys"),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_a_forged_or_stale_access_token_is_judged_strictly(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, name: str
) -> None:
    case = CASES[name]
    world = World(client=client, db=db, settings=settings, owner=await signup(client))
    token = await case.forge(world)

    response = await client.get(case.path, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == case.status, response.text
    if case.status == 200:
        return
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == case.status
    assert body["title"]
    if case.status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
        assert body["type"].endswith("/unauthorized")


async def test_a_lowered_role_is_the_role_the_member_has_now(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    world = World(client=client, db=db, settings=settings, owner=await signup(client))
    token = await _admin_lowered_to_coach(world)

    me = await world.me(token)
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "coach"
    # What a coach may do still works with the old token.
    members = await client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    assert members.status_code == 200, members.text
