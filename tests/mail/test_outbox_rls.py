"""The outbox under Row-Level Security: the API's role adds messages and reset requests,
and reads or changes nothing of them but its own organization's messages (to erase
them) and the one reset a confirmation names. Plain SQL as that role: RLS alone."""

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.factories.identity import signup, unique_email
from tests.mail.conftest import Mailbox, Worker, token_in

pytestmark = pytest.mark.usefixtures("postgres_only")

COUNT_B_MAIL = "SELECT count(*) FROM email_messages WHERE organization_id = :b"
REWRITE_B_MAIL = "UPDATE email_messages SET subject = 'rewritten' WHERE organization_id = :b"
DELETE_B_MAIL = "DELETE FROM email_messages WHERE organization_id = :b"
COUNT_MAIL_OF_NO_ORGANIZATION = "SELECT count(*) FROM email_messages WHERE organization_id IS NULL"
COUNT_RESET = "SELECT count(*) FROM password_resets WHERE id = :id"
USE_RESET = "UPDATE password_resets SET used_at = now() WHERE id = :id"
DELETE_RESET = "DELETE FROM password_resets WHERE id = :id"


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("Row-Level Security is PostgreSQL only")


async def _set(connection: AsyncConnection, settings: Mapping[str, object]) -> None:
    for name, value in settings.items():
        await connection.execute(
            text("SELECT set_config(:name, :value, true)"), {"name": name, "value": str(value)}
        )


async def _count(
    engine: AsyncEngine, settings: Mapping[str, object], statement: str, **parameters: Any
) -> int:
    """Rows `statement` reads or changes as the API's role under `settings`; nothing kept."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await _set(connection, settings)
            result = await connection.execute(text(statement), parameters)
            return int(result.scalar_one() if statement.startswith("SELECT") else result.rowcount)
        finally:
            await transaction.rollback()


async def test_the_api_role_reads_no_one_elses_mail_and_no_reset_but_the_one_named(
    app: Any, client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    engine: AsyncEngine = app.state.engine
    a = await signup(client, organization_name="A")
    b = await signup(client, organization_name="B")
    invited = await client.post(
        "/api/v1/invitations",
        json={"email": unique_email("b-invitee"), "role": "coach"},
        headers=b.headers,
    )
    assert invited.status_code == 201
    assert a.email is not None
    await client.post("/api/v1/auth/password-reset", json={"email": a.email})
    await worker.run()
    reset_id = uuid.UUID(hex=token_in(mailbox.to(a.email)[-1]).split(".")[0])
    in_a = {"app.organization_id": a.organization_id}
    in_b = {"app.organization_id": b.organization_id}
    b_id = {"b": b.organization_id}

    # B's invitation: not A's to see or touch; B's own to read and erase, never to rewrite.
    assert await _count(engine, in_a, "SELECT count(*) FROM email_messages", **b_id) == 0
    assert await _count(engine, in_a, DELETE_B_MAIL, **b_id) == 0
    assert await _count(engine, in_b, COUNT_B_MAIL, **b_id) == 1
    assert await _count(engine, in_b, REWRITE_B_MAIL, **b_id) == 0
    assert await _count(engine, in_b, DELETE_B_MAIL, **b_id) == 1
    # A's reset message has no organization: no request reads it, not even A's own.
    for settings in (in_a, {"app.user_id": a.user_id}):
        assert await _count(engine, settings, COUNT_MAIL_OF_NO_ORGANIZATION) == 0
        assert await _count(engine, settings, "SELECT count(*) FROM email_attempts") == 0
    # Resets: none visible, but the one a confirmation names; written only for its login.
    assert await _count(engine, in_a, "SELECT count(*) FROM password_resets") == 0
    named = {"app.lookup_id": reset_id}
    assert await _count(engine, named, COUNT_RESET, id=reset_id) == 1
    assert await _count(engine, named, USE_RESET, id=reset_id) == 0
    assert await _count(engine, named, DELETE_RESET, id=reset_id) == 0
    itself = {"app.user_id": a.user_id}
    assert await _count(engine, itself, USE_RESET, id=reset_id) == 1
    assert await _count(engine, itself, DELETE_RESET, id=reset_id) == 0


async def test_the_api_role_cannot_plant_a_token_or_a_message_for_another(
    app: Any, client: httpx.AsyncClient
) -> None:
    engine: AsyncEngine = app.state.engine
    a = await signup(client, organization_name="A")
    b = await signup(client, organization_name="B")
    plant_reset = (
        "INSERT INTO password_resets (id, email, requested_at, expires_at, user_id, token_hash)"
        " VALUES (:id, :email, now(), now() + interval '1 hour', :user, 'chosen-hash')"
    )
    plant_message = (
        "INSERT INTO email_messages (id, organization_id, kind, to_address, subject, text_body,"
        " html_body, message_id, headers, status, attempt_count, next_attempt_at, created_at)"
        " VALUES (:id, :org, 'invitation', 'x@example.com', 's', 't', 'h', :mid, '{}',"
        " 'pending', 0, now(), now())"
    )
    for statement, parameters in (
        (plant_reset, {"email": a.email, "user": a.user_id}),
        (plant_message, {"org": b.organization_id, "mid": f"<{uuid.uuid4()}@x>"}),
    ):
        with pytest.raises(DBAPIError, match="row-level security"):
            await _count(
                engine,
                {"app.organization_id": a.organization_id, "app.user_id": a.user_id},
                statement,
                id=uuid.uuid4(),
                **parameters,
            )
