"""Password reset by email (always 202, once, for 30 minutes) and change."""

import logging
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.models import AuditEntry, PasswordReset
from tests.factories.identity import PASSWORD, signup, unique_email
from tests.mail.conftest import Mailbox, Worker, token_in

NEW_PASSWORD = "a-brand-new-passphrase"


async def _sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


async def _reset_link(
    client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox, email: str
) -> str:
    asked = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert asked.status_code == 202, asked.text
    await worker.run()
    return token_in(mailbox.to(email)[-1])


async def test_a_reset_arrives_works_once_and_ends_every_sign_in(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker, db: AsyncSession
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    token = await _reset_link(client, worker, mailbox, owner.email)

    confirmed = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "yet-another-one"}
    )

    assert confirmed.status_code == 204, confirmed.text
    assert again.status_code == 410
    assert (await _sign_in(client, owner.email, PASSWORD)).status_code == 401
    assert (await _sign_in(client, owner.email, NEW_PASSWORD)).status_code == 200
    # The sign-in from before the reset is over: access and refresh token alike.
    assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
    )
    assert refreshed.status_code == 401
    await worker.run()
    notice = mailbox.to(owner.email)[-1]
    assert notice["Subject"] == "Your Coach API password was changed"
    await db.rollback()
    await bind_organization(db, owner.organization_id)
    actions = (
        await db.execute(
            select(AuditEntry.action).where(
                AuditEntry.organization_id == owner.organization_id,
                AuditEntry.object_id == owner.user_id,
            )
        )
    ).scalars()
    assert "password_reset" in set(actions)


async def test_a_reset_link_expires(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker, db: AsyncSession
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    token = await _reset_link(client, worker, mailbox, owner.email)
    reset_id = uuid.UUID(hex=token.split(".")[0])
    await db.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset_id)
        .values(expires_at=utc_now() - timedelta(seconds=1))
    )
    await db.commit()

    expired = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )

    assert expired.status_code == 410
    assert (await _sign_in(client, owner.email, PASSWORD)).status_code == 200


async def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    nobody = unique_email("nobody")

    known = await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": nobody})
    await worker.run()

    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 202
    assert len(mailbox.to(owner.email)) == 1
    assert mailbox.to(nobody) == []


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "00000000000000000000000000000000.secret", "", "a" * 600],
)
async def test_a_made_up_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_right_id_with_a_wrong_secret_is_refused(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    token = await _reset_link(client, worker, mailbox, owner.email)
    forged = token.split(".")[0] + ".guessed-secret"

    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": forged, "password": NEW_PASSWORD}
    )

    assert response.status_code == 404
    real = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert real.status_code == 204


async def test_reset_tokens_never_reach_the_logs(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    # At the level the service logs at (INFO): a DEBUG run also has the database
    # driver echo every statement's parameters, the outbox's bodies among them.
    with caplog.at_level(logging.INFO):
        token = await _reset_link(client, worker, mailbox, owner.email)
        await client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
        )
    secret = token.split(".")[1]
    assert secret not in caplog.text


async def test_change_needs_the_current_password_and_keeps_this_sign_in_only(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    other_sign_in = await _sign_in(client, owner.email, PASSWORD)
    assert other_sign_in.status_code == 200

    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not-the-password", "new_password": NEW_PASSWORD},
        headers=owner.headers,
    )
    same = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=owner.headers,
    )
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=owner.headers,
    )

    assert wrong.status_code == 422
    assert wrong.json()["type"].endswith("/wrong-password")
    assert same.status_code == 422
    assert same.json()["type"].endswith("/password-unchanged")
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 200
    other = {"Authorization": f"Bearer {other_sign_in.json()['access_token']}"}
    assert (await client.get("/api/v1/me", headers=other)).status_code == 401
    assert (await _sign_in(client, owner.email, NEW_PASSWORD)).status_code == 200
    await worker.run()
    assert mailbox.to(owner.email)[-1]["Subject"] == "Your Coach API password was changed"


async def test_an_api_key_cannot_change_a_password(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    key = await client.post(
        "/api/v1/api-keys", json={"name": "CRM", "scopes": ["clients:read"]}, headers=owner.headers
    )
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {key.json()['key']}"},
    )
    assert response.status_code == 403
