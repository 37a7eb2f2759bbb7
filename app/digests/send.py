"""In the worker: put each member's due digest in the email outbox, once per period.

Every sweep interval the worker reads the memberships of every organization whose
digest is on (`repository.members_page`) and, for each whose current period
(`app.digests.periods`) is not settled, in one transaction per member: **claims** the
period (moves `last_period_start` forward with a conditional `UPDATE`, or writes the
row of a member who had the defaults with `INSERT … ON CONFLICT DO NOTHING`), builds
the digest and enqueues it. The claim and the message commit together, so a worker
killed before the commit left nothing and the next pass sends; one killed after it
left a settled period and a message the outbox sends. Two workers claiming the same
row wait on its lock and the second updates nothing. An empty digest settles the
period without a message.
"""

import logging
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal
from app.core.config import Settings
from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.digests import content, periods, repository, tokens
from app.mail import outbox
from app.models import DigestFrequency, Organization
from app.models.enums import Role

logger = logging.getLogger(__name__)

SCAN_BATCH = 500


def schedule_of_row(row: Any) -> periods.Schedule:
    if row.preference_id is None:
        return periods.Schedule(
            periods.DEFAULT_FREQUENCY,
            periods.DEFAULT_WEEKDAY,
            periods.DEFAULT_HOUR,
            row.organization_timezone,
        )
    return periods.Schedule(
        DigestFrequency(row.frequency),
        row.weekday,
        row.hour,
        row.timezone or row.organization_timezone,
    )


async def send_due_digests(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    organization_ids: Collection[uuid.UUID] | None = None,
) -> int:
    """Settle every due period; returns how many digests were enqueued.

    `organization_ids` narrows the pass (tests, or a worker dedicated to some tenants)."""
    now = utc_now()
    enqueued = 0
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session:
            rows = await repository.members_page(
                session, after=after, limit=SCAN_BATCH, organization_ids=organization_ids
            )
            await session.commit()
        for row in rows:
            schedule = schedule_of_row(row)
            if not periods.is_due(schedule, row.last_period_start, now):
                continue
            try:
                enqueued += await _settle(sessionmaker, settings, row, schedule, now)
            except Exception:
                # Nothing of it was committed: the next pass settles the period.
                logger.exception("digest of membership %s failed", row.membership_id)
        if len(rows) < SCAN_BATCH:
            return enqueued
        after = rows[-1].membership_id


async def _settle(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    row: Any,
    schedule: periods.Schedule,
    now: datetime,
) -> int:
    period = periods.current_period(schedule, now)
    assert period is not None  # `is_due`
    async with sessionmaker() as session:
        await bind_organization(session, row.organization_id)
        if row.preference_id is None:
            claimed = await repository.claim_first_period(
                session,
                organization_id=row.organization_id,
                membership_id=row.membership_id,
                frequency=schedule.frequency,
                weekday=schedule.weekday,
                hour=schedule.hour,
                period_start=period.start,
            )
        else:
            claimed = await repository.claim_period(session, row.preference_id, period.start)
        if not claimed:
            await session.rollback()
            return 0
        sent = await _enqueue(session, settings, row, schedule, period, now)
        await session.commit()
    return sent


async def _enqueue(
    session: AsyncSession,
    settings: Settings,
    row: Any,
    schedule: periods.Schedule,
    period: periods.Period,
    now: datetime,
) -> int:
    user = await repository.recipient(session, row.user_id)
    organization = await session.get(Organization, row.organization_id)
    if user is None or organization is None:
        return 0
    role = Role(row.role)
    principal = Principal(
        organization_id=row.organization_id,
        user_id=row.user_id,
        role=role,
        client_id=row.client_id if role is Role.client else None,
    )
    digest = await content.build(session, principal, organization, user, schedule, period, now=now)
    if digest is None:
        return 0  # the period stays settled: nothing to say this time
    token = tokens.unsubscribe_token(settings, row.membership_id, row.organization_id)
    link = tokens.unsubscribe_url(settings, token)
    await outbox.enqueue(
        session,
        settings,
        kind="digest",
        to=user.email,
        subject=digest.subject,
        template=digest.template,
        context={**digest.context, "unsubscribe_url": link},
        organization_id=row.organization_id,
        user_id=row.user_id,
        # A client's digest is about that client: erasing it erases the message.
        client_id=principal.client_id,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return 1
