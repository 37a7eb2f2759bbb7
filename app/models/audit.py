"""The audit log: who did what to which object, appended to and never changed.

An entry names objects and fields, never their values, so it holds no personal data:
erasing a client leaves its entries in place (app/privacy/erasure.py). On PostgreSQL a
trigger refuses UPDATE and DELETE of entries (migration 0007); only the deletion of
their organization, cascading, removes them.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utc_now
from app.db.base import Base, IdMixin, JSONDocument, TenantMixin


class AuditAction(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"
    # An update of a member's `role`.
    role_change = "role_change"
    # Tokens issued for a new sign-in (password, second factor, sign-up, invitation).
    login = "login"
    export = "export"
    erase = "erase"
    # An API key authenticated a request; at most once a minute per key.
    api_key_use = "api_key_use"
    # A member set a new password: with the current one, or through an emailed link.
    password_change = "password_change"  # noqa: S105 - an action's name, not a secret
    password_reset = "password_reset"  # noqa: S105 - an action's name, not a secret


class AuditEntry(IdMixin, TenantMixin, Base):
    """One action. The actor, object and client ids are not foreign keys: the log
    outlives the members, keys and clients it names."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index(None, "organization_id", "occurred_at"),
        Index(None, "organization_id", "object_id"),
        Index(None, "organization_id", "client_id", "occurred_at"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Both null: no authenticated caller (sign-up, accepting an invitation).
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[AuditAction] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[uuid.UUID | None]
    client_id: Mapped[uuid.UUID | None]
    # Names of the fields set or changed; never their values.
    changes: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    request_id: Mapped[str | None] = mapped_column(String(128))
