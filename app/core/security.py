"""Passwords, JWTs and opaque secrets. The only module that imports `jose`."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings
from app.core.time import utc_now

# Exactly one symmetric algorithm: allowing an asymmetric family beside it
# lets a token HMAC-signed with a public key pass (python-jose #398/#414).
JWT_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("exp", "iat", "aud", "iss", "sub", "jti")
# How far ahead of our clock a token's `iat`/`nbf` may be: servers' clocks drift by
# seconds, so a minute covers honest skew and no more (a year ahead is a forgery).
CLOCK_LEEWAY_SECONDS = 60
# NumericDates beyond this year cannot be turned into datetimes (OverflowError).
_LAST_NUMERIC_DATE = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())
# The `typ` claim says what a JWT is for, so one kind is never taken for another.
# Refresh tokens are opaque `<id hex>.<secret>` strings, never JWTs: no `typ` of theirs.
ACCESS_TYP = "access"
MFA_TYP = "mfa"
# What a token's verification may raise besides InvalidToken: jose itself lets
# OverflowError out (`int(Infinity)`), so it is caught as well.
_DECODE_ERRORS = (JWTError, KeyError, ValueError, TypeError, AttributeError, ArithmeticError)


@dataclass(slots=True)
class _Passwords:
    """The process's argon2 parameters (`configure_password_hashing`), and a hash made
    with them that is verified when the email is unknown, so both paths cost one check."""

    hasher: PasswordHash
    dummy_hash: str

    @classmethod
    def with_parameters(cls, *, time_cost: int, memory_kib: int, parallelism: int) -> "_Passwords":
        hasher = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )
        return cls(hasher, hasher.hash(secrets.token_urlsafe(16)))


# Argon2's own defaults until the app is configured (a CLI command that hashes without one).
_passwords = _Passwords.with_parameters(time_cost=3, memory_kib=65536, parallelism=4)


def configure_password_hashing(settings: Settings) -> None:
    """Hash new passwords with the settings' parameters. Stored hashes name their own
    parameters, so existing ones keep verifying whatever the settings say."""
    global _passwords
    _passwords = _Passwords.with_parameters(
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )


def hash_password(password: str) -> str:
    return _passwords.hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _passwords.hasher.verify(password, _passwords.dummy_hash)
        return False
    return _passwords.hasher.verify(password, password_hash)


def hash_secret(secret: str) -> str:
    """Digest of a high-entropy opaque secret (API key, refresh token, invitation)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), digest)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def id_token(object_id: uuid.UUID, secret: str) -> str:
    """`<id hex>.<secret>`: the token of a row looked up by id, its secret stored hashed
    (refresh token, invitation, password reset)."""
    return f"{object_id.hex}.{secret}"


