"""Events (the transactional outbox) and their delivery to webhook endpoints."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utc_now
from app.db.base import Base, IdMixin, JSONDocument, TenantMixin, TimestampMixin, VersionedMixin


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class Event(IdMixin, TenantMixin, Base):
    """Something that happened, written in the same transaction as the change.

    `client_id` is deliberately not a foreign key: the event log outlives the
    client it describes (a `client.deleted` event names a row that is gone).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "organization_id", "occurred_at"),
        Index(None, "organization_id", "type", "occurred_at"),
        Index(None, "organization_id", "client_id", "occurred_at"),
    )

    type: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)


class WebhookEndpoint(IdMixin, TimestampMixin, VersionedMixin, TenantMixin, Base):
    """A URL an organization wants events posted to."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "organization_id", "created_at"),)

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    # Empty: every event type.
    event_types: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Why delivery stopped on its own: "gone" (the receiver answered 410) or "failing".
    disabled_reason: Mapped[str | None] = mapped_column(String(32))
    # Kept in clear: HMAC signing needs the secret itself, not a hash of it.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    # Start of the current run of failed attempts; cleared by any success.
    failing_since: Mapped[datetime | None]


class WebhookDelivery(IdMixin, TimestampMixin, TenantMixin, Base):
    """One event owed to one endpoint, retried until it succeeds or runs out of attempts."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index(None, "organization_id", "endpoint_id", "created_at"),
        # The worker's claim query runs across organizations.
        Index(None, "status", "next_attempt_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The `webhook-id` header: the same on every retry so receivers can de-duplicate.
    message_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.pending)
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    # A worker's lease: nobody else sends this delivery until it passes.
    claimed_until: Mapped[datetime | None]


class WebhookAttempt(IdMixin, TenantMixin, Base):
    """One HTTP attempt of a delivery, kept for the deliveries log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "organization_id", "delivery_id", "attempted_at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utc_now)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    # What the receiver answered, kept short: a few headers, and the start of the body
    # with every value we sent blanked out (a receiver may echo the payload).
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))


class WebhookBacklog(Base):
    """The delivery backlog across every organization, measured by the worker.

    The worker's role sees all tenants; the API's sees one at a time, so `GET /metrics`
    reads these counts instead of counting deliveries itself. Counts only, no tenant
    data, hence no `organization_id` and no RLS. One row per measurement name.
    """

    __tablename__ = "webhook_backlog"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    pending: Mapped[int]
    due: Mapped[int]
    failed: Mapped[int]
    oldest_due_at: Mapped[datetime | None]
    measured_at: Mapped[datetime]
