"""The job-search pipeline: target companies, outreach, interviews and the question bank."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import (
    Base,
    IdMixin,
    JSONDocument,
    TenantMixin,
    TimestampMixin,
    VersionedMixin,
    foreign_key_index,
)


class CompanyStatus(StrEnum):
    """In the order a search moves through them; automatic moves only go forward."""

    researching = "researching"
    targeted = "targeted"
    engaged = "engaged"
    applied = "applied"
    interviewing = "interviewing"
    offer = "offer"
    closed = "closed"


class OutreachChannel(StrEnum):
    email = "email"
    phone = "phone"
    linkedin = "linkedin"
    in_person = "in_person"
    introduction = "introduction"


class OutreachPurpose(StrEnum):
    informational_interview = "informational_interview"
    referral_request = "referral_request"
    follow_up = "follow_up"
    application = "application"


class OutreachStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    responded = "responded"
    declined = "declined"
    no_response = "no_response"


class InterviewKind(StrEnum):
    informational = "informational"
    job = "job"


class InterviewStage(StrEnum):
    requested = "requested"
    scheduled = "scheduled"
    held = "held"
    followed_up = "followed_up"
    cancelled = "cancelled"
    no_show = "no_show"
    offer = "offer"
    rejected = "rejected"
    withdrawn = "withdrawn"


class InterviewFormat(StrEnum):
    in_person = "in_person"
    phone = "phone"
    video = "video"


class QuestionCategory(StrEnum):
    company = "company"
    culture = "culture"
    contacts = "contacts"
    advice = "advice"
    role = "role"
    other = "other"


class Company(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """A company the client would like to work for, openings or not."""

    __tablename__ = "companies"
    __table_args__ = (
        foreign_key_index("companies", "client_id", "created_at"),
        Index(None, "organization_id", "client_id", "status"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    domain: Mapped[str | None] = mapped_column(String(253))
    industry: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[int] = mapped_column(default=3)
    status: Mapped[CompanyStatus] = mapped_column(String(32), default=CompanyStatus.researching)
    why_interested: Mapped[str | None] = mapped_column(Text)
    research_notes: Mapped[str | None] = mapped_column(Text)
    has_openings: Mapped[bool | None]


class Outreach(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """A message or call asking a contact for something (usually 15 to 20 minutes)."""

    __tablename__ = "outreach"
    __table_args__ = (
        foreign_key_index("outreach", "client_id", "created_at"),
        Index(None, "organization_id", "client_id", "status", "sent_at"),
        foreign_key_index("outreach", "contact_id"),
        foreign_key_index("outreach", "company_id", nullable=True),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL")
    )
    channel: Mapped[OutreachChannel] = mapped_column(String(32))
    purpose: Mapped[OutreachPurpose] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(300))
    message: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    status: Mapped[OutreachStatus] = mapped_column(String(32), default=OutreachStatus.draft)
    sent_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]


class Interview(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """An informational or job interview; `stage` moves only through transitions."""

    __tablename__ = "interviews"
    __table_args__ = (
        foreign_key_index("interviews", "client_id", "kind", "stage"),
        foreign_key_index("interviews", "contact_id", nullable=True),
        foreign_key_index("interviews", "company_id", nullable=True),
        foreign_key_index("interviews", "outreach_id", nullable=True),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL")
    )
    outreach_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outreach.id", ondelete="SET NULL")
    )
    kind: Mapped[InterviewKind] = mapped_column(String(32))
    stage: Mapped[InterviewStage] = mapped_column(String(32))
    # When the current stage was entered: the board's "oldest item" age.
    stage_changed_at: Mapped[datetime]
    scheduled_at: Mapped[datetime | None]
    duration_minutes: Mapped[int | None]
    format: Mapped[InterviewFormat | None] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    advice: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    coach_notes: Mapped[str | None] = mapped_column(Text)
    held_at: Mapped[datetime | None]
    thank_you_sent_at: Mapped[datetime | None]


class InterviewStageChange(IdMixin, TenantMixin, Base):
    """One move of an interview's stage: who, when, from, to.

    `occurred_at` is when the step happened (it may be back-dated); `changed_at` is when
    it was recorded, which orders the history.
    """

    __tablename__ = "interview_stage_changes"
    __table_args__ = (foreign_key_index("interview_stage_changes", "interview_id", "changed_at"),)

    interview_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    from_stage: Mapped[InterviewStage | None] = mapped_column(String(32))
    to_stage: Mapped[InterviewStage] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    changed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)


class QuestionTemplate(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """A reusable question for outreach emails and meetings, shared by the organization.

    Deleting one retires it (`retired_at`) so that the default set, seeded on the first
    read of an organization's bank, never comes back by itself.
    """

    __tablename__ = "question_templates"
    __table_args__ = (
        UniqueConstraint("organization_id", "seed_key"),
        Index(None, "organization_id", "category"),
    )

    category: Mapped[QuestionCategory] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(1000))
    # Set on the seeded defaults only: makes concurrent seeding insert each once.
    seed_key: Mapped[str | None] = mapped_column(String(64))
    retired_at: Mapped[datetime | None]
