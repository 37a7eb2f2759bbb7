import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import utc_now
from app.db.base import Base, IdMixin, JSONDocument, TenantMixin, TimestampMixin, VersionedMixin
from app.models.enums import Role


class Organization(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A coaching practice: the tenant. RLS keys this table on its own id."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    cold_after_days: Mapped[int] = mapped_column(default=30)
    stalled_after_days: Mapped[int] = mapped_column(default=14)
    # Keep-in-touch cadence per contact relationship, e.g. {"work": 45}.
    keep_in_touch_defaults: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Owners, admins and coaches must sign in with a second factor (app/auth/mfa.py).
    require_mfa_for_staff: Mapped[bool] = mapped_column(default=False, server_default=false())


class User(IdMixin, TimestampMixin, Base):
    """A login. Global: one person may belong to several organizations, so RLS shows a
    request only the logins it needs (`app/db/rls.py`)."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Two-factor sign-in (TOTP). The secret is encrypted, not hashed: checking a code
    # needs it (`app/core/encryption.py`). Set when enrolment starts; in force once
    # `mfa_enabled_at` is set.
    mfa_secret: Mapped[str | None] = mapped_column(String(255))
    mfa_enabled_at: Mapped[datetime | None]
    # The TOTP time step of the last accepted code: a code never works twice.
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)


class MfaRecoveryCode(IdMixin, Base):
    """A single-use code that stands in for the authenticator app; kept as a digest.

    Per user, like `users` (a login is global), so not a tenant table; RLS shows a
    request only its own user's codes (`app/db/rls.py`).
    """

    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Membership(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        Index(None, "organization_id", "role"),
        Index(None, "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(String(16))
    # Set for role=client: the client record this login is.
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE")
    )

    user: Mapped[User] = relationship(lazy="raise")


class Invitation(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "invitations"
    __table_args__ = (Index(None, "organization_id", "created_at"),)

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(String(16))
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ApiKey(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "organization_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(200))
    # The visible start of the key, shown in lists so a key can be recognised.
    prefix: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[str]] = mapped_column(JSONDocument)
    last_used_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class RefreshToken(IdMixin, TimestampMixin, TenantMixin, Base):
    """One link of a rotating chain; reuse of a rotated link revokes the family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index(None, "organization_id", "family_id"),
        Index(None, "organization_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
