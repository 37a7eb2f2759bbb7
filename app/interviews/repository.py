"""The door to interviews, and the board's and next actions' SQL."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.contacts.warmth import warmth_bounds
from app.interviews.schemas import NextActionKind
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


# Next actions. Each kind is one condition on one table's rows (`NEXT_ACTIONS`): the
# next-actions list selects the rows of one client that meet it, the caseload counts them
# for many clients at once (`next_action_counts`), so the two always agree.

# Defaults until the organization's settings carry them.
THANK_YOU_AFTER = timedelta(hours=24)
OUTREACH_FOLLOW_UP_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ActionCutoffs:
    """The instants the conditions compare with, for one `now`."""

    now: datetime
    held_before: datetime  # a thank-you is due for interviews held at or before this
    sent_before: datetime  # outreach sent at or before this deserves a follow-up
    warm_since: datetime
    cooling_since: datetime

    @classmethod
    def at(cls, now: datetime, cold_after_days: int) -> "ActionCutoffs":
        warm_since, cooling_since = warmth_bounds(cold_after_days, now)
        return cls(
            now=now,
            held_before=now - THANK_YOU_AFTER,
            sent_before=now - OUTREACH_FOLLOW_UP_AFTER,
            warm_since=warm_since,
            cooling_since=cooling_since,
        )


# Built once: aliasing an entity costs more than the rest of a condition.
_referred = aliased(Contact, name="referred")
_child = aliased(Contact, name="child")
_person = aliased(Contact, name="person")


def thank_you_due(at: ActionCutoffs) -> ColumnElement[bool]:
    """Interviews held a while ago with no thank-you sent yet."""
    return and_(
        Interview.stage == InterviewStage.held,
        Interview.held_at <= at.held_before,
        Interview.thank_you_sent_at.is_(None),
    )


def follow_up_due(at: ActionCutoffs) -> ColumnElement[bool]:
    """Contacts whose planned follow-up date has come."""
    return Contact.next_follow_up_at <= at.now


def outreach_unanswered(at: ActionCutoffs) -> ColumnElement[bool]:
    """Outreach sent a while ago and still not answered."""
    return and_(Outreach.status == OutreachStatus.sent, Outreach.sent_at <= at.sent_before)


def meeting_without_referrals(at: ActionCutoffs) -> ColumnElement[bool]:
    """Informational interviews held with a contact that introduced no one yet (a meeting
    whose contact was deleted leaves no one to ask)."""
    return and_(
        Interview.kind == InterviewKind.informational,
        Interview.stage.in_([InterviewStage.held, InterviewStage.followed_up]),
        Interview.contact_id.is_not(None),
        ~select(_referred.id)
        .where(
            _referred.client_id == Interview.client_id,
            _referred.referred_in_interview_id == Interview.id,
        )
        .exists(),
    )


def contact_turning_cold(at: ActionCutoffs) -> ColumnElement[bool]:
    """Contacts past warm but not yet cold."""
    return and_(
        Contact.last_contacted_at < at.warm_since, Contact.last_contacted_at >= at.cooling_since
    )


def root_without_referrals(at: ActionCutoffs) -> ColumnElement[bool]:
    """Warm root contacts who have introduced no one yet."""
    return and_(
        Contact.referred_by_id.is_(None),
        Contact.last_contacted_at >= at.warm_since,
        ~select(_child.id)
        .where(_child.client_id == Contact.client_id, _child.referred_by_id == Contact.id)
        .exists(),
    )


def company_without_people(at: ActionCutoffs) -> ColumnElement[bool]:
    """Companies still being researched or targeted with no contact linked to them."""
    return and_(
        Company.status.in_([CompanyStatus.researching, CompanyStatus.targeted]),
        ~select(_person.id)
        .where(_person.client_id == Company.client_id, _person.company_id == Company.id)
        .exists(),
    )


ActionTable = type[Interview] | type[Contact] | type[Outreach] | type[Company]
# Every condition takes the cut-offs, whether it compares with them or not.
ActionCondition = Callable[[ActionCutoffs], ColumnElement[bool]]

# The table each kind of action reads, and its condition.
NEXT_ACTIONS: dict[NextActionKind, tuple[ActionTable, ActionCondition]] = {
    "send_thank_you": (Interview, thank_you_due),
    "follow_up_due": (Contact, follow_up_due),
    "follow_up_outreach": (Outreach, outreach_unanswered),
    "ask_for_referral": (Interview, meeting_without_referrals),
    "contact_turning_cold": (Contact, contact_turning_cold),
    "ask_root_for_people": (Contact, root_without_referrals),
    "find_person_at_company": (Company, company_without_people),
}


async def next_action_counts(
    session: AsyncSession,
    organization_id: uuid.UUID,
    client_ids: Select[uuid.UUID],
    at: ActionCutoffs,
) -> dict[uuid.UUID, int]:
    """How many next actions (of every kind, unlimited) each of `client_ids` has, in one
    query. One grouped count per kind: PostgreSQL turns each `NOT EXISTS` into an anti
    join only where it stands alone in a `WHERE`."""
    per_kind = [
        select(model.client_id.label("client_id"), func.count().label("actions"))
        .where(
            model.organization_id == organization_id,
            model.client_id.in_(client_ids),
            condition(at),
        )
        .group_by(model.client_id)
        for model, condition in NEXT_ACTIONS.values()
    ]
    every_kind = union_all(*per_kind).subquery("actions")
    statement = select(every_kind.c.client_id, func.sum(every_kind.c.actions)).group_by(
        every_kind.c.client_id
    )
    return {client_id: int(total) for client_id, total in await session.execute(statement)}


# The next-actions list: one query per kind, the longest overdue first, at most `limit`.


async def _first_rows(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    limit: int,
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> Sequence[Any]:
    return (await session.execute(statement.order_by(*order_by).limit(limit))).all()


async def thank_yous_due(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = (
        select(Interview.id, Interview.contact_id, Interview.held_at, Contact.full_name)
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .where(Interview.client_id == client_id, thank_you_due(at))
    )
    return await _first_rows(session, statement, limit, Interview.held_at, Interview.id)


async def unanswered_outreach(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = (
        select(Outreach.id, Outreach.contact_id, Outreach.sent_at, Contact.full_name)
        .join(Contact, Contact.id == Outreach.contact_id)
        .where(Outreach.client_id == client_id, outreach_unanswered(at))
    )
    return await _first_rows(session, statement, limit, Outreach.sent_at, Outreach.id)


async def meetings_without_referrals(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = (
        select(Interview.id, Interview.contact_id, Interview.held_at, Contact.full_name)
        .join(Contact, Contact.id == Interview.contact_id)
        .where(Interview.client_id == client_id, meeting_without_referrals(at))
    )
    return await _first_rows(session, statement, limit, Interview.held_at, Interview.id)


async def warm_roots_without_referrals(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = select(Contact.id, Contact.full_name, Contact.last_contacted_at).where(
        Contact.client_id == client_id, root_without_referrals(at)
    )
    return await _first_rows(session, statement, limit, Contact.last_contacted_at, Contact.id)


async def contacts_cooling(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = select(Contact.id, Contact.full_name, Contact.last_contacted_at).where(
        Contact.client_id == client_id, contact_turning_cold(at)
    )
    return await _first_rows(session, statement, limit, Contact.last_contacted_at, Contact.id)


async def companies_without_people(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = select(Company.id, Company.name, Company.created_at).where(
        Company.client_id == client_id, company_without_people(at)
    )
    order = (Company.priority, Company.created_at, Company.id)
    return await _first_rows(session, statement, limit, *order)


async def follow_ups_due(
    session: AsyncSession, client_id: uuid.UUID, at: ActionCutoffs, limit: int
) -> Sequence[Any]:
    statement = select(Contact.id, Contact.full_name, Contact.next_follow_up_at).where(
        Contact.client_id == client_id, follow_up_due(at)
    )
    return await _first_rows(session, statement, limit, Contact.next_follow_up_at, Contact.id)
