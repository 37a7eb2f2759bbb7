import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import (
    Base,
    IdMixin,
    JSONDocument,
    TenantMixin,
    TimestampMixin,
    VersionedMixin,
    foreign_key_index,
    partial_index,
)
from app.models.enums import (
    ContactSource,
    InteractionDirection,
    InteractionKind,
    Relationship,
    RoleAtCompany,
)

_COLD_UNANNOUNCED = (
    "last_contacted_at IS NOT NULL "
    "AND (cold_notified_for IS NULL OR last_contacted_at > cold_notified_for)"
)


class Contact(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """A person in a client's network; `referred_by_id` makes the contact tree.

    `depth`, `last_contacted_at` and `next_touch_due_at` are kept up to date by
    the services that change what they derive from (re-parenting, interactions),
    so lists can filter and sort on them in SQL.

    `imported` marks contacts a file import created: loading a network is not the
    client moving (app/clients/momentum.py). A flag rather than an `imported_at`, as
    `created_at` already says when the import ran.
    """

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("client_id", "email_normalized"),
        UniqueConstraint("client_id", "linkedin_normalized"),
        Index(None, "organization_id", "client_id", "created_at"),
        Index(None, "organization_id", "client_id", "referred_by_id"),
        Index(None, "organization_id", "client_id", "last_contacted_at"),
        Index(None, "organization_id", "client_id", "next_touch_due_at"),
        foreign_key_index("contacts", "referred_by_id", nullable=True),
        foreign_key_index("contacts", "company_id", nullable=True),
        foreign_key_index("contacts", "referred_in_interview_id", nullable=True),
        # The next actions' candidates (app/interviews/repository.py; companies without
        # people probe `ix_contacts_company_id` above). The caseload counts them for every
        # client at once, and without these it read every contact of the organization.
        partial_index(
            "ix_contacts_follow_up_planned",
            "next_follow_up_at IS NOT NULL",
            "organization_id",
            "client_id",
            "next_follow_up_at",
        ),
        partial_index(
            "ix_contacts_roots",
            "referred_by_id IS NULL",
            "organization_id",
            "client_id",
            "last_contacted_at",
        ),
        # The client's latest move among its contacts (app/clients/momentum.py), which
        # imports do not count: one probe instead of reading past a large import.
        # Each database's spelling of `~Contact.imported`: a partial index serves only a
        # query whose condition is written as its own.
        Index(
            "ix_contacts_added_by_hand",
            "organization_id",
            "client_id",
            "created_at",
            postgresql_where=text("NOT imported"),
            sqlite_where=text("imported = 0"),
        ),
        # The sweep's worklist: contacted, and not yet announced cold for that last touch.
        partial_index(
            "ix_contacts_cold_unannounced",
            _COLD_UNANNOUNCED,
            "organization_id",
            "last_contacted_at",
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    referred_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    email_normalized: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    linkedin_normalized: Mapped[str | None] = mapped_column(String(500))
    company_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    relationship: Mapped[Relationship] = mapped_column(String(32), default=Relationship.other)
    source: Mapped[ContactSource] = mapped_column(
        String(32), default=ContactSource.personal_network
    )
    role_at_company: Mapped[RoleAtCompany | None] = mapped_column(String(32))
    strength: Mapped[int | None]
    tags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    next_follow_up_at: Mapped[datetime | None]
    keep_in_touch_days: Mapped[int | None]
    # When the client connected with them on LinkedIn ("Connected On" of the export).
    connected_on: Mapped[date | None]
    imported: Mapped[bool] = mapped_column(default=False, server_default=false())

    # The target company this person works at (same client).
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL")
    )
    # The interview in which the referrer suggested this contact.
    referred_in_interview_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interviews.id", ondelete="SET NULL", use_alter=True)
    )

    depth: Mapped[int] = mapped_column(default=0)
    last_contacted_at: Mapped[datetime | None]
    next_touch_due_at: Mapped[datetime | None]
    # The `last_contacted_at` whose crossing into cold `contact.went_cold` announced
    # (app/jobs/sweep.py). A newer touch re-arms it without anyone resetting it.
    cold_notified_for: Mapped[datetime | None]


class Interaction(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "interactions"
    __table_args__ = (
        foreign_key_index("interactions", "contact_id", "occurred_at"),
        foreign_key_index("interactions", "client_id", "occurred_at"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[InteractionKind] = mapped_column(String(32))
    direction: Mapped[InteractionDirection] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    summary: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
