import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utc_now
from app.db.base import Base, IdMixin, JSONDocument, TenantMixin, TimestampMixin, VersionedMixin
from app.models.enums import ClientStatus


class Client(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """A job seeker being coached (with or without a login)."""

    __tablename__ = "clients"
    __table_args__ = (
        Index(None, "organization_id", "created_at"),
        Index(None, "organization_id", "status"),
    )

    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    headline: Mapped[str | None] = mapped_column(String(300))
    target_roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    target_industries: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    locations: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    status: Mapped[ClientStatus] = mapped_column(String(16), default=ClientStatus.active)
    weekly_outreach_goal: Mapped[int | None]
    weekly_informational_goal: Mapped[int | None]
    # Coach-only: never shown to the client role.
    notes: Mapped[str | None] = mapped_column(Text)
    # When the client last moved, as of the `client.stalled` event that announced the
    # stall (app/jobs/sweep.py). A newer move re-arms it without anyone resetting it.
    stalled_notified_for: Mapped[datetime | None]


class ClientCoach(TenantMixin, Base):
    """Assignment of a coach (a member) to a client."""

    __tablename__ = "client_coaches"
    __table_args__ = (Index(None, "organization_id", "coach_id"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