def split_id_token(presented: str) -> tuple[uuid.UUID, str] | None:
    """An `id_token`'s id and secret, or None when `presented` is not one."""
    id_hex, _, secret = presented.partition(".")
    try:
        object_id = uuid.UUID(hex=id_hex)
    except ValueError:
        return None
    return (object_id, secret) if secret else None


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says. No role: the role is read from the membership
    on every request (the token's `role` claim is a hint for clients, never trusted)."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    # The sign-in (refresh-token family) it belongs to: logging out ends it.
    session_id: uuid.UUID
    token_id: str
    expires_at: datetime


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not meant for us."""


def _encode(
    settings: Settings,
    audience: str,
    token_type: str,
    lifetime: timedelta,
    subject_claims: dict[str, str],
) -> tuple[str, datetime]:
    now = utc_now()
    expires_at = now + lifetime
    claims: dict[str, Any] = subject_claims | {
        "typ": token_type,
        "iss": settings.jwt_issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.signing_secret(), algorithm=JWT_ALGORITHM)
    return token, expires_at


def _decode(settings: Settings, token: str, audience: str, token_type: str) -> dict[str, Any]:
    """The verified claims; raises (InvalidToken, one of `_DECODE_ERRORS`) on any doubt."""
    options = {f"require_{claim}": True for claim in _REQUIRED_CLAIMS}
    options |= {"verify_aud": True, "verify_iss": True, "verify_exp": True}
    header = jwt.get_unverified_header(token)
    if header.get("alg") != JWT_ALGORITHM:
        raise InvalidToken("unexpected algorithm")
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.signing_secret(),
        algorithms=[JWT_ALGORITHM],
        audience=audience,
        issuer=settings.jwt_issuer,
        options=options,
    )
    _check_times(claims)
    if claims.get("typ") != token_type:
        raise InvalidToken("not this kind of token")
    for name in ("sub", "org"):
        _uuid_claim(claims, name)
    jti = claims["jti"]
    if not isinstance(jti, str) or uuid.UUID(hex=jti).hex != jti:
        raise InvalidToken("malformed jti")
    return claims


def _numeric_date(claims: dict[str, Any], name: str) -> int:
    """A time claim, as we write them: a JSON integer of seconds.

    jose accepts anything `int()` takes: "9999999999", true, 1.5, and Infinity
    (Python's json reads it), which then overflows. We only issue whole seconds,
    so anything else, fractions included, is not a token of ours.
    """
    value = claims[name]
    if type(value) is not int or not 0 <= value <= _LAST_NUMERIC_DATE:
        raise InvalidToken(f"`{name}` is not a NumericDate")
    return value


def _check_times(claims: dict[str, Any]) -> None:
    # jose checks `exp` and `nbf` against the wall clock; these check them against
    # ours (tests move it with `set_clock`), and `iat`, which jose leaves unchecked.
    now = int(utc_now().timestamp())
    expires, issued = _numeric_date(claims, "exp"), _numeric_date(claims, "iat")
    if expires <= now:
        raise InvalidToken("expired")
    if issued > now + CLOCK_LEEWAY_SECONDS:
        raise InvalidToken("issued in the future")
    if issued >= expires:
        raise InvalidToken("expires before it was issued")
    if "nbf" in claims and _numeric_date(claims, "nbf") > now + CLOCK_LEEWAY_SECONDS:
        raise InvalidToken("not yet valid")


def _uuid_claim(claims: dict[str, Any], name: str) -> uuid.UUID:
    """A UUID in the one spelling we write (`uuid.UUID` also takes braces, `urn:uuid:`…)."""
    value = claims[name]
    parsed = uuid.UUID(value) if isinstance(value, str) else None
    if parsed is None or str(parsed) != value:
        raise InvalidToken(f"malformed `{name}`")
    return parsed


def issue_access_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    role: str,
    session_id: uuid.UUID,
) -> tuple[str, datetime]:
    """An access token of the sign-in `session_id` (its refresh-token family)."""
    return _encode(
        settings,
        settings.jwt_audience,
        ACCESS_TYP,
        timedelta(minutes=settings.access_token_minutes),
        {"sub": str(user_id), "org": str(organization_id), "role": role, "sid": str(session_id)},
    )


# Verifying a token costs about as much CPU as the rest of a small read, and a SPA
# sends the same one for up to its whole lifetime: the claims of a verified token are
# kept (bounded, oldest out first), keyed by everything the verification depended on.
# Expiry is checked again on every use. Only the token is vouched for: whether its
# member and sign-in still stand is read from the database on every request.
_VERIFIED_LIMIT = 4096
_verified: dict[tuple[str, str, str, str], AccessClaims] = {}


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    key = (token, settings.signing_secret(), settings.jwt_audience, settings.jwt_issuer)
    claims = _verified.get(key)
    if claims is None:
        claims = _verify_access_token(settings, token)
        if len(_verified) >= _VERIFIED_LIMIT:
            del _verified[next(iter(_verified))]
        _verified[key] = claims
    if claims.expires_at <= utc_now():
        _verified.pop(key, None)
        raise InvalidToken("expired")
    return claims


def _verify_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        claims = _decode(settings, token, settings.jwt_audience, ACCESS_TYP)
        return AccessClaims(
            user_id=_uuid_claim(claims, "sub"),
            organization_id=_uuid_claim(claims, "org"),
            session_id=_uuid_claim(claims, "sid"),
            token_id=claims["jti"],
            expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
        )
    except _DECODE_ERRORS as exc:
        raise InvalidToken(str(exc)) from exc


def _mfa_audience(settings: Settings) -> str:
    # A different audience: an MFA token is never accepted as an access token,
    # and an access token never as an MFA token.
    return f"{settings.jwt_audience}/mfa"


@dataclass(frozen=True, slots=True)
class MfaClaims:
    """A password sign-in waiting for its second factor (or for enrolment in one)."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: str
    purpose: str


def issue_mfa_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    role: str,
    purpose: str,
    lifetime: timedelta,
) -> tuple[str, datetime]:
    return _encode(
        settings,
        _mfa_audience(settings),
        MFA_TYP,
        lifetime,
        {"sub": str(user_id), "org": str(organization_id), "role": role, "purpose": purpose},
    )


def decode_mfa_token(settings: Settings, token: str) -> MfaClaims:
    try:
        claims = _decode(settings, token, _mfa_audience(settings), MFA_TYP)
        role, purpose = claims["role"], claims["purpose"]
        if not isinstance(role, str) or not isinstance(purpose, str):
            raise InvalidToken("malformed role or purpose")
        return MfaClaims(
            user_id=_uuid_claim(claims, "sub"),
            organization_id=_uuid_claim(claims, "org"),
            role=role,
            purpose=purpose,
        )
    except _DECODE_ERRORS as exc:
        raise InvalidToken(str(exc)) from exc


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2
