"""Sign-up and password sign-in."""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.db.tenancy import bind_organization
from app.models import Membership
from app.models.enums import Role
from tests.factories.identity import PASSWORD, sign_in, signup, unique_email


def _signup_body(**overrides: Any) -> dict[str, Any]:
    return {
        "organization_name": "Brightpath",
        "full_name": "Sam Signup",
        "email": unique_email("signup"),
        "password": PASSWORD,
        **overrides,
    }


async def test_signup_then_sign_in_gives_a_working_token(client: httpx.AsyncClient) -> None:
    body = _signup_body()
    created = await client.post("/api/v1/auth/signup", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "owner"

    signed_in = await sign_in(client, body["email"])
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["organization_id"] == created.json()["organization_id"]
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["user"]["email"] == body["email"]
    assert me.json()["organization_name"] == "Brightpath"


async def test_email_is_matched_case_insensitively(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert owner.email is not None
    assert (await sign_in(client, owner.email.upper())).status_code == 200


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    wrong_password = await client.post(
        "/api/v1/auth/token", data={"username": owner.email, "password": "not the password"}
    )
    unknown_email = await client.post(
        "/api/v1/auth/token",
        data={"username": unique_email("nobody"), "password": "not the password"},
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.headers["content-type"] == "application/problem+json"
    assert wrong_password.json() == unknown_email.json()


async def test_repeated_failures_lock_out_even_the_right_password(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    for _ in range(settings.login_max_failures):
        failed = await client.post(
            "/api/v1/auth/token", data={"username": owner.email, "password": "wrong guess!"}
        )
        assert failed.status_code == 401

    assert owner.email is not None
    limited = await sign_in(client, owner.email)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) >= 1
    # Another account is not affected by this one's lockout.
    other = await signup(client)
    assert other.email is not None
    assert (await sign_in(client, other.email)).status_code == 200


async def test_a_success_does_not_give_guessers_a_fresh_budget(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    for _ in range(settings.login_max_failures - 1):
        await client.post(
            "/api/v1/auth/token", data={"username": owner.email, "password": "wrong guess!"}
        )
    # A success counts for nothing either way: failures only.
    assert (await sign_in(client, owner.email)).status_code == 200
    assert (await sign_in(client, owner.email)).status_code == 200

    last_guess = await client.post(
        "/api/v1/auth/token", data={"username": owner.email, "password": "wrong guess!"}
    )
    assert last_guess.status_code == 401
    assert (await sign_in(client, owner.email)).status_code == 429


async def test_signup_with_a_taken_email_conflicts(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    assert owner.email is not None
    again = await client.post("/api/v1/auth/signup", json=_signup_body(email=owner.email.upper()))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_short_password_is_rejected_with_field_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/signup", json=_signup_body(password="short1234"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["loc"] for e in errors] == [["body", "password"]]


async def test_member_of_two_organizations_must_choose_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await signup(client, organization_name="Alpha Coaching")
    second = await signup(client, organization_name="Beta Coaching")
    await bind_organization(db, second.organization_id)
    db.add(
        Membership(organization_id=second.organization_id, user_id=first.user_id, role=Role.coach)
    )
    await db.commit()
    assert first.email is not None

    ambiguous = await sign_in(client, first.email)
    assert ambiguous.status_code == 409
    assert ambiguous.headers["content-type"] == "application/problem+json"
    body = ambiguous.json()
    assert body["type"].endswith("organization-required")
    assert body["organizations"] == [
        {"id": str(first.organization_id), "name": "Alpha Coaching"},
        {"id": str(second.organization_id), "name": "Beta Coaching"},
    ]

    chosen = await sign_in(client, first.email, organization_id=str(second.organization_id))
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["organization_id"] == str(second.organization_id)
    assert chosen.json()["role"] == "coach"
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {chosen.json()['access_token']}"}
    )
    assert me.json()["organization_id"] == str(second.organization_id)
    assert me.json()["role"] == "coach"

    # An organization the user does not belong to looks like bad credentials.
    stranger = await signup(client)
    refused = await sign_in(client, first.email, organization_id=str(stranger.organization_id))
    assert refused.status_code == 401


async def test_a_password_is_kept_exactly_as_typed(client: httpx.AsyncClient) -> None:
    """Spaces are part of a passphrase: the sign-in form does not strip them, so sign-up
    must not either, or the account could never be signed into."""
    padded = "  correct horse battery  "
    body = _signup_body(password=padded)
    assert (await client.post("/api/v1/auth/signup", json=body)).status_code == 201
    form = {"username": body["email"], "password": padded}
    assert (await client.post("/api/v1/auth/token", data=form)).status_code == 200
    form["password"] = padded.strip()
    assert (await client.post("/api/v1/auth/token", data=form)).status_code == 401
