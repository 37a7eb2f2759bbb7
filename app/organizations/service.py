"""The organization's settings, its members, invitations and API keys."""

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import API_KEY_PREFIX
from app.auth.principal import Principal
from app.clients import repository as clients_repository
from app.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
)
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import hash_secret, new_secret
from app.core.time import utc_now
from app.models import ApiKey, ClientCoach, Membership, Organization, RefreshToken, User
from app.models.enums import Role, Scope
from app.organizations import repository
from app.organizations.schemas import MemberRead, OrganizationUpdate

# The visible start of an API key: `ck_` and the first hex digits of its id.
API_KEY_PREFIX_LENGTH = 12


@dataclass(frozen=True, slots=True)
class MemberView:
    membership: Membership
    user: User


def member_read(view: MemberView) -> MemberRead:
    """The member as the API returns it (and as `member.joined` carries it)."""
    return MemberRead(
        user_id=view.user.id,
        email=view.user.email,
        full_name=view.user.full_name,
        role=Role(view.membership.role),
        client_id=view.membership.client_id,
        joined_at=view.membership.created_at,
    )


# Organization


async def get_organization(session: AsyncSession, principal: Principal) -> Organization:
    return await session.get_one(Organization, principal.organization_id)


async def update_organization(
    session: AsyncSession, organization: Organization, body: OrganizationUpdate
) -> Organization:
    """Apply a partial update (only the fields set in `body` change); a concurrent write in
    between answers 412, never a lost update."""
    for name, value in body.model_dump(exclude_unset=True).items():
        if name == "keep_in_touch_defaults":
            value = {str(relationship): days for relationship, days in value.items()}
        setattr(organization, name, value)
    await session.flush()  # a concurrent change raises StaleDataError: 412, app-wide
    return organization


# Members


async def list_members(
    session: AsyncSession, principal: Principal, *, params: PageParams
) -> tuple[list[MemberView], str | None]:
    """The members the caller may see (`repository.readable_members`)."""
    rows, next_cursor = await paginate(
        session,
        repository.readable_members(principal),
        sort=SortKey((Membership.created_at, Membership.id)),
        params=params,
    )
    return [MemberView(membership, membership.user) for membership in rows], next_cursor


async def _get_member(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> MemberView:
    membership = await repository.get_readable_member(session, principal, user_id)
    if membership is None:
        raise NotFound("No member with this user id.")
    return MemberView(membership, membership.user)


def require_owner_for_owner_role(principal: Principal, *roles: Role) -> None:
    if Role.owner in roles and principal.role is not Role.owner:
        raise Forbidden("Only an owner may grant, remove or change the owner role.")


async def _refuse_losing_last_owner(session: AsyncSession) -> None:
    if await repository.lock_owner_count(session) <= 1:
        raise Conflict("The organization's last owner cannot be removed or demoted.")


async def readable_client_id(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> uuid.UUID:
    client = await clients_repository.get_readable(session, principal, client_id)
    if client is None:
        raise Unprocessable(
            "`client_id` must be a client you may see.",
            errors=[
                {
                    "loc": ["body", "client_id"],
                    "msg": "no client with this id that you may see",
                    "type": "client",
                }
            ],
        )
    return client.id


async def change_member_role(
    session: AsyncSession,
    principal: Principal,
    user_id: uuid.UUID,
    *,
    role: Role,
    client_id: uuid.UUID | None,
) -> MemberView:
    """Give a member another role.

    Only owners touch the owner role; the last owner stays an owner (409); a
    client login is linked to a client record of this organization, and stops
    coaching anyone.
    """
    member = await _get_member(session, principal, user_id)
    current = Role(member.membership.role)
    require_owner_for_owner_role(principal, current, role)
    if role is Role.client:
        assert client_id is not None
        client_id = await readable_client_id(session, principal, client_id)
    if current is Role.owner and role is not Role.owner:
        await _refuse_losing_last_owner(session)
    member.membership.role = role
    member.membership.client_id = client_id if role is Role.client else None
    if role is Role.client:
        await session.execute(delete(ClientCoach).where(ClientCoach.coach_id == user_id))
    await session.flush()
    return member


async def remove_member(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> None:
    """Remove a member from the organization.

    Their access tokens stop working at once (authentication checks the
    membership), their refresh tokens here are revoked and their coach
    assignments here deleted. Admins cannot remove owners (403); the last
    owner cannot be removed (409).
    """
    member = await _get_member(session, principal, user_id)
    if member.membership.role == Role.owner:
        require_owner_for_owner_role(principal, Role.owner)
        await _refuse_losing_last_owner(session)
    await session.execute(delete(ClientCoach).where(ClientCoach.coach_id == user_id))
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )
    await session.delete(member.membership)
    await session.flush()


# API keys


async def list_api_keys(
    session: AsyncSession, *, params: PageParams
) -> tuple[list[ApiKey], str | None]:
    return await paginate(
        session,
        repository.api_keys(),
        sort=SortKey((ApiKey.created_at, ApiKey.id)),
        params=params,
    )


async def create_api_key(
    session: AsyncSession, principal: Principal, *, name: str, scopes: list[Scope]
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its full secret, which is stored only as a digest."""
    key_id = uuid.uuid4()
    secret = new_secret()
    key = f"{API_KEY_PREFIX}{key_id.hex}_{secret}"
    api_key = ApiKey(
        id=key_id,
        organization_id=principal.organization_id,
        name=name,
        prefix=key[:API_KEY_PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        scopes=[scope.value for scope in dict.fromkeys(scopes)],
        created_by_id=principal.user_id,
    )
    session.add(api_key)
    await session.flush()
    return api_key, key


async def delete_api_key(session: AsyncSession, key_id: uuid.UUID) -> None:
    """Delete a key; requests with it are refused (401) from now on."""
    api_key = await repository.get_api_key(session, key_id)
    if api_key is None:
        raise NotFound("No API key with this id.")
    await session.delete(api_key)
    await session.flush()
