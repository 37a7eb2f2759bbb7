"""Client records and coach assignments."""

import uuid
from dataclasses import dataclass

from sqlalchemy import String, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import require_role
from app.auth.principal import Principal
from app.clients import repository
from app.clients.schemas import ClientCreate, ClientRead, ClientUpdate
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.events.service import record_event
from app.models import Client, ClientCoach, Membership
from app.models.enums import ADMIN_ROLES, STAFF_ROLES, ClientStatus

# What a client may change about themselves; status and coach notes stay with staff.
CLIENT_SELF_EDITABLE = frozenset(
    {
        "headline",
        "target_roles",
        "target_industries",
        "locations",
        "weekly_outreach_goal",
        "weekly_informational_goal",
    }
)


@dataclass(frozen=True, slots=True)
class ClientView:
    client: Client
    coach_ids: list[uuid.UUID]


async def get(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> Client:
    """The client if the caller may see it; otherwise 404, as if it did not exist."""
    client = await repository.get_readable(session, principal, client_id)
    if client is None:
        raise NotFound("No client with this id.")
    return client


async def view(session: AsyncSession, client: Client) -> ClientView:
    coaches = await repository.coach_ids_by_client(session, [client.id])
    return ClientView(client=client, coach_ids=coaches[client.id])


def client_read(view: ClientView) -> ClientRead:
    """The client as the API returns it to staff (coach notes included)."""
    columns = {
        name: getattr(view.client, name) for name in ClientRead.model_fields if name != "coach_ids"
    }
    return ClientRead(**columns, coach_ids=view.coach_ids)


async def _record(session: AsyncSession, client: Client, event_type: str) -> None:
    await record_event(
        session,
        organization_id=client.organization_id,
        type=event_type,
        client_id=client.id,
        payload=client_read(await view(session, client)),
    )


async def list_clients(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    status: ClientStatus | None,
    coach_id: uuid.UUID | None,
    search: str | None,
    sort: str,
) -> tuple[list[ClientView], str | None]:
    statement = repository.readable_clients(principal)
    if status is not None:
        statement = statement.where(Client.status == status)
    if coach_id is not None:
        statement = statement.where(
            Client.id.in_(select(ClientCoach.client_id).where(ClientCoach.coach_id == coach_id))
        )
    if search:
        pattern = f"%{search.lower()}%"
        statement = statement.where(
            or_(func.lower(Client.full_name).like(pattern), func.lower(Client.email).like(pattern))
        )
    key = {
        "created_at": SortKey((Client.created_at, Client.id)),
        "-created_at": SortKey((Client.created_at, Client.id), descending=True),
        "full_name": SortKey((func.lower(Client.full_name, type_=String), Client.id)),
    }[sort]
    clients, next_cursor = await paginate(session, statement, sort=key, params=params)
    coaches = await repository.coach_ids_by_client(session, [c.id for c in clients])
    return [ClientView(c, coaches[c.id]) for c in clients], next_cursor


async def create(session: AsyncSession, principal: Principal, body: ClientCreate) -> Client:
    """Create a client; a coach who creates one is assigned to it."""
    require_role(principal, STAFF_ROLES, "create clients")
    client = Client(organization_id=principal.organization_id, **body.model_dump())
    session.add(client)
    await session.flush()
    if principal.is_coach and principal.user_id is not None:
        session.add(
            ClientCoach(
                organization_id=principal.organization_id,
                client_id=client.id,
                coach_id=principal.user_id,
            )
        )
        await session.flush()
    await _record(session, client, "client.created")
    return client


async def update(
    session: AsyncSession, principal: Principal, client: Client, body: ClientUpdate
) -> Client:
    """Apply a partial update: only the fields set in `body` change (an explicit null clears)."""
    changes = body.model_dump(exclude_unset=True)
    if principal.is_client:
        refused = sorted(set(changes) - CLIENT_SELF_EDITABLE)
        if refused:
            require_role(principal, STAFF_ROLES, f"change {', '.join(refused)}")
    changed = {name for name, value in changes.items() if getattr(client, name) != value}
    for name, value in changes.items():
        setattr(client, name, value)
    await session.flush()
    if changed:
        await _record(session, client, "client.updated")
    return client


async def delete_client(session: AsyncSession, principal: Principal, client: Client) -> None:
    require_role(principal, ADMIN_ROLES, "delete clients")
    await _record(session, client, "client.deleted")
    await session.delete(client)
    await session.flush()


async def _member_role(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    return (
        await session.execute(select(Membership.role).where(Membership.user_id == user_id))
    ).scalar_one_or_none()


async def assign_coach(
    session: AsyncSession, principal: Principal, client: Client, coach_id: uuid.UUID
) -> bool:
    """Assign a coach; returns False when it already was (PUT is idempotent)."""
    require_role(principal, ADMIN_ROLES, "assign coaches")
    role = await _member_role(session, coach_id)
    if role is None:
        # A path id like any other: someone outside the organization does not exist here.
        raise NotFound("No member with this id.")
    if role not in {r.value for r in STAFF_ROLES}:
        raise Unprocessable("That member is a client login, not a coach, admin or owner.")
    existing = await session.get(ClientCoach, (client.id, coach_id))
    if existing is not None:
        return False
    session.add(
        ClientCoach(organization_id=client.organization_id, client_id=client.id, coach_id=coach_id)
    )
    await session.flush()
    return True


async def unassign_coach(
    session: AsyncSession, principal: Principal, client: Client, coach_id: uuid.UUID
) -> None:
    require_role(principal, ADMIN_ROLES, "unassign coaches")
    result = await session.execute(
        delete(ClientCoach).where(
            ClientCoach.client_id == client.id, ClientCoach.coach_id == coach_id
        )
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound("That user is not assigned to this client.")
    await session.flush()
