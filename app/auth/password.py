"""Password recovery (a link by email, once, for a short while) and change.

A reset request stores the address it names and nothing else, so it costs the same and
answers the same whether or not a login has it: the worker (`issue_requested`) looks,
and sends the link only if one does. The token is `<reset id hex>.<secret>`; only the
secret's hash is stored.

Setting a password, by either road, ends every other sign-in of the login in every
organization it belongs to (their refresh-token families, which access tokens are
checked against), and is written to each organization's audit log. It signs nobody in:
the next sign-in asks for the second factor as usual.
"""

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import recorder
from app.auth.principal import Principal
from app.auth.service import normalise_email
from app.core.config import Settings
from app.core.errors import Gone, NotFound, Unprocessable
from app.core.request_context import Caller
from app.core.security import (
    hash_password,
    hash_secret,
    id_token,
    new_secret,
    secret_matches,
    split_id_token,
    verify_password,
)
from app.core.time import utc_now
from app.db.tenancy import bind_organization, bind_rls_lookup, unscoped
from app.mail import outbox
from app.models import AuditAction, Membership, PasswordReset, RefreshToken, User

# Requests the worker settles in one pass.
ISSUE_BATCH = 50


async def request_reset(session: AsyncSession, settings: Settings, *, email: str) -> None:
    """Note that someone asked to reset the password of `email` (see the module doc)."""
    now = utc_now()
    session.add(
        PasswordReset(
            id=uuid.uuid4(),
            email=normalise_email(email),
            requested_at=now,
            expires_at=now + timedelta(minutes=settings.password_reset_minutes),
        )
    )
    await session.flush()


async def issue_requested(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """In the worker: for each reset requested and not yet looked at, send the link if a
    login has the address (and stay silent if none has). Returns how many were settled."""
    async with sessionmaker() as session:
        pending = (
            select(PasswordReset)
            .where(PasswordReset.issued_at.is_(None))
            .order_by(PasswordReset.requested_at)
            .limit(ISSUE_BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            pending = pending.with_for_update(skip_locked=True)
        resets = list((await session.execute(pending)).scalars())
        now = utc_now()
        for reset in resets:
            reset.issued_at = now
            if reset.expires_at <= now:
                continue
            user = (
                await session.execute(select(User).where(User.email == reset.email))
            ).scalar_one_or_none()
            if user is None:
                continue
            secret = new_secret()
            reset.user_id, reset.token_hash = user.id, hash_secret(secret)
            link = f"{settings.public_url}/password-reset?token={id_token(reset.id, secret)}"
            await outbox.enqueue(
                session,
                settings,
                kind="password-reset",
                to=user.email,
                subject="Reset your Coach API password",
                template="password_reset",
                context={
                    "full_name": user.full_name,
                    "reset_url": link,
                    "minutes": settings.password_reset_minutes,
                },
                user_id=user.id,
            )
        await session.commit()
    return len(resets)


async def confirm_reset(
    session: AsyncSession, settings: Settings, *, token: str, new_password: str
) -> None:
    """Set the password the reset `token` is for. 404: no such token; 410: used or
    expired (the token's holder learns nothing about any account from either)."""
    parsed = split_id_token(token)
    if parsed is None:
        raise NotFound("No password reset with this token.")
    reset_id, secret = parsed
    await bind_rls_lookup(session, "app.lookup_id", reset_id)
    reset = await session.get(PasswordReset, reset_id)
    if reset is None or reset.token_hash is None or reset.user_id is None:
        raise NotFound("No password reset with this token.")
    if not secret_matches(secret, reset.token_hash):
        raise NotFound("No password reset with this token.")
    now = utc_now()
    if reset.used_at is not None:
        raise Gone("This reset link was already used; ask for a new one.")
    if reset.expires_at <= now:
        raise Gone("This reset link has expired; ask for a new one.")
    user_id = reset.user_id
    # RLS lets a request write only its own login's rows.
    await bind_rls_lookup(session, "app.user_id", user_id)
    # Claimed with a conditional update, so two concurrent confirmations cannot both win;
    # every other open reset of the login ends with it.
    claimed = await session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise Gone("This reset link was already used; ask for a new one.")
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    user = await session.get_one(User, user_id)
    await _set_password(session, settings, user, new_password, how="reset", keep_session=None)


async def change_password(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
) -> None:
    """The member's own password, given the current one (422 naming the field when it is
    wrong). The sign-in making the change stays signed in."""
    if principal.user_id is None:  # the route admits members only; this is for mypy
        raise NotFound()
    # RLS shows (and lets write) a request's own login only once it names it.
    await bind_rls_lookup(session, "app.user_id", principal.user_id)
    user = await session.get_one(User, principal.user_id)
    if not verify_password(current_password, user.password_hash):
        raise WrongPassword()
    if verify_password(new_password, user.password_hash):
        raise PasswordUnchanged()
    await _set_password(
        session, settings, user, new_password, how="changed", keep_session=principal.session_id
    )
    await bind_organization(session, principal.organization_id)


class WrongPassword(Unprocessable):
    """The current password given is not the account's (stored data refuses the request,
    not the body's shape: a problem type of its own, no field errors)."""

    slug, title = "wrong-password", "The current password is not right"


class PasswordUnchanged(Unprocessable):
    slug, title = "password-unchanged", "The new password is the current one"


async def _set_password(
    session: AsyncSession,
    settings: Settings,
    user: User,
    password: str,
    *,
    how: str,
    keep_session: uuid.UUID | None,
) -> None:
    """Store the new hash, end the login's other sign-ins in each of its organizations
    (leaving the session bound to the last), audit it there, and tell the owner."""
    now = utc_now()
    user.password_hash = hash_password(password)
    await session.flush()
    # Every organization of the login: RLS shows a login's own memberships once the
    # request names it (`app.user_id`), whichever organization is bound, if any.
    organizations = (
        await session.execute(
            select(Membership.organization_id, Membership.role)
            .where(Membership.user_id == user.id)
            .execution_options(**unscoped())
        )
    ).all()
    for organization_id, role in organizations:
        await bind_organization(session, organization_id)
        ended = update(RefreshToken).where(
            RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None)
        )
        if keep_session is not None:
            ended = ended.where(RefreshToken.family_id != keep_session)
        await session.execute(ended.values(revoked_at=now))
        recorder.record(
            session,
            organization_id=organization_id,
            action=AuditAction.password_reset if how == "reset" else AuditAction.password_change,
            object_type="member",
            object_id=user.id,
            actor=Caller(user_id=user.id, role=str(role)),
        )
    await outbox.enqueue(
        session,
        settings,
        kind="password-changed",
        to=user.email,
        subject="Your Coach API password was changed",
        template="password_changed",
        context={
            "full_name": user.full_name,
            "how": "reset" if how == "reset" else "changed",
            "changed_at": now.strftime("%Y-%m-%d %H:%M UTC"),
        },
        user_id=user.id,
    )
    await session.flush()
