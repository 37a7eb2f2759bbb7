"""Outgoing email (a transactional outbox, like webhook deliveries) and password resets.

Neither table is a tenant table: a password-reset message belongs to a login, not to an
organization. Row-Level Security lets the API's role only *add* rows here (app/db/rls.py);
the worker, which serves every organization, reads and sends them.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utc_now
from app.db.base import Base, IdMixin, JSONDocument


class EmailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # every attempt used up


class EmailMessage(IdMixin, Base):
    """One message owed to one recipient, written in the transaction of the request that
    caused it and sent by the worker (`app.mail.dispatch`), retried until it is sent or
    runs out of attempts. Once sent, its bodies are blanked: they may hold a secret link,
    and the recipient's inbox has them now."""

    __tablename__ = "email_messages"
    __table_args__ = (
        # The worker's claim query runs across organizations.
        Index(None, "status", "next_attempt_at"),
        Index(None, "organization_id", "created_at"),
        Index(None, "user_id"),
        Index(None, "client_id"),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # The login it is for, when it is for one (password reset, digest) …
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # … and the client it is about (a client login's invitation): erasing either erases it.
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE")
    )
    # What it is ("invitation", "password-reset", "password-changed"): logs and metrics.
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # The RFC 5322 Message-ID, the same on every attempt, so a receiving server (or the
    # `.eml` folder) that got an attempt whose answer was lost keeps one copy.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Extra header lines (List-Unsubscribe, …), name → value.
    headers: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    status: Mapped[EmailStatus] = mapped_column(String(16), default=EmailStatus.pending)
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    # A worker's lease: nobody else sends this message until it passes.
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class EmailAttempt(IdMixin, Base):
    """One try at handing a message to the mail server (or the `.eml` folder)."""

    __tablename__ = "email_attempts"
    __table_args__ = (Index(None, "email_id", "attempted_at"),)

    email_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("email_messages.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(default=utc_now)
    succeeded: Mapped[bool]
    duration_ms: Mapped[int] = mapped_column(default=0)
    # What the server said when it refused (or why it could not be reached), kept short.
    error: Mapped[str | None] = mapped_column(String(500))


class PasswordReset(IdMixin, Base):
    """A request to reset the password of whoever has `email`.

    The request only stores the address: whether a login has it is settled by the worker
    (`app.auth.password_reset.issue_requested`), so the request itself costs the same and
    answers the same for every address. The worker then fills in the login and the
    token's hash and sends the link; the token works once, until `expires_at`.
    """

    __tablename__ = "password_resets"
    __table_args__ = (
        Index(None, "issued_at", "requested_at"),
        Index(None, "user_id"),
    )

    email: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    # Set by the worker: when it looked (whether or not a login has the address) …
    issued_at: Mapped[datetime | None]
    # … and, if one has, which, and the hash of the token it sent.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str | None] = mapped_column(String(128))
    used_at: Mapped[datetime | None]
