"""Which clients and coaches a report covers; the figures come from `app.traction`."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.models import Client, ClientCoach, Membership, User
from app.models.enums import ClientStatus, Role


def client_ids(
    principal: Principal,
    *,
    coach_id: uuid.UUID | None = None,
    status: ClientStatus | None = None,
) -> Select[uuid.UUID]:
    """The clients the caller may see, optionally only one coach's or of one status."""
    statement = select(Client.id).where(
        Client.organization_id == principal.organization_id,
        Client.id.in_(readable_client_ids(principal)),
    )
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
