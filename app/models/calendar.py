"""Calendar feeds: a member's secret subscription URL (app/calendar/)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TenantMixin, TimestampMixin


class CalendarFeed(IdMixin, TimestampMixin, TenantMixin, Base):
    """One member's feed in one organization: its URL carries `<id hex>_<secret>`, and
    only the secret's SHA-256 is kept. Rotating replaces the secret (and `issued_at`) in
    place, so the old URL stops at once; removing the member deletes the feed (the
    membership cascades), and so does deleting the login."""

    __tablename__ = "calendar_feeds"
    # One feed per membership; the constraint's index leads with the cascading column.
    __table_args__ = (UniqueConstraint("membership_id"),)

    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE")
    )
    secret_hash: Mapped[str] = mapped_column(String(128))
    # When the current URL was issued: the feed's creation, or its latest rotation.
    issued_at: Mapped[datetime]
