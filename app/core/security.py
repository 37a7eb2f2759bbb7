"""Passwords, JWTs and opaque secrets. The only module that imports `jose`."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
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

_password_hash = PasswordHash((Argon2Hasher(),))
# Verified when the email is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


def hash_secret(secret: str) -> str:
    """Digest of a high-entropy opaque secret (API key, refresh token, invitation)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), digest)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: str
    token_id: str
    expires_at: datetime


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not meant for us."""


def _encode(
    settings: Settings, audience: str, lifetime: timedelta, subject_claims: dict[str, str]
) -> tuple[str, datetime]:
    now = utc_now()
    expires_at = now + lifetime
    claims: dict[str, Any] = subject_claims | {
        "iss": settings.jwt_issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.signing_secret(), algorithm=JWT_ALGORITHM)
    return token, expires_at


def _decode(settings: Settings, token: str, audience: str) -> dict[str, Any]:
    """The verified claims; raises (JWTError, InvalidToken, …) on any doubt."""
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
    # jose checks `exp` against the wall clock; this checks it against ours too,
    # so tests that move time with `set_clock` see tokens expire.
    if int(claims["exp"]) <= int(utc_now().timestamp()):
        raise InvalidToken("expired")
    return claims


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, organization_id: uuid.UUID, role: str
) -> tuple[str, datetime]:
    return _encode(
        settings,
        settings.jwt_audience,
        timedelta(minutes=settings.access_token_minutes),
        {"sub": str(user_id), "org": str(organization_id), "role": role},
    )


# Verifying a token costs about as much CPU as the rest of a small read, and a SPA
# sends the same one for up to its whole lifetime: the claims of a verified token are
# kept (bounded, oldest out first), keyed by everything the verification depended on.
# Expiry is checked again on every use.
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
        claims = _decode(settings, token, settings.jwt_audience)
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            organization_id=uuid.UUID(claims["org"]),
            role=str(claims["role"]),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utc_now().tzinfo),
        )
    except (JWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
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
        lifetime,
        {"sub": str(user_id), "org": str(organization_id), "role": role, "purpose": purpose},
    )


def decode_mfa_token(settings: Settings, token: str) -> MfaClaims:
    try:
        claims = _decode(settings, token, _mfa_audience(settings))
        return MfaClaims(
            user_id=uuid.UUID(claims["sub"]),
            organization_id=uuid.UUID(claims["org"]),
            role=str(claims["role"]),
            purpose=str(claims["purpose"]),
        )
    except (JWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken(str(exc)) from exc


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2
