"""Which clients and coaches a report covers, and each client's next meeting; the
figures come from `app.traction`."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.models import Client, ClientCoach, Contact, Interview, Membership, User
from app.models.enums import ClientStatus, Role
from app.models.pipeline import InterviewStage


def client_ids(
    principal: Principal,
    *,
    coach_id: uuid.UUID | None = None,
    status: ClientStatus | None = None,
) -> Select[uuid.UUID]:
    """The clients asked about, optionally only one coach's or of one status. Each
    statement that reads with it also keeps to the caller's readable clients itself
    (`readable_client_ids`); nesting that here too would only make every such
    statement a semi-join deeper."""
    statement = select(Client.id).where(Client.organization_id == principal.organization_id)
    if coach_id is not None:
        statement = statement.where(
            Client.id.in_(select(ClientCoach.client_id).where(ClientCoach.coach_id == coach_id))
        )
    if status is not None:
        statement = statement.where(Client.status == status)
    return statement


async def coaches(session: AsyncSession, principal: Principal) -> Sequence[Any]:
    """(id, full_name) of every coach member and every member assigned to a client."""
    assigned = select(ClientCoach.coach_id).where(
        ClientCoach.organization_id == principal.organization_id
    )
    statement = (
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == principal.organization_id,
            or_(Membership.role == Role.coach, User.id.in_(assigned)),
        )
        .order_by(User.full_name, User.id)
    )
    return (await session.execute(statement)).all()


async def next_meetings(
    session: AsyncSession, principal: Principal, clients: Select[uuid.UUID], *, now: datetime
) -> dict[uuid.UUID, tuple[datetime, uuid.UUID]]:
    """Per client, the interview still `scheduled` that comes first after `now`: its
    `scheduled_at` and id (ties by id), in one statement for every client."""
    position = func.row_number().over(
        partition_by=Interview.client_id, order_by=(Interview.scheduled_at, Interview.id)
    )
    upcoming = (
        select(
            Interview.client_id,
            Interview.id,
            Interview.scheduled_at,
            position.label("position"),
        )
        .where(
            Interview.organization_id == principal.organization_id,
            Interview.client_id.in_(clients),
            Interview.client_id.in_(readable_client_ids(principal)),
            Interview.stage == InterviewStage.scheduled,
            Interview.scheduled_at > now,
        )
        .subquery("upcoming")
    )
    statement = select(upcoming.c.client_id, upcoming.c.scheduled_at, upcoming.c.id).where(
        upcoming.c.position == 1
    )
    return {row.client_id: (row.scheduled_at, row.id) for row in await session.execute(statement)}


async def cold_contacts(
    session: AsyncSession,
    principal: Principal,
    clients: Select[uuid.UUID],
    *,
    cold_before: datetime,
) -> dict[uuid.UUID, int]:
    """Per client, the contacts last touched before `cold_before` (cold now), in one
    statement for every client; clients without any are left out."""
    statement = (
        select(Contact.client_id, func.count())
        .where(
            Contact.organization_id == principal.organization_id,
            Contact.client_id.in_(clients),
            Contact.client_id.in_(readable_client_ids(principal)),
            Contact.last_contacted_at < cold_before,
        )
        .group_by(Contact.client_id)
    )
    return {client_id: int(count) for client_id, count in await session.execute(statement)}
