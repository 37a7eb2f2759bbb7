"""The email outbox: written with the request, sent by the worker, retried, recorded."""

import email
import email.message
import email.policy
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Settings
from app.core.time import utc_now
from app.db.session import create_sessionmaker
from app.mail import dispatch
from app.mail.transport import FolderTransport, transport_for
from app.models import EmailAttempt, EmailMessage, EmailStatus
from tests.factories.identity import signup, unique_email
from tests.mail.conftest import Mailbox, Worker


async def _invite(client: httpx.AsyncClient, address: str) -> None:
    owner = await signup(client)
    created = await client.post(
        "/api/v1/invitations", json={"email": address, "role": "coach"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text


async def _message_to(db: AsyncSession, address: str) -> EmailMessage:
    statement = (
        select(EmailMessage)
        .where(EmailMessage.to_address == address)
        .execution_options(populate_existing=True)  # as the worker left it
    )
    return (await db.execute(statement)).scalar_one()


async def _attempts(db: AsyncSession, message: EmailMessage) -> list[EmailAttempt]:
    statement = (
        select(EmailAttempt)
        .where(EmailAttempt.email_id == message.id)
        .order_by(EmailAttempt.attempted_at)
    )
    return list((await db.execute(statement)).scalars())


async def _make_due(db: AsyncSession, message: EmailMessage) -> None:
    await db.execute(
        update(EmailMessage).where(EmailMessage.id == message.id).values(next_attempt_at=utc_now())
    )
    await db.commit()


async def test_a_deferred_message_is_retried_with_the_same_message_id(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker, db: AsyncSession
) -> None:
    address = unique_email("deferred")
    await _invite(client, address)

    mailbox.reply = "451 4.3.0 try again later"
    await worker.run()
    deferred = await _message_to(db, address)
    first_attempts = await _attempts(db, deferred)
    deferred_status, deferred_until = deferred.status, deferred.next_attempt_at
    mailbox.reply = None
    await _make_due(db, deferred)
    await worker.run()
    sent = await _message_to(db, address)
    attempts = await _attempts(db, sent)

    assert deferred_status == EmailStatus.pending
    assert deferred_until > first_attempts[0].attempted_at
    assert [a.succeeded for a in first_attempts] == [False]
    assert "451" in (first_attempts[0].error or "")
    assert sent.status == EmailStatus.sent
    assert [a.succeeded for a in attempts] == [False, True]
    assert mailbox.one_to(address)["Message-ID"] == sent.message_id
    # Sent: the outbox keeps who, what and when; not the body and its link.
    assert (sent.text_body, sent.html_body) == ("", "")


async def test_a_refused_recipient_fails_for_good_without_retries(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker, db: AsyncSession
) -> None:
    address = unique_email("refused")
    await _invite(client, address)

    mailbox.reply = "550 5.1.1 no such mailbox"
    await worker.run()
    failed = await _message_to(db, address)

    assert failed.status == EmailStatus.failed
    assert len(await _attempts(db, failed)) == 1


async def test_an_unreachable_server_is_a_retry_not_a_loss(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, settings: Settings, db: AsyncSession
) -> None:
    address = unique_email("unreachable")
    await _invite(client, address)
    closed_port = Mailbox(port=1).port  # nothing listens on port 1 of loopback

    sessionmaker = create_sessionmaker(owner_engine)
    unreachable = settings.model_copy(
        update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{closed_port}")}
    )
    await dispatch.run_once(sessionmaker, unreachable, transport=transport_for(unreachable))
    message = await _message_to(db, address)

    assert message.status == EmailStatus.pending
    assert message.attempt_count == 1
    assert message.next_attempt_at > utc_now()


async def test_a_claim_lasts_twice_the_timeout_plus_the_lease_margin(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, settings: Settings
) -> None:
    address = unique_email("leased")
    await _invite(client, address)
    leased = settings.model_copy(
        update={"smtp_timeout_seconds": 7.0, "email_lease_margin_seconds": 5.0}
    )
    sessionmaker = create_sessionmaker(owner_engine)
    claimed_until: list[datetime] = []

    class Watching:
        """Reads the lease while the message is on the wire, then accepts it."""

        async def send(self, message: email.message.EmailMessage, recipient: str) -> None:
            if recipient != address:
                return
            async with sessionmaker() as session:
                row = await _message_to(session, address)
                assert row.claimed_until is not None
                claimed_until.append(row.claimed_until)

    before = utc_now()
    await dispatch.run_once(sessionmaker, leased, transport=Watching())
    after = utc_now()

    assert dispatch.lease_for(leased) == timedelta(seconds=19)
    (until,) = claimed_until
    assert before + timedelta(seconds=19) <= until <= after + timedelta(seconds=19)


async def test_without_a_server_messages_are_written_as_eml_files_once(
    client: httpx.AsyncClient,
    owner_engine: AsyncEngine,
    settings: Settings,
    db: AsyncSession,
    tmp_path: Path,
) -> None:
    address = unique_email("folder")
    await _invite(client, address)
    folder_settings = settings.model_copy(update={"smtp_url": None, "email_folder": str(tmp_path)})
    transport = transport_for(folder_settings)
    assert transport == FolderTransport(tmp_path)

    sessionmaker = create_sessionmaker(owner_engine)
    await dispatch.run_once(sessionmaker, folder_settings)
    message = await _message_to(db, address)
    # A worker that wrote the file and died before recording it sends it again: the
    # same file, not a second one.
    (written,) = _messages_in(tmp_path, address)
    await transport.send(written, address)

    assert len(_messages_in(tmp_path, address)) == 1
    assert written["Message-ID"] == message.message_id
    assert written["To"] == address
    assert message.status == EmailStatus.sent


def _messages_in(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        if parsed["To"] == address:
            found.append(parsed)
    return found


async def test_a_rolled_back_request_sends_nothing(
    client: httpx.AsyncClient, mailbox: Mailbox, worker: Worker
) -> None:
    owner = await signup(client)
    address = unique_email("member-already")
    first = await client.post(
        "/api/v1/invitations", json={"email": address, "role": "coach"}, headers=owner.headers
    )
    accepted = await client.post(
        f"/api/v1/invitations/{first.json()['token']}/accept",
        json={"full_name": "Already Here", "password": "a-long-enough-password"},
    )
    assert accepted.status_code == 200, accepted.text

    refused = await client.post(
        "/api/v1/invitations", json={"email": address, "role": "coach"}, headers=owner.headers
    )
    await worker.run()

    assert refused.status_code == 409
    assert len(mailbox.to(address)) == 1  # the first invitation's, not the refused one's
