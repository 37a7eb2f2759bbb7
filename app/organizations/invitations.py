"""Invitations: made by staff, emailed to the invitee, resent or revoked, accepted once.

The token is `<invitation id hex>.<secret>`; only the secret's hash is stored. It is in
the email's link (`<COACH_PUBLIC_URL>/invitations/accept?token=…`) and, once, in the
answer to whoever made or resent it; never in a log.
"""

import uuid
from datetime import timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import mfa
from app.auth import service as auth_service
from app.auth.principal import Principal
from app.clients import repository as clients_repository
from app.core.config import Settings
from app.core.errors import AppError, Conflict, Forbidden, Gone, NotFound, Unauthorized
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import (
    hash_password,
    hash_secret,
    id_token,
    new_secret,
    split_id_token,
    verify_password,
)
from app.core.time import utc_now
from app.db.tenancy import bind_rls_lookup
from app.events.service import record_event
from app.mail import outbox
from app.models import Invitation, Membership, Organization, User
from app.models.enums import ADMIN_ROLES, Role
from app.organizations import repository
from app.organizations.service import (
    MemberView,
    member_read,
    readable_client_id,
    require_owner_for_owner_role,
)

_ROLE_LABELS = {
    Role.owner: "an owner",
    Role.admin: "an administrator",
    Role.coach: "a coach",
    Role.client: "a client",
}


async def create_invitation(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    email: str,
    role: Role,
    client_id: uuid.UUID | None,
) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and its token (never stored in clear).

    Owners and admins invite any role (owners only the owner role); a coach
    invites only clients they coach.
    """
    if principal.role not in ADMIN_ROLES and role is not Role.client:
        raise Forbidden("A coach may invite only clients they coach.")
    require_owner_for_owner_role(principal, role)
    if client_id is not None:
        client_id = await readable_client_id(session, principal, client_id)
    email = auth_service.normalise_email(email)
    if await repository.member_by_email(session, email) is not None:
        raise Conflict("Someone with this email is already a member.")
    secret = new_secret()
    invitation = Invitation(
        id=uuid.uuid4(),
        organization_id=principal.organization_id,
        email=email,
        role=role,
        client_id=client_id,
        token_hash=hash_secret(secret),
        expires_at=utc_now() + timedelta(days=settings.invitation_days),
        invited_by_id=principal.user_id,
    )
    session.add(invitation)
    await session.flush()
    token = id_token(invitation.id, secret)
    await _send(session, settings, invitation, token)
    return invitation, token


def readable_invitations(principal: Principal) -> Select[Invitation]:
    """Invitations not yet accepted that the caller may see: all for owners and admins;
    a coach's, those for the clients it coaches."""
    statement = select(Invitation).where(Invitation.accepted_at.is_(None))
    if principal.role not in ADMIN_ROLES:
        statement = statement.where(
            Invitation.client_id.in_(clients_repository.readable_client_ids(principal))
        )
    return statement


async def list_invitations(
    session: AsyncSession, principal: Principal, *, params: PageParams
) -> tuple[list[Invitation], str | None]:
    return await paginate(
        session,
        readable_invitations(principal),
        sort=SortKey((Invitation.created_at, Invitation.id)),
        params=params,
    )


