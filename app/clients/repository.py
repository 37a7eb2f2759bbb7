"""The door to clients: every read of a client, or of anything under one, starts here."""

import uuid

from sqlalchemy import Select, bindparam, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.models import Client, ClientCoach


def readable_client_ids(principal: Principal) -> Select[uuid.UUID]:
    """Ids of the clients the caller may see (the organization is added by the tenancy hook).

    Admins, owners and API keys: all; a coach: assigned clients; a client: itself.
    """
    statement, parameters = readable_client_ids_by_parameter(principal)
    return statement.params(parameters) if parameters else statement


def readable_client_ids_by_parameter(
    principal: Principal,
) -> tuple[Select[uuid.UUID], dict[str, uuid.UUID]]:
    """`readable_client_ids` with the caller's id as a named parameter, for prepared reads
    (`app.db.tenancy.prepare_read`): the statement, one per kind of caller, and its
    parameters."""
    if principal.is_admin:
        return _READABLE_BY_KIND["all"], {}
    if principal.is_coach and principal.user_id is not None:
        return _READABLE_BY_KIND["assigned"], {"reader_user_id": principal.user_id}
    if principal.is_client and principal.client_id is not None:
        return _READABLE_BY_KIND["itself"], {"reader_client_id": principal.client_id}
    return _READABLE_BY_KIND["none"], {}


_READABLE_BY_KIND: dict[str, Select[uuid.UUID]] = {
    "all": select(Client.id),
    # Straight from the assignments (each names a client of the same organization): a
    # `clients` join here would be one more nested semi-join in every statement a
    # coach's read is part of, and with stale statistics the planner multiplies them.
    "assigned": select(ClientCoach.client_id).where(
        ClientCoach.coach_id == bindparam("reader_user_id")
    ),
    "itself": select(Client.id).where(Client.id == bindparam("reader_client_id")),
    "none": select(Client.id).where(false()),
}


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
