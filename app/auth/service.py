"""Sign-up, sign-in and rotating refresh tokens."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import recorder
from app.auth import mfa
from app.core.config import Settings
from app.core.errors import Conflict, Unauthorized
from app.core.security import (
    InvalidToken,
    decode_mfa_token,
    hash_password,
    hash_secret,
    id_token,
    issue_access_token,
    new_secret,
    secret_matches,
    split_id_token,
    verify_password,
)
from app.core.time import utc_now
from app.db.tenancy import bind_organization, bind_rls_lookup, unscoped
from app.models import Membership, Organization, RefreshToken, User
from app.models.enums import Role


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    organization_id: uuid.UUID
    role: Role


class OrganizationChoiceRequired(Exception):
    """The user belongs to several organizations and did not say which."""

    def __init__(self, organizations: list[tuple[uuid.UUID, str]]) -> None:
        super().__init__("organization required")
        self.organizations = organizations


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The login with this email, whatever organization the session is bound to: RLS
    shows it for this lookup (`app.lookup_email`), for reading only."""
    email = normalise_email(email)
    await bind_rls_lookup(session, "app.lookup_email", email)
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def signup(
    session: AsyncSession,
    settings: Settings,
    *,
    organization_name: str,
    full_name: str,
    email: str,
    password: str,
) -> IssuedTokens:
    """Create an organization with its first owner and sign the owner in."""
    if await find_user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists; sign in instead.")
    organization = Organization(id=uuid.uuid4(), name=organization_name)
    await bind_organization(session, organization.id)
    user = User(
        id=uuid.uuid4(),
        email=normalise_email(email),
        full_name=full_name,
        password_hash=hash_password(password),
    )
    # RLS lets a request write only its own login.
    await bind_rls_lookup(session, "app.user_id", user.id)
    session.add_all([organization, user])
    await session.flush()
    session.add(Membership(organization_id=organization.id, user_id=user.id, role=Role.owner))
    await session.flush()
    return await _issue(
        session, settings, user_id=user.id, organization_id=organization.id, role=Role.owner
    )