async def _get_open(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID
) -> Invitation:
    invitation = (
        await session.execute(readable_invitations(principal).where(Invitation.id == invitation_id))
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound("No open invitation with this id.")
    return invitation


async def resend_invitation(
    session: AsyncSession, principal: Principal, settings: Settings, invitation_id: uuid.UUID
) -> tuple[Invitation, str]:
    """A new token (the old one stops working), a new expiry, and the email again."""
    invitation = await _get_open(session, principal, invitation_id)
    require_owner_for_owner_role(principal, Role(invitation.role))
    secret = new_secret()
    invitation.token_hash = hash_secret(secret)
    invitation.expires_at = utc_now() + timedelta(days=settings.invitation_days)
    await session.flush()
    token = id_token(invitation.id, secret)
    await _send(session, settings, invitation, token)
    return invitation, token


async def revoke_invitation(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID
) -> None:
    """Delete an open invitation: its link answers 404 from now on."""
    invitation = await _get_open(session, principal, invitation_id)
    require_owner_for_owner_role(principal, Role(invitation.role))
    await session.execute(delete(Invitation).where(Invitation.id == invitation.id))
    await session.flush()


async def _send(
    session: AsyncSession, settings: Settings, invitation: Invitation, token: str
) -> None:
    """Put the invitation's email in the outbox (the worker sends it)."""
    organization = await session.get_one(Organization, invitation.organization_id)
    inviter = (
        await session.get(User, invitation.invited_by_id)
        if invitation.invited_by_id is not None
        else None
    )
    await outbox.enqueue(
        session,
        settings,
        kind="invitation",
        to=invitation.email,
        subject=f"You are invited to join {organization.name} on Coach API",
        template="invitation",
        context={
            "organization_name": organization.name,
            "inviter_name": inviter.full_name if inviter is not None else None,
            "role_label": _ROLE_LABELS[Role(invitation.role)],
            "accept_url": f"{settings.public_url}/invitations/accept?token={token}",
            "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
        organization_id=invitation.organization_id,
        client_id=invitation.client_id,
    )


async def open_invitation(session: AsyncSession, token: str) -> Invitation:
    """The invitation `token` opens. Each works once and until it expires (410); an
    unknown token answers 404."""
    parsed = split_id_token(token)
    invitation = await repository.find_invitation(session, *parsed) if parsed else None
    if invitation is None:
        raise NotFound("No invitation with this token.")
    if invitation.accepted_at is not None:
        raise Gone("This invitation was already used.")
    if invitation.expires_at <= utc_now():
        raise Gone("This invitation has expired; ask for a new one.")
    return invitation


async def accept_invitation(
    session: AsyncSession,
    settings: Settings,
    invitation: Invitation,
    *,
    full_name: str,
    password: str,
) -> auth_service.IssuedTokens | AppError:
    """Join the (open) invitation's organization and sign in.

    When a second factor is due (the account has one, or the organization requires
    one of staff), the membership is still created but no tokens are issued: the
    returned (not raised, so the join commits) `mfa-required` or
    `mfa-enrolment-required` problem carries the `mfa_token` to finish signing in.

    A new email gets an account with this name and password; an existing
    account must give its own password (401).
    """
    now = utc_now()
    user = await auth_service.find_user_by_email(session, invitation.email)
    if user is None:
        user = User(
            id=uuid.uuid4(),
            email=invitation.email,
            full_name=full_name,
            password_hash=hash_password(password),
        )
        # RLS lets a request write only its own login.
        await bind_rls_lookup(session, "app.user_id", user.id)
        session.add(user)
        await session.flush()
    elif not verify_password(password, user.password_hash):
        raise Unauthorized("An account with this email exists; give its password to join.")
    elif await repository.get_member(session, user.id) is not None:
        raise Conflict("You are already a member of this organization.")

    # Claimed with a conditional update, so two concurrent accepts cannot both win.
    claimed = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise Gone("This invitation was already used.")
    role = Role(invitation.role)
    membership = Membership(
        organization_id=invitation.organization_id,
        user_id=user.id,
        role=role,
        client_id=invitation.client_id,
    )
    session.add(membership)
    await session.flush()
    await record_event(
        session,
        organization_id=invitation.organization_id,
        type="member.joined",
        client_id=None,  # about the organization, even when the member is a client's login
        payload=member_read(MemberView(membership, user)),
    )
    try:
        # Joining is no way around a second factor the account (or now the
        # organization) requires: the member then signs in through the MFA step.
        await mfa.check_sign_in(session, settings, user=user, membership=membership)
    except (mfa.MfaRequired, mfa.MfaEnrolmentRequired) as second_factor_due:
        return second_factor_due
    return await auth_service.issue_tokens(
        session,
        settings,
        user_id=user.id,
        organization_id=invitation.organization_id,
        role=role,
    )
