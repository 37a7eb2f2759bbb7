"""Webhook dispatch: claims due deliveries, posts them, records every attempt.

Cross-tenant by nature: one worker serves every organization, so it connects
as the owner / migrations role (`COACH_MIGRATIONS_DATABASE_URL`, else
`COACH_DATABASE_URL`). The claim query reads all organizations' deliveries at
once (`unscoped()`); everything after it works on one delivery with the
session bound to that delivery's organization, so the ORM hook and RLS apply
as they do for a request. On PostgreSQL the role must be allowed past
Row-Level Security (superuser or BYPASSRLS) for the claim to see any rows;
the worker checks this at start (`check_can_claim`).

Claims are leases (`claimed_until`), taken with `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several workers (and the in-process one) never send the same
delivery at once; a worker that dies leaves its lease to expire and another
sends the delivery again (at least once, same `webhook-id`). The loop that calls
`run_once` is `app.jobs.worker`.
"""

import asyncio
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import backoff
from app.core.config import Settings
from app.core.time import utc_now
from app.db.tenancy import bind_organization, unscoped
from app.events.service import record_event
from app.models import (
    DeliveryStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhooks import delivery as http_delivery
from app.webhooks.delivery import AttemptOutcome
from app.webhooks.schemas import WebhookEndpointRead
from app.webhooks.signing import message_body, signed_headers

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; after the last, the delivery fails.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER_FAILING_FOR = timedelta(days=5)
BATCH_SIZE = 20
POLL_SECONDS = 1.0
ENDPOINT_DISABLED = "endpoint disabled"


def retry_delay(failed_attempts: int) -> timedelta | None:
    """The wait before the next try after `failed_attempts` failures; None: give up."""
    return backoff.retry_delay(RETRY_DELAYS, failed_attempts)


def _lease(settings: Settings) -> timedelta:
    # Long enough to outlast one attempt with a wide margin.
    return timedelta(
        seconds=settings.webhook_timeout_seconds * 2 + settings.webhook_lease_margin_seconds
    )


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: uuid.UUID
    organization_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class _Message:
    url: str
    enabled: bool
    signing_secrets: list[str]
    message_id: str
    body: bytes


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    organization_ids: Collection[uuid.UUID] | None = None,
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries to this worker, oldest due first.

    `organization_ids` narrows the claim (tests, or a worker dedicated to some tenants).
    """
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if organization_ids is not None:
        due = due.where(WebhookDelivery.organization_id.in_(list(organization_ids)))
    if session.get_bind().dialect.name == "postgresql":
        # SQLite has one writer at a time; the same UPDATE is safe there without it.
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(due.scalar_subquery()))
        .values(claimed_until=now + lease)
        .returning(WebhookDelivery.id, WebhookDelivery.organization_id)
        .execution_options(synchronize_session=False, **unscoped())
    )
    rows = (await session.execute(claim)).all()
    return [ClaimedDelivery(id=row[0], organization_id=row[1]) for row in rows]


async def _prepare(session: AsyncSession, delivery_id: uuid.UUID) -> _Message | None:
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint, Event)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id == delivery_id)
        )
    ).one_or_none()
    if row is None:  # deleted with its endpoint meanwhile
        return None
    delivery, endpoint, event = row
    signing_secrets = [endpoint.secret]
    if (
        endpoint.previous_secret is not None
        and endpoint.previous_secret_expires_at is not None
        and endpoint.previous_secret_expires_at > utc_now()
    ):
        signing_secrets.append(endpoint.previous_secret)
    return _Message(
        url=endpoint.url,
        enabled=endpoint.enabled,
        signing_secrets=signing_secrets,
        message_id=delivery.message_id,
        body=message_body(event.type, event.occurred_at, event.payload),
    )


async def _disable(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    await session.flush()
    await record_event(
        session,
        organization_id=endpoint.organization_id,
        type="webhook_endpoint.disabled",
        client_id=None,
        payload=WebhookEndpointRead.model_validate(endpoint),
    )


async def _record_outcome(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    attempted_at: datetime,
    outcome: AttemptOutcome,
) -> None:
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    # Locked and re-read: concurrent outcomes for one endpoint (several workers, a
    # burst of failures) each update `failing_since`, a versioned write that would
    # otherwise fail for all but the first and leave the attempt unrecorded.
    endpoint = await session.get(
        WebhookEndpoint, delivery.endpoint_id, with_for_update=True, populate_existing=True
    )
    if endpoint is None:
        return
    now = utc_now()
    session.add(
        WebhookAttempt(
            organization_id=delivery.organization_id,
            delivery_id=delivery.id,
            attempted_at=attempted_at,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_headers=outcome.response_headers,
            response_body=outcome.response_body,
            error=outcome.error,
        )
    )
    delivery.attempt_count += 1
    delivery.last_attempt_at = attempted_at
    delivery.last_status_code = outcome.status_code
    delivery.claimed_until = None

    if outcome.succeeded:
        delivery.status = DeliveryStatus.succeeded
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
        await session.flush()
        return

    if outcome.error == ENDPOINT_DISABLED:
        delivery.status = DeliveryStatus.failed
        await session.flush()
        return

    if outcome.status_code == 410:
        # The receiver says the endpoint is gone for good: stop sending anything.
        delivery.status = DeliveryStatus.failed
        await _disable(session, endpoint, "gone")
        return

    delay = retry_delay(delivery.attempt_count)
    if delay is None:
        delivery.status = DeliveryStatus.failed
    else:
        delivery.next_attempt_at = now + delay
    if endpoint.failing_since is None:
        endpoint.failing_since = attempted_at
        await session.flush()
    elif now - endpoint.failing_since >= DISABLE_AFTER_FAILING_FOR:
        await _disable(session, endpoint, "failing")
    else:
        await session.flush()


async def deliver(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    claimed: ClaimedDelivery,
) -> None:
    """One attempt of one claimed delivery, recorded; no transaction is held while sending."""
    async with sessionmaker() as session:
        await bind_organization(session, claimed.organization_id)
        message = await _prepare(session, claimed.id)
        await session.commit()
    if message is None:
        return
    attempted_at = utc_now()
    if not message.enabled:
        outcome = AttemptOutcome(error=ENDPOINT_DISABLED)
    else:
        headers = signed_headers(
            message.signing_secrets,
            message_id=message.message_id,
            timestamp=int(attempted_at.timestamp()),
            body=message.body,
        )
        outcome = await http_delivery.post(
            message.url,
            body=message.body,
            headers=headers,
            timeout_seconds=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private_urls,
        )
    async with sessionmaker() as session:
        await bind_organization(session, claimed.organization_id)
        await _record_outcome(session, claimed.id, attempted_at, outcome)
        await session.commit()


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    limit: int = BATCH_SIZE,
    organization_ids: Collection[uuid.UUID] | None = None,
) -> int:
    """Claim what is due and attempt each of it once; returns how many were attempted."""
    async with sessionmaker() as session:
        claimed = await claim_due(
            session,
            now=utc_now(),
            lease=_lease(settings),
            limit=limit,
            organization_ids=organization_ids,
        )
        await session.commit()
    results = await asyncio.gather(
        *(deliver(sessionmaker, settings, c) for c in claimed), return_exceptions=True
    )
    for claimed_delivery, result in zip(claimed, results, strict=True):
        if isinstance(result, BaseException):
            # Its lease expires and a later pass sends it again.
            logger.error(
                "webhook delivery %s failed to process", claimed_delivery.id, exc_info=result
            )
    return len(claimed)


async def check_can_claim(
    sessionmaker: async_sessionmaker[AsyncSession], *, setting: str = "COACH_WORKER_DATABASE_URL"
) -> None:
    """On PostgreSQL, refuse to run as a role Row-Level Security would blind; `setting`
    names where the URL came from, so the error says what to change."""
    async with sessionmaker() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        role, allowed = (
            await session.execute(
                text(
                    "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles"
                    " WHERE rolname = current_user"
                )
            )
        ).one()
    if not allowed:
        raise WorkerRoleError(
            f"the worker connected as {role!r} ({setting}), a role Row-Level Security "
            "applies to: it would see no organization's work. Set COACH_WORKER_DATABASE_URL "
            "to a role with BYPASSRLS (README, 'Database roles')."
        )


class WorkerRoleError(RuntimeError):
    """The worker's database role cannot see every organization's rows."""
