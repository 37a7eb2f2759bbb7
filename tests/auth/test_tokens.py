"""Access tokens: only an unexpired HS256 token we signed, for us, for a current member."""

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jose import jwt
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.security import InvalidToken, decode_access_token, issue_access_token
from app.core.time import set_clock
from app.db.tenancy import bind_organization
from app.models import Membership
from app.models.enums import Role
from tests.conftest import TEST_JWT_SECRET
from tests.factories.identity import Actor, add_member, signup


def _claims(settings: Settings, actor: Actor, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(actor.user_id),
        "org": str(actor.organization_id),
        "role": "owner",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        # The actor's sign-in, which must still stand.
        "sid": jwt.get_unverified_claims(actor.token)["sid"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: str = TEST_JWT_SECRET, **headers: Any) -> str:
    return str(jwt.encode(claims, key, algorithm="HS256", headers=headers or None))


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


async def _me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert body["type"].endswith("/unauthorized")
    assert body["title"]


async def test_a_token_we_signed_opens_me(client: httpx.AsyncClient, settings: Settings) -> None:
    owner = await signup(client)
    issued = await _me(client, owner.token)
    assert issued.status_code == 200
    assert issued.json()["role"] == "owner"

    # A token crafted with the configured secret and claims is accepted too:
    # the app verifies with the settings it was created with.
    crafted = await _me(client, _sign(_claims(settings, owner)))
    assert crafted.status_code == 200, crafted.text
    assert crafted.json()["user"]["id"] == str(owner.user_id)


async def test_alg_none_token_is_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    owner = await signup(client)
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(settings, owner))}."
    _assert_refused(await _me(client, unsigned))


async def test_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    forged = _sign(_claims(settings, owner), key="an-attacker-secret-" + "y" * 40)
    _assert_refused(await _me(client, forged))


async def test_token_for_another_audience_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    _assert_refused(await _me(client, _sign(_claims(settings, owner, aud="another-api"))))


async def test_token_from_another_issuer_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    _assert_refused(await _me(client, _sign(_claims(settings, owner, iss="someone-else"))))


async def test_expired_token_is_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    owner = await signup(client)
    assert owner.user_id is not None
    set_clock(lambda: datetime.now(UTC) - timedelta(hours=1))
    try:
        token, expires_at = issue_access_token(
            settings,
            user_id=owner.user_id,
            organization_id=owner.organization_id,
            role="owner",
            session_id=uuid.UUID(jwt.get_unverified_claims(owner.token)["sid"]),
        )
    finally:
        set_clock(None)
    assert expires_at < datetime.now(UTC)
    _assert_refused(await _me(client, token))


async def test_token_expires_after_its_lifetime(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    # Used once first, so the verified token is remembered: expiry is checked on every use.
    assert (await _me(client, owner.token)).status_code == 200
    later = datetime.now(UTC) + timedelta(minutes=settings.access_token_minutes, seconds=5)
    set_clock(lambda: later)
    try:
        _assert_refused(await _me(client, owner.token))
    finally:
        set_clock(None)
    assert (await _me(client, owner.token)).status_code == 200


async def test_a_remembered_token_is_not_accepted_under_another_secret(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    assert decode_access_token(settings, owner.token).user_id == owner.user_id
    rotated = settings.model_copy(update={"jwt_secret": SecretStr("rotated-secret-" + "z" * 40)})
    with pytest.raises(InvalidToken):
        decode_access_token(rotated, owner.token)


async def test_token_without_jti_is_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    owner = await signup(client)
    claims = _claims(settings, owner)
    del claims["jti"]
    _assert_refused(await _me(client, _sign(claims)))


@pytest.mark.parametrize("claim", ["sub", "org", "exp", "aud", "iss"])
async def test_token_missing_a_required_claim_is_refused(
    client: httpx.AsyncClient, settings: Settings, claim: str
) -> None:
    owner = await signup(client)
    claims = _claims(settings, owner)
    del claims[claim]
    _assert_refused(await _me(client, _sign(claims)))


async def test_hs256_token_claiming_rs256_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    mislabelled = _sign(_claims(settings, owner), alg="RS256")
    assert jwt.get_unverified_header(mislabelled)["alg"] == "RS256"
    _assert_refused(await _me(client, mislabelled))


async def test_malformed_bearer_values_are_refused(client: httpx.AsyncClient) -> None:
    for token in ("a.b.c", "not-a-token", "ck_nothex_secret", "....."):
        _assert_refused(await _me(client, token))
    _assert_refused(await client.get("/api/v1/me"))


async def test_token_of_a_removed_member_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    assert (await _me(client, coach.token)).status_code == 200

    await bind_organization(db, owner.organization_id)
    await db.execute(delete(Membership).where(Membership.user_id == coach.user_id))
    await db.commit()

    _assert_refused(await _me(client, coach.token))
    assert (await _me(client, owner.token)).status_code == 200


async def test_token_for_another_organization_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    other = await signup(client)
    # Valid signature, but the member is not in the organization the token names.
    crossed = _sign(_claims(settings, owner, org=str(other.organization_id)))
    _assert_refused(await _me(client, crossed))
