"""Sending the outbox: claims due messages, hands each to the transport, records every
attempt, retries with back-off.

Like webhook dispatch (`app.webhooks.dispatch`), it runs in the worker, as a role that
sees every organization. Claims are leases taken with `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so two workers never send one message at once; a worker killed while
sending leaves its lease to expire and another sends the message again, with the same
`Message-ID`, which receiving servers (and the `.eml` folder) keep once. No transaction
is held while a message is on the wire.
"""

import asyncio
import email.message
import logging
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.backoff import retry_delay
from app.core.config import Settings
from app.core.time import utc_now
from app.mail.transport import SendFailed, Transport, mime_message, transport_for
from app.models import EmailAttempt, EmailMessage, EmailStatus

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; after the last, the message fails.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
BATCH_SIZE = 20


def lease_for(settings: Settings) -> timedelta:
    """How long a claim lasts: one SMTP conversation (connect, then send, each up to
    the timeout) with a wide margin (`email_lease_margin_seconds`)."""
    return timedelta(
        seconds=settings.smtp_timeout_seconds * 2 + settings.email_lease_margin_seconds
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Lease up to `limit` due messages to this worker, oldest due first."""
    due = (
        select(EmailMessage.id)
        .where(
            EmailMessage.status == EmailStatus.pending,
            EmailMessage.next_attempt_at <= now,
            or_(EmailMessage.claimed_until.is_(None), EmailMessage.claimed_until < now),
        )
        .order_by(EmailMessage.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(EmailMessage)
        .where(EmailMessage.id.in_(due.scalar_subquery()))
        .values(claimed_until=now + lease)
        .returning(EmailMessage.id)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(claim)).scalars())


async def _record(
    session: AsyncSession,
    email_id: uuid.UUID,
    attempted_at: datetime,
    duration_ms: int,
    failure: SendFailed | None,
) -> None:
    message = await session.get(EmailMessage, email_id, with_for_update=True)
    if message is None or message.status != EmailStatus.pending:
        return
    session.add(
        EmailAttempt(
            email_id=email_id,
            attempted_at=attempted_at,
            succeeded=failure is None,
            duration_ms=duration_ms,
            error=None if failure is None else str(failure)[:500],
        )
    )
    message.attempt_count += 1
    message.claimed_until = None
    if failure is None:
        message.status = EmailStatus.sent
        message.sent_at = attempted_at
        # The recipient has it now; the outbox keeps who, what and when, not links.
        message.text_body = message.html_body = ""
    else:
        delay = None if failure.permanent else retry_delay(RETRY_DELAYS, message.attempt_count)
        if delay is None:
            message.status = EmailStatus.failed
            logger.warning("email %s (%s) failed for good: %s", email_id, message.kind, failure)
        else:
            message.next_attempt_at = utc_now() + delay
    await session.flush()


async def send_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    transport: Transport,
    email_id: uuid.UUID,
) -> None:
    """One attempt of one claimed message, recorded."""
    async with sessionmaker() as session:
        message = await session.get(EmailMessage, email_id)
        if message is None or message.status != EmailStatus.pending:
            return
        recipient = message.to_address
        failure: SendFailed | None = None
        try:
            mime: email.message.EmailMessage | None = mime_message(message, settings)
        except ValueError as exc:  # a header the email library refuses: no retry helps
            mime, failure = None, SendFailed(f"unsendable: {exc}"[:500], permanent=True)
        await session.commit()
    attempted_at = utc_now()
    started = time.perf_counter()
    if mime is not None:
        try:
            await transport.send(mime, recipient)
        except SendFailed as exc:
            failure = exc
    duration_ms = int((time.perf_counter() - started) * 1000)
    async with sessionmaker() as session:
        await _record(session, email_id, attempted_at, duration_ms, failure)
        await session.commit()


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    transport: Transport | None = None,
    limit: int = BATCH_SIZE,
) -> int:
    """Claim what is due and attempt each of it once; returns how many were attempted."""
    lease = lease_for(settings)
    async with sessionmaker() as session:
        claimed = await claim_due(session, now=utc_now(), lease=lease, limit=limit)
        await session.commit()
    if not claimed:
        return 0
    transport = transport or transport_for(settings)
    results = await asyncio.gather(
        *(send_one(sessionmaker, settings, transport, email_id) for email_id in claimed),
        return_exceptions=True,
    )
    for email_id, result in zip(claimed, results, strict=True):
        if isinstance(result, BaseException):
            # Its lease expires and a later pass sends it again.
            logger.error("email %s failed to process", email_id, exc_info=result)
    return len(claimed)
