"""Email digests: each member's choice, per organization (app/digests/)."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TenantMixin, TimestampMixin


class DigestFrequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    never = "never"


class DigestPreference(IdMixin, TimestampMixin, TenantMixin, Base):
    """How often one membership gets its digest, and which period was last settled.

    A member without a row has the defaults (`app.digests.periods.DEFAULT_*`); the worker
    writes the row the first time it settles a period for them. `timezone` null: the
    organization's, whatever it is at the time. `last_period_start` is the start (UTC)
    of the latest period whose digest was put in the outbox, or skipped as empty: the
    worker claims a period by moving it forward in the transaction that enqueues the
    message, so a period is settled once, whatever restarts or runs beside it. Removing
    the member (or erasing a client login) deletes the row with the membership."""

    __tablename__ = "digest_preferences"
    # One row per membership; the constraint's index leads with the cascading column.
    __table_args__ = (UniqueConstraint("membership_id"),)

    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE")
    )
    frequency: Mapped[DigestFrequency] = mapped_column(String(8))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 Monday … 6 Sunday (weekly)
    hour: Mapped[int] = mapped_column(SmallInteger)  # 0-23, local
    timezone: Mapped[str | None] = mapped_column(String(64))
    last_period_start: Mapped[datetime | None]
