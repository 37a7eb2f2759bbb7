"""Digest preferences by their member, the worker's scan and claim, and the rows a
digest shows (from the doors: `readable_client_ids`, `readable_interviews`)."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.momentum import quiet_since, stalled_since
from app.clients.repository import readable_client_ids
from app.core.errors import register_constraint
from app.db.tenancy import unscoped
from app.interviews.repository import readable_interviews
from app.models import (
    Client,
    Company,
    Contact,
    DigestFrequency,
    DigestPreference,
    Interview,
    Membership,
    Organization,
    Outreach,
    User,
)
from app.models.enums import ClientStatus
from app.models.pipeline import InterviewStage
from app.traction.counts import is_referral

register_constraint(
    "uq_digest_preferences_membership_id",
    "Your digest preferences were changed at the same moment; read them and try again.",
)


async def own_membership(session: AsyncSession, user_id: uuid.UUID) -> Membership | None:
    statement = select(Membership).where(Membership.user_id == user_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def preference_of(session: AsyncSession, membership_id: uuid.UUID) -> DigestPreference | None:
    statement = select(DigestPreference).where(DigestPreference.membership_id == membership_id)
    return (await session.execute(statement)).scalar_one_or_none()


# --- the worker ----------------------------------------------------------------------


async def members_page(
    session: AsyncSession,
    *,
    after: uuid.UUID | None,
    limit: int,
    organization_ids: Collection[uuid.UUID] | None,
) -> Sequence[Any]:
    """Every membership of every organization (by id, from `after`) whose digest is not
    switched off, with its schedule (null columns: the defaults) and the organization's
    zone. The worker's role sees every organization."""
    statement = (
        select(
            Membership.id.label("membership_id"),
            Membership.organization_id,
            Membership.user_id,
            Membership.role,
            Membership.client_id,
            Organization.timezone.label("organization_timezone"),
            DigestPreference.id.label("preference_id"),
            DigestPreference.frequency,
            DigestPreference.weekday,
            DigestPreference.hour,
            DigestPreference.timezone,
            DigestPreference.last_period_start,
        )
        .join(Organization, Organization.id == Membership.organization_id)
        .outerjoin(DigestPreference, DigestPreference.membership_id == Membership.id)
        .where(
            or_(
                DigestPreference.id.is_(None),
                DigestPreference.frequency != DigestFrequency.never,
            )
        )
        .order_by(Membership.id)
        .limit(limit)
        .execution_options(**unscoped())
    )
    if after is not None:
        statement = statement.where(Membership.id > after)
    if organization_ids is not None:
        statement = statement.where(Membership.organization_id.in_(list(organization_ids)))
    return (await session.execute(statement)).all()


async def claim_period(
    session: AsyncSession, preference_id: uuid.UUID, period_start: datetime
) -> bool:
    """Mark the period settled, unless it already is (or the digest was switched off
    since the scan): True when this transaction claimed it. A second worker's claim
    waits for this one's commit on the row lock, then finds nothing to update."""
    claim = (
        update(DigestPreference)
        .where(
            DigestPreference.id == preference_id,
            DigestPreference.frequency != DigestFrequency.never,
            or_(
                DigestPreference.last_period_start.is_(None),
                DigestPreference.last_period_start < period_start,
            ),
        )
        .values(last_period_start=period_start)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(claim)
    return getattr(result, "rowcount", 0) == 1


async def claim_first_period(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    membership_id: uuid.UUID,
    frequency: DigestFrequency,
    weekday: int,
    hour: int,
    period_start: datetime,
) -> bool:
    """The row of a member who had the defaults, written with the period settled; False
    when another transaction wrote the member's row first (it settles the period)."""
    values = {
        "id": uuid.uuid4(),
        "organization_id": organization_id,
        "membership_id": membership_id,
        "frequency": frequency,
        "weekday": weekday,
        "hour": hour,
        "timezone": None,
        "last_period_start": period_start,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(DigestPreference)
        .values(values)
        .on_conflict_do_nothing(index_elements=["membership_id"])
        .returning(DigestPreference.id)
    )
    return (await session.execute(statement)).first() is not None


async def recipient(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


# --- what a digest shows ---------------------------------------------------------------


async def stalled_clients(
    session: AsyncSession, principal: Principal, *, now: datetime, days: int, limit: int
) -> Sequence[Any]:
    """(id, full_name, quiet_since) of the active clients the member sees that have not
    moved for `days` (`app.clients.momentum`), the longest still first."""
    quiet = quiet_since().label("quiet_since")
    statement = (
        select(Client.id, Client.full_name, quiet)
        .where(
            Client.id.in_(readable_client_ids(principal)),
            Client.status == ClientStatus.active,
            quiet_since() < stalled_since(now, days),
        )
        .order_by(quiet, Client.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def newly_cold(
    session: AsyncSession,
    principal: Principal,
    *,
    since: datetime,
    now: datetime,
    cold_after_days: int,
    limit: int,
) -> Sequence[Any]:
    """(client_id, client_name, count) of contacts that went cold between `since` and
    `now` (their last touch crossed `cold_after_days` in that time), per client."""
    cold_after = timedelta(days=cold_after_days)
    count = func.count().label("count")
    statement = (
        select(Contact.client_id, Client.full_name.label("client_name"), count)
        .join(Client, Client.id == Contact.client_id)
        .where(
            Contact.client_id.in_(readable_client_ids(principal)),
            Client.status == ClientStatus.active,
            Contact.last_contacted_at >= since - cold_after,
            Contact.last_contacted_at < now - cold_after,
        )
        .group_by(Contact.client_id, Client.full_name)
        .order_by(count.desc(), Client.full_name)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def meetings(
    session: AsyncSession, principal: Principal, *, start: datetime, end: datetime, limit: int
) -> Sequence[Any]:
    """Interviews still `scheduled` between `start` and `end` of the clients the member
    sees, soonest first, with the names a digest shows."""
    statement = (
        readable_interviews(principal)
        .with_only_columns(
            Interview.id,
            Interview.kind,
            Interview.scheduled_at,
            Interview.client_id,
            Client.full_name.label("client_name"),
            Contact.full_name.label("contact_name"),
            func.coalesce(Company.name, Contact.company_name).label("company_name"),
        )
        .join(Client, Client.id == Interview.client_id)
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .outerjoin(Company, Company.id == Interview.company_id)
        .where(
            Interview.stage == InterviewStage.scheduled,
            Interview.scheduled_at >= start,
            Interview.scheduled_at < end,
        )
        .order_by(Interview.scheduled_at, Interview.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def wins(
    session: AsyncSession, client_id: uuid.UUID, *, since: datetime, now: datetime
) -> tuple[int, int, int]:
    """(replies received, meetings held, referrals gained) of one client in the window,
    counted as traction counts them."""
    replies = select(func.count()).where(
        Outreach.client_id == client_id,
        Outreach.responded_at >= since,
        Outreach.responded_at < now,
    )
    held = select(func.count()).where(
        Interview.client_id == client_id,
        Interview.held_at >= since,
        Interview.held_at < now,
    )
    referrals = select(func.count()).where(
        Contact.client_id == client_id,
        Contact.created_at >= since,
        Contact.created_at < now,
        is_referral(),
    )
    counts = [int(await session.scalar(q) or 0) for q in (replies, held, referrals)]
    return counts[0], counts[1], counts[2]
