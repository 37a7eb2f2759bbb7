"""What a user did with an item of their agenda: done, snoozed or dismissed."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TenantMixin, TimestampMixin, foreign_key_index


class AgendaItemStatus(StrEnum):
    done = "done"
    snoozed = "snoozed"
    dismissed = "dismissed"


class AgendaItemState(IdMixin, TimestampMixin, TenantMixin, Base):
    """One user's answer to one agenda item, `(kind, subject_id)`.

    `basis_at` is the instant the item was due from when the user acted (a meeting's
    `held_at`, a contact's last touch, ...): `done` hides the item only while that instant
    is unchanged, so the same condition arising again (a new touch, then cooling again)
    brings it back. `snoozed` hides it until `snoozed_until`; `dismissed` for good.
    """

    __tablename__ = "agenda_item_states"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id", "kind", "subject_id"),
        foreign_key_index("agenda_item_states", "client_id"),
        foreign_key_index("agenda_item_states", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID]
    status: Mapped[AgendaItemStatus] = mapped_column(String(16))
    basis_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
