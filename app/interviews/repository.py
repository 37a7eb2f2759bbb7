"""The door to interviews, and the board's and next actions' SQL."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.models import Company, Contact, Interview, InterviewStageChange, Outreach
from app.models.pipeline import CompanyStatus, InterviewKind, InterviewStage, OutreachStatus


def readable_interviews(principal: Principal) -> Select[Interview]:
    """Interviews under the clients the caller may see."""
    return select(Interview).where(Interview.client_id.in_(readable_client_ids(principal)))


async def get_readable(
    session: AsyncSession,
    principal: Principal,
    interview_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Interview | None:
    """`for_update` locks the row, so that concurrent moves run one after the other and
    the later one sees the earlier one's result (a 409, not a lost update)."""
    statement = readable_interviews(principal).where(Interview.id == interview_id)
    if for_update:
        statement = statement.with_for_update(of=Interview).execution_options(
            populate_existing=True
        )
    return (await session.execute(statement)).scalar_one_or_none()


async def stage_history(
    session: AsyncSession, interview_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InterviewStageChange]]:
    """Every interview's stage changes, oldest first, in one query."""
    history: dict[uuid.UUID, list[InterviewStageChange]] = {i: [] for i in interview_ids}
    if not interview_ids:
        return history
    rows = await session.execute(
        select(InterviewStageChange)
        .where(InterviewStageChange.interview_id.in_(interview_ids))
        .order_by(InterviewStageChange.changed_at, InterviewStageChange.id)
    )
    for change in rows.scalars():
        history[change.interview_id].append(change)
    return history


async def board_counts(session: AsyncSession, client_id: uuid.UUID) -> Sequence[Any]:
    """(kind, stage, count, oldest stage_changed_at) per stage that has interviews."""
    statement = (
        select(
            Interview.kind,
            Interview.stage,
            func.count(),
            func.min(Interview.stage_changed_at),
        )
        .where(Interview.client_id == client_id)
        .group_by(Interview.kind, Interview.stage)
    )
    return (await session.execute(statement)).all()


async def board_cards(session: AsyncSession, client_id: uuid.UUID) -> Sequence[Any]:
    """Every interview of the client with its contact's and company's names, oldest first."""
    statement = (
        select(
            Interview.id,
            Interview.kind,
            Interview.stage,
            Interview.stage_changed_at,
            Interview.scheduled_at,
            Interview.contact_id,
            Contact.full_name,
            Interview.company_id,
            Company.name,
        )
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .outerjoin(Company, Company.id == Interview.company_id)
        .where(Interview.client_id == client_id)
        .order_by(Interview.stage_changed_at, Interview.id)
    )
    return (await session.execute(statement)).all()


# Next actions: one query each, newest-due last, at most `limit` rows.


async def thank_yous_due(
    session: AsyncSession, client_id: uuid.UUID, held_before: datetime, limit: int
) -> Sequence[Any]:
    statement = (
        select(Interview.id, Interview.contact_id, Interview.held_at, Contact.full_name)
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .where(
            Interview.client_id == client_id,
            Interview.stage == InterviewStage.held,
            Interview.held_at <= held_before,
            Interview.thank_you_sent_at.is_(None),
        )
        .order_by(Interview.held_at, Interview.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def unanswered_outreach(
    session: AsyncSession, client_id: uuid.UUID, sent_before: datetime, limit: int
) -> Sequence[Any]:
    statement = (
        select(Outreach.id, Outreach.contact_id, Outreach.sent_at, Contact.full_name)
        .join(Contact, Contact.id == Outreach.contact_id)
        .where(
            Outreach.client_id == client_id,
            Outreach.status == OutreachStatus.sent,
            Outreach.sent_at <= sent_before,
        )
        .order_by(Outreach.sent_at, Outreach.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def meetings_without_referrals(
    session: AsyncSession, client_id: uuid.UUID, limit: int
) -> Sequence[Any]:
    referred = aliased(Contact, name="referred")
    statement = (
        select(Interview.id, Interview.contact_id, Interview.held_at, Contact.full_name)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(
            Interview.client_id == client_id,
            Interview.kind == InterviewKind.informational,
            Interview.stage.in_([InterviewStage.held, InterviewStage.followed_up]),
            ~select(referred.id)
            .where(
                referred.client_id == client_id,
                referred.referred_in_interview_id == Interview.id,
            )
            .exists(),
        )
        .order_by(Interview.held_at, Interview.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def warm_roots_without_referrals(
    session: AsyncSession, client_id: uuid.UUID, warm_since: datetime, limit: int
) -> Sequence[Any]:
    child = aliased(Contact, name="child")
    statement = (
        select(Contact.id, Contact.full_name, Contact.last_contacted_at)
        .where(
            Contact.client_id == client_id,
            Contact.referred_by_id.is_(None),
            Contact.last_contacted_at >= warm_since,
            ~select(child.id)
            .where(child.client_id == client_id, child.referred_by_id == Contact.id)
            .exists(),
        )
        .order_by(Contact.last_contacted_at, Contact.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def contacts_cooling(
    session: AsyncSession,
    client_id: uuid.UUID,
    warm_since: datetime,
    cooling_since: datetime,
    limit: int,
) -> Sequence[Any]:
    statement = (
        select(Contact.id, Contact.full_name, Contact.last_contacted_at)
        .where(
            Contact.client_id == client_id,
            and_(
                Contact.last_contacted_at < warm_since, Contact.last_contacted_at >= cooling_since
            ),
        )
        .order_by(Contact.last_contacted_at, Contact.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def companies_without_people(
    session: AsyncSession, client_id: uuid.UUID, limit: int
) -> Sequence[Any]:
    person = aliased(Contact, name="person")
    statement = (
        select(Company.id, Company.name, Company.created_at)
        .where(
            Company.client_id == client_id,
            Company.status.in_([CompanyStatus.researching, CompanyStatus.targeted]),
            ~select(person.id)
            .where(person.client_id == client_id, person.company_id == Company.id)
            .exists(),
        )
        .order_by(Company.priority, Company.created_at, Company.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def follow_ups_due(
    session: AsyncSession, client_id: uuid.UUID, now: datetime, limit: int
) -> Sequence[Any]:
    statement = (
        select(Contact.id, Contact.full_name, Contact.next_follow_up_at)
        .where(Contact.client_id == client_id, Contact.next_follow_up_at <= now)
        .order_by(Contact.next_follow_up_at, Contact.id)
        .limit(limit)
    )
    return (await session.execute(statement)).all()
