"""The door to interviews, and the board's SQL."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.models import Company, Contact, Interview, InterviewStageChange


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
