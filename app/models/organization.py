import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class User(IdMixin, TimestampMixin, Base):
    """A login. Global: one person may belong to several organizations."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))


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
