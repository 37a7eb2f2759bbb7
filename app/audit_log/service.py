"""Reading the audit log (writing is app/audit/recorder.py)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import object_kind
from app.audit_log import repository
from app.core.pagination import PageParams, SortKey, paginate
from app.db.base import Base
from app.models import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    action: AuditAction | None = None
    object_type: str | None = None
    object_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def object_types() -> list[str]:
    """Every `object_type` the log can name, for the API's documentation."""
    kinds = (object_kind(mapper.class_) for mapper in Base.registry.mappers)
    return sorted({kind.object_type for kind in kinds if kind is not None})


async def list_entries(
    session: AsyncSession, *, params: PageParams, filters: AuditFilters
) -> tuple[list[AuditEntry], str | None]:
    """The organization's entries, newest first."""
    statement = repository.readable_entries()
    if filters.actor_id is not None:
        statement = statement.where(
            or_(
                AuditEntry.actor_user_id == filters.actor_id,
                AuditEntry.actor_api_key_id == filters.actor_id,
            )
        )
    if filters.action is not None:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.object_type is not None:
        statement = statement.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id is not None:
        statement = statement.where(AuditEntry.object_id == filters.object_id)
    if filters.client_id is not None:
        statement = statement.where(AuditEntry.client_id == filters.client_id)
    if filters.since is not None:
        statement = statement.where(AuditEntry.occurred_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEntry.occurred_at < filters.until)
    sort = SortKey((AuditEntry.occurred_at, AuditEntry.id), descending=True)
    entries, next_cursor = await paginate(session, statement, sort=sort, params=params)
    return entries, next_cursor
