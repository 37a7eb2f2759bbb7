import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.audit_log import service
from app.audit_log.schemas import AuditEntryRead
from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.core.errors import problem_responses
from app.core.instants import UtcInstant
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.models import AuditAction
from app.models.enums import ADMIN_ROLES, Scope

router = api_router(tags=["audit"], responses=problem_responses(401, 403, 422))

AuditReader = Annotated[Principal, Depends(Authorize(Scope.audit_read, ADMIN_ROLES))]


@router.get(
    "/audit-log",
    operation_id="audit_log_list",
    summary="The organization's audit log, newest first",
    description="Who did what to which object: every create, update and delete made "
    "through the API (bulk ones included, such as a CSV import), role changes, sign-ins, "
    "client exports and erasures, and API key use (at most one entry a minute per key). "
    "Entries name fields, never their values, so the log holds no personal data and "
    "outlives erasures. It is append-only: no operation changes or deletes entries (on "
    "PostgreSQL the database refuses it too). Filters combine; `since` and `until` are "
    "instants (`[since, until)`). Owners and admins only; API keys need `audit:read`.",
)
async def list_audit_log(
    session: SessionDep,
    _principal: AuditReader,
    page: PageParamsDep,
    actor_id: Annotated[
        uuid.UUID | None, Query(description="The member's user id or the API key's id.")
    ] = None,
    action: AuditAction | None = None,
    object_type: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern="^[a-z][a-z_]*$",
            description="One of: " + ", ".join(f"`{t}`" for t in service.object_types()) + ".",
        ),
    ] = None,
    object_id: uuid.UUID | None = None,
    client_id: Annotated[
        uuid.UUID | None, Query(description="Entries about objects under this client.")
    ] = None,
    since: Annotated[UtcInstant | None, Query(description="Occurred at or after.")] = None,
    until: Annotated[UtcInstant | None, Query(description="Occurred before.")] = None,
) -> Page[AuditEntryRead]:
    filters = service.AuditFilters(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        since=since,
        until=until,
    )
    entries, next_cursor = await service.list_entries(session, params=page, filters=filters)
    return Page(data=[AuditEntryRead.model_validate(e) for e in entries], next_cursor=next_cursor)
