"""Members, invitations and API keys of the caller's organization.

Every statement here is scoped to the bound organization by the tenancy hook
(and RLS); what it does not return does not exist for the caller.
"""

import uuid

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.core.security import secret_matches
from app.db.tenancy import bind_organization, bind_rls_lookup, unscoped
from app.models import ApiKey, Invitation, Membership, User
from app.models.enums import STAFF_ROLES, Role


def members() -> Select[Membership]:
    """Memberships with their user loaded (`membership.user`), whoever may see them."""
    return select(Membership).join(Membership.user).options(contains_eager(Membership.user))


def readable_members(principal: Principal) -> Select[Membership]:
    """The memberships the caller may see: the door for listing and loading members.

    Owners, admins and API keys: all. Everyone else: the staff, and the client
    logins of the clients they may see (a coach's assigned clients, a client
    itself), since a client the caller cannot read does not exist for them.
    """
    if principal.is_admin:
        return members()
    return members().where(
        or_(
            Membership.role.in_(STAFF_ROLES),
            Membership.client_id.in_(readable_client_ids(principal)),
        )
    )


async def get_member(session: AsyncSession, user_id: uuid.UUID) -> Membership | None:
    """Any member of the organization (joining checks membership whoever the caller)."""
    statement = members().where(Membership.user_id == user_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_readable_member(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> Membership | None:
    statement = readable_members(principal).where(Membership.user_id == user_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def member_by_email(session: AsyncSession, email: str) -> Membership | None:
    statement = (
        select(Membership).join(User, User.id == Membership.user_id).where(User.email == email)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def lock_owner_count(session: AsyncSession) -> int:
    """The number of owners, with their rows locked on PostgreSQL.

    The lock makes two concurrent demotions of the last two owners run one
    after the other, so the second sees one owner left and is refused.
    """
    owner_ids = (
        (
            await session.execute(
                select(Membership.id).where(Membership.role == Role.owner).with_for_update()
            )
        )
        .scalars()
        .all()
    )
    return len(owner_ids)


def api_keys() -> Select[ApiKey]:
    return select(ApiKey)


async def get_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return (await session.execute(api_keys().where(ApiKey.id == key_id))).scalar_one_or_none()


async def find_invitation(
    session: AsyncSession, invitation_id: uuid.UUID, secret: str
) -> Invitation | None:
    """The invitation whose id and secret match, found before the organization is known.

    RLS shows just this one row (`app.lookup_id`); the ORM hook is skipped
    because no organization is bound yet. On a match the session is bound to
    the invitation's organization.
    """
    await bind_rls_lookup(session, "app.lookup_id", invitation_id)
    invitation = (
        await session.execute(
            select(Invitation).where(Invitation.id == invitation_id).execution_options(**unscoped())
        )
    ).scalar_one_or_none()
    if invitation is None or not secret_matches(secret, invitation.token_hash):
        return None
    await bind_organization(session, invitation.organization_id)
    return invitation
