"""Two-factor sign-in: TOTP enrolment, one-time codes and recovery codes.

TOTP follows RFC 6238 as authenticator apps implement it (SHA-1, 6 digits,
30-second steps), through `pyotp`. A code is accepted one step either side of
now (clock drift), and only for a step later than the last accepted one, so a
code seen over someone's shoulder cannot be replayed.

Recovery codes are 80 random bits each and stored as SHA-256 digests, like the
other high-entropy secrets (`hash_secret`): a slow password hash buys nothing
against guessing 80 bits, and would cost one argon2 run per stored code on
every attempt.

TOTP secrets are stored encrypted (`app/core/encryption.py`, keys from
`COACH_TOTP_ENCRYPTION_KEYS`): reading the database is not enough to make codes. A
secret in clear text from before, or under a key that is no longer the first, is
sealed again with the current key when a code from it is next accepted.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.encryption import UnreadableSecret, totp_secrets
from app.core.errors import AppError, Conflict, Unprocessable
from app.core.security import hash_secret, issue_mfa_token
from app.core.time import utc_now
from app.models import Membership, Organization, User
from app.models.enums import STAFF_ROLES, Role
from app.models.organization import MfaRecoveryCode

logger = logging.getLogger(__name__)

ISSUER = "Coach API"
# One step (30 s) either side of now: phones' clocks drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: no 0/1/8/9 to misread
_RECOVERY_GROUPS, _RECOVERY_GROUP_LENGTH = 4, 4  # 16 base32 characters: 80 bits
# Long enough to open an authenticator app; an enrolment also needs a QR scan.
VERIFY_TOKEN_LIFETIME = timedelta(minutes=5)
ENROL_TOKEN_LIFETIME = timedelta(minutes=15)


class Purpose(StrEnum):
    """What an `mfa_token` lets its holder do, and nothing else."""

    verify = "mfa-verify"  # send a code to `POST /auth/token/mfa`
    enrol = "mfa-enrol"  # enrol through `/me/mfa`, then get tokens


class MfaRequired(AppError):
    """The password was right; the sign-in needs the second factor."""

    status, slug, title = 403, "mfa-required", "Second factor required"


class MfaEnrolmentRequired(AppError):
    """The organization requires a second factor that this member has not set up."""

    status, slug, title = 403, "mfa-enrolment-required", "Two-factor enrolment required"


def is_enabled(user: User) -> bool:
    return user.mfa_enabled_at is not None and user.mfa_secret is not None


def organization_requires(organization: Organization, role: Role) -> bool:
    return organization.require_mfa_for_staff and role in STAFF_ROLES


async def check_sign_in(
    session: AsyncSession, settings: Settings, *, user: User, membership: Membership
) -> None:
    """After a correct password: raise the problem asking for the second factor, or
    for enrolment in one, when either is due. The session is bound to the organization."""
    if is_enabled(user):
        raise challenge(settings, Purpose.verify, user=user, membership=membership)
    await check_enrolment(session, settings, user=user, membership=membership)


async def check_enrolment(
    session: AsyncSession, settings: Settings, *, user: User, membership: Membership
) -> None:
    """Raise `mfa-enrolment-required` if the organization requires a second factor of
    this member and they have none. The session is bound to the organization."""
    if is_enabled(user) or Role(membership.role) not in STAFF_ROLES:
        return
    organization = await session.get_one(Organization, membership.organization_id)
    if organization_requires(organization, Role(membership.role)):
        raise challenge(settings, Purpose.enrol, user=user, membership=membership)


def challenge(
    settings: Settings, purpose: Purpose, *, user: User, membership: Membership
) -> AppError:
    lifetime = VERIFY_TOKEN_LIFETIME if purpose is Purpose.verify else ENROL_TOKEN_LIFETIME
    token, _ = issue_mfa_token(
        settings,
        user_id=user.id,
        organization_id=membership.organization_id,
        role=str(membership.role),
        purpose=purpose.value,
        lifetime=lifetime,
    )
    extensions = {"mfa_token": token, "mfa_token_expires_in": int(lifetime.total_seconds())}
    if purpose is Purpose.verify:
        return MfaRequired(
            "Send the code from your authenticator app (or a recovery code) with this "
            "`mfa_token` to `POST /api/v1/auth/token/mfa`.",
            **extensions,
        )
    return MfaEnrolmentRequired(
        "Your organization requires two-factor sign-in for staff. Enrol with "
        "`POST /api/v1/me/mfa` and `POST /api/v1/me/mfa/confirm`, sending "
        "`Authorization: Bearer <mfa_token>`; confirming signs you in.",
        **extensions,
    )


# Codes


class InvalidCode(Unprocessable):
    """A wrong or reused code on an enrolment endpoint (counts as a failed attempt)."""


def invalid_code(field: str = "code") -> InvalidCode:
    return InvalidCode("The code is not valid, or was already used.", field=field)


def _matching_step(secret: str, code: str) -> int | None:
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(
            code, for_time=utc_now(), valid_window=VALID_WINDOW
        )
    except pyotp.OTPVerificationError:
        return None


async def _consume_code(session: AsyncSession, settings: Settings, user: User, code: str) -> bool:
    """True if the code is current and its time step was not used before (then it is used).

    A secret stored in clear text, or under an older key, is sealed with the current key
    in the same write."""
    if user.mfa_secret is None:
        return False
    box = totp_secrets(settings)
    try:
        opened = box.open(user.mfa_secret)
    except UnreadableSecret:
        logger.error(
            "the TOTP secret of user %s is under a key missing from "
            "COACH_TOTP_ENCRYPTION_KEYS: no code of theirs can be checked",
            user.id,
        )
        return False
    step = _matching_step(opened.value, code)
    if step is None:
        return False
    values: dict[str, object] = {"mfa_last_step": step}
    if opened.stale:
        values["mfa_secret"] = box.seal(opened.value)
    # Conditional, so two requests racing with one code cannot both win.
    claimed = await session.execute(
        update(User)
        .where(User.id == user.id, or_(User.mfa_last_step.is_(None), User.mfa_last_step < step))
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return getattr(claimed, "rowcount", 0) == 1


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


async def _consume_recovery_code(session: AsyncSession, user: User, code: str) -> bool:
    claimed = await session.execute(
        update(MfaRecoveryCode)
        .where(
            MfaRecoveryCode.user_id == user.id,
            MfaRecoveryCode.code_hash == hash_secret(normalise_recovery_code(code)),
            MfaRecoveryCode.used_at.is_(None),
        )
        .values(used_at=utc_now())
    )
    return getattr(claimed, "rowcount", 0) == 1


async def verify_second_factor(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    code: str | None,
    recovery_code: str | None,
) -> bool:
    """Check (and use up) a TOTP code or a recovery code of a user with MFA on."""
    if not is_enabled(user):
        return False
    if code is not None:
        return await _consume_code(session, settings, user, code)
    if recovery_code is not None:
        return await _consume_recovery_code(session, user, recovery_code)
    return False


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
        for _ in range(_RECOVERY_GROUPS)
    )
    return "-".join(groups)


async def _replace_recovery_codes(session: AsyncSession, user: User) -> list[str]:
    await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        MfaRecoveryCode(user_id=user.id, code_hash=hash_secret(normalise_recovery_code(code)))
        for code in codes
    )
    await session.flush()
    return codes


async def unused_recovery_codes(session: AsyncSession, user: User) -> int:
    count = await session.scalar(
        select(func.count()).where(
            MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None)
        )
    )
    return count or 0


# Enrolment


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


async def start_enrolment(session: AsyncSession, settings: Settings, user: User) -> Enrolment:
    """A new secret, pending until a code from it is confirmed; replaces a pending one.

    Returned in clear (shown once); stored sealed."""
    if is_enabled(user):
        raise Conflict(
            "Two-factor sign-in is already on. To move to a new device, turn it off "
            "(`DELETE /me/mfa`) and enrol again."
        )
    secret = pyotp.random_base32()
    user.mfa_secret = totp_secrets(settings).seal(secret)
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, otpauth_uri=uri)


async def confirm_enrolment(
    session: AsyncSession, settings: Settings, user: User, *, code: str
) -> list[str]:
    """Turn two-factor sign-in on with a first code; returns the recovery codes (once)."""
    if is_enabled(user):
        raise Conflict("Two-factor sign-in is already on.")
    if user.mfa_secret is None:
        raise Conflict("Start enrolment first with `POST /me/mfa`.")
    if not await _consume_code(session, settings, user, code):
        raise invalid_code()
    user.mfa_enabled_at = utc_now()
    await session.flush()
    return await _replace_recovery_codes(session, user)


async def regenerate_recovery_codes(
    session: AsyncSession, settings: Settings, user: User, *, code: str
) -> list[str]:
    """New recovery codes for a current TOTP code; the old ones stop working."""
    if not is_enabled(user):
        raise Conflict("Two-factor sign-in is not on.")
    if not await _consume_code(session, settings, user, code):
        raise invalid_code()
    return await _replace_recovery_codes(session, user)


async def disable(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    code: str | None,
    recovery_code: str | None,
) -> None:
    """Turn two-factor sign-in off (a current code or a recovery code proves the device).

    A pending enrolment is simply dropped; with nothing set up this does nothing.
    """
    if is_enabled(user) and not await verify_second_factor(
        session, settings, user, code=code, recovery_code=recovery_code
    ):
        raise invalid_code("recovery_code" if code is None else "code")
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    await session.flush()