async def authenticate(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    organization_id: uuid.UUID | None,
) -> IssuedTokens:
    """Password sign-in. Every failure looks the same, known email or not.

    A member with two-factor sign-in on gets `mfa.MfaRequired` instead of tokens, and
    one whose organization requires it but who has not enrolled `mfa.MfaEnrolmentRequired`.
    """
    user = await find_user_by_email(session, email)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise Unauthorized("Incorrect email or password.")
    await bind_rls_lookup(session, "app.user_id", user.id)
    memberships = (
        await session.execute(
            select(Membership, Organization.name)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user.id)
            .execution_options(**unscoped())
        )
    ).all()
    if organization_id is not None:
        memberships = [m for m in memberships if m[0].organization_id == organization_id]
    if not memberships:
        raise Unauthorized("Incorrect email or password.")
    if len(memberships) > 1:
        raise OrganizationChoiceRequired(
            sorted(((m.organization_id, name) for m, name in memberships), key=lambda o: o[1])
        )
    membership = memberships[0][0]
    await bind_organization(session, membership.organization_id)
    await mfa.check_sign_in(session, settings, user=user, membership=membership)
    return await _issue(
        session,
        settings,
        user_id=user.id,
        organization_id=membership.organization_id,
        role=Role(membership.role),
    )


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in whose password was right, waiting for its second factor (or enrolment)."""

    user: User
    membership: Membership
    purpose: mfa.Purpose


_EXPIRED_SIGN_IN = "The mfa_token is invalid or expired; sign in again."


async def pending_sign_in(
    session: AsyncSession, settings: Settings, *, mfa_token: str
) -> PendingSignIn:
    """The sign-in an `mfa_token` stands for; binds the session to its organization."""
    try:
        claims = decode_mfa_token(settings, mfa_token)
        purpose = mfa.Purpose(claims.purpose)
    except (InvalidToken, ValueError) as exc:
        raise Unauthorized(_EXPIRED_SIGN_IN) from exc
    # The login the second factor is checked (and its last step written) for.
    await bind_rls_lookup(session, "app.user_id", claims.user_id)
    user = await session.get(User, claims.user_id)
    await bind_organization(session, claims.organization_id)
    membership = (
        await session.execute(select(Membership).where(Membership.user_id == claims.user_id))
    ).scalar_one_or_none()
    if user is None or membership is None:
        raise Unauthorized(_EXPIRED_SIGN_IN)
    return PendingSignIn(user=user, membership=membership, purpose=purpose)


async def complete_sign_in(
    session: AsyncSession,
    settings: Settings,
    pending: PendingSignIn,
    *,
    code: str | None,
    recovery_code: str | None,
) -> IssuedTokens:
    """Finish a pending sign-in with a TOTP code or a recovery code (each works once)."""
    if not mfa.is_enabled(pending.user):
        raise Unauthorized("Two-factor sign-in is not set up for this account; sign in again.")
    if not await mfa.verify_second_factor(
        session, settings, pending.user, code=code, recovery_code=recovery_code
    ):
        raise Unauthorized("The code is not valid, or was already used.")
    return await issue_tokens(
        session,
        settings,
        user_id=pending.user.id,
        organization_id=pending.membership.organization_id,
        role=Role(pending.membership.role),
    )


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    role: Role,
) -> IssuedTokens:
    """Sign a member in (a new refresh-token family), e.g. after accepting an invitation."""
    return await _issue(
        session, settings, user_id=user_id, organization_id=organization_id, role=role
    )


async def _issue(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    role: Role,
    family_id: uuid.UUID | None = None,
) -> IssuedTokens:
    session_id = family_id or uuid.uuid4()
    # The access token names its sign-in, so revoking the family (logout, reuse of a
    # rotated refresh token, removal) ends the access tokens of that sign-in too.
    access_token, expires_at = issue_access_token(
        settings, user_id=user_id, organization_id=organization_id, role=role, session_id=session_id
    )
    secret = new_secret()
    refresh = RefreshToken(
        id=uuid.uuid4(),
        organization_id=organization_id,
        user_id=user_id,
        family_id=session_id,
        token_hash=hash_secret(secret),
        expires_at=utc_now() + timedelta(days=settings.refresh_token_days),
    )
    session.add(refresh)
    if family_id is None:  # a new sign-in; a refresh continues one
        recorder.record_login(session, user_id=user_id, organization_id=organization_id, role=role)
    await session.flush()
    return IssuedTokens(
        access_token=access_token,
        expires_in=int((expires_at - utc_now()).total_seconds()),
        refresh_token=id_token(refresh.id, secret),
        organization_id=organization_id,
        role=role,
    )


async def _load_refresh_token(session: AsyncSession, presented: str) -> RefreshToken | None:
    parsed = split_id_token(presented)
    if parsed is None:
        return None
    token_id, secret = parsed
    await bind_rls_lookup(session, "app.lookup_id", token_id)
    stored = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.id == token_id).execution_options(**unscoped())
        )
    ).scalar_one_or_none()
    if stored is None or not secret_matches(secret, stored.token_hash):
        return None
    await bind_organization(session, stored.organization_id)
    return stored


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    tokens: IssuedTokens | None
    # True when a rotated token came back: the family was revoked (keep that write).
    reuse_detected: bool = False


async def refresh(session: AsyncSession, settings: Settings, *, presented: str) -> RefreshOutcome:
    """Rotate a refresh token. Reuse of a rotated one revokes its whole family.

    A staff member whose organization now requires two-factor sign-in, and who has
    not enrolled, gets `mfa.MfaEnrolmentRequired` instead of new tokens.
    """
    stored = await _load_refresh_token(session, presented)
    now = utc_now()
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        return RefreshOutcome(tokens=None)
    if stored.rotated_at is not None:
        await _revoke_family(session, stored.family_id)
        await session.flush()
        return RefreshOutcome(tokens=None, reuse_detected=True)
    membership = (
        await session.execute(select(Membership).where(Membership.user_id == stored.user_id))
    ).scalar_one_or_none()
    if membership is None:
        await _revoke_family(session, stored.family_id)
        await session.flush()
        return RefreshOutcome(tokens=None)
    # An organization that turned the requirement on reaches sessions already open.
    user = await session.get_one(User, stored.user_id)
    await mfa.check_enrolment(session, settings, user=user, membership=membership)
    stored.rotated_at = now
    tokens = await _issue(
        session,
        settings,
        user_id=stored.user_id,
        organization_id=stored.organization_id,
        role=Role(membership.role),
        family_id=stored.family_id,
    )
    return RefreshOutcome(tokens=tokens)


async def logout(session: AsyncSession, *, presented: str) -> None:
    """Revoke the refresh token's family, which ends that sign-in's access tokens too
    (authentication checks the family); unknown tokens are ignored."""
    stored = await _load_refresh_token(session, presented)
    if stored is not None:
        await _revoke_family(session, stored.family_id)
        await session.flush()
