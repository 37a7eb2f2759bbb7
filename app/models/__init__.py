"""Every ORM model, imported here so Alembic and the mappers see one metadata."""

from app.db.base import Base
from app.models.agenda import AgendaItemState, AgendaItemStatus
from app.models.audit import AuditAction, AuditEntry
from app.models.calendar import CalendarFeed
from app.models.client import Client, ClientCoach
from app.models.contact import Contact, Interaction
from app.models.digest import DigestFrequency, DigestPreference
from app.models.enums import ClientStatus, Role, Scope
from app.models.event import (
    DeliveryStatus,
    Event,
    WebhookAttempt,
    WebhookBacklog,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.models.idempotency import IdempotencyRecord
from app.models.mail import EmailAttempt, EmailMessage, EmailStatus, PasswordReset
from app.models.organization import ApiKey, Invitation, Membership, Organization, RefreshToken, User
from app.models.pipeline import (
    Company,
    Interview,
    InterviewStageChange,
    Outreach,
    QuestionTemplate,
)

__all__ = [
    "AgendaItemState",
    "AgendaItemStatus",
    "ApiKey",
    "AuditAction",
    "AuditEntry",
    "Base",
    "CalendarFeed",
    "Client",
    "ClientCoach",
    "ClientStatus",
    "Company",
    "Contact",
    "DeliveryStatus",
    "DigestFrequency",
    "DigestPreference",
    "EmailAttempt",
    "EmailMessage",
    "EmailStatus",
    "Event",
    "IdempotencyRecord",
    "Interaction",
    "Interview",
    "InterviewStageChange",
    "Invitation",
    "Membership",
    "Organization",
    "Outreach",
    "PasswordReset",
    "QuestionTemplate",
    "RefreshToken",
    "Role",
    "Scope",
    "User",
    "WebhookAttempt",
    "WebhookBacklog",
    "WebhookDelivery",
    "WebhookEndpoint",
]
