"""The door to clients: every read of a client, or of anything under one, starts here."""

import uuid

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.models import Client, ClientCoach


def readable_client_ids(principal: Principal) -> Select[uuid.UUID]:
    """Ids of the clients the caller may see (the organization is added by the tenancy hook).

    Admins, owners and API keys: all; a coach: assigned clients; a client: itself.
    """
    statement = select(Client.id)
    if principal.is_admin:
        return statement
    if principal.is_coach:
        assigned = select(ClientCoach.client_id).where(ClientCoach.coach_id == principal.user_id)
        return statement.where(Client.id.in_(assigned))
    if principal.is_client and principal.client_id is not None:
        return statement.where(Client.id == principal.client_id)
    return statement.where(false())


def readable_clients(principal: Principal) -> Select[Client]:
    return select(Client).where(Client.id.in_(readable_client_ids(principal)))


async def get_readable(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> Client | None:
    statement = readable_clients(principal).where(Client.id == client_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def coach_ids_by_client(
    session: AsyncSession, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Assigned coaches of several clients in one query."""
    if not client_ids:
        return {}
    rows = await session.execute(
        select(ClientCoach.client_id, ClientCoach.coach_id)
        .where(ClientCoach.client_id.in_(client_ids))
        .order_by(ClientCoach.created_at)
    )
    coaches: dict[uuid.UUID, list[uuid.UUID]] = {cid: [] for cid in client_ids}
    for client_id, coach_id in rows:
        coaches[client_id].append(coach_id)
    return coaches
