"""The audit log's writer: every change to a tenant object, recorded in one place.

Two session hooks see every write a request makes, so no service records its own
creates, updates and deletes:

* `after_flush`: each new, changed or deleted object of an audited model (every tenant
  model, and the organization itself) gets an entry naming the fields set or changed.
* `do_orm_execute`: bulk `INSERT`/`UPDATE`/`DELETE` statements on audited models (a CSV
  import, removing a coach, re-parenting a subtree) get one entry per row; an UPDATE or
  DELETE first reads the ids of the rows it will touch (one extra query per statement).

Only writes made by a request, through that request's own session, are recorded: the
worker's bookkeeping (deliveries, sweeps) is not an action of anyone. The actor is the
authenticated caller in the request context (a member, or an API key); both are null for
unauthenticated requests (sign-up, accepting an invitation), whose `login` entry then
names the member.

Explicit entries, for what is not a write of a tenant object: `record_login`,
`record_api_key_use`, and `record` (export, erase). A bulk statement whose caller records
its own summary entry (erasure) opts out with `recorded_elsewhere()`.
"""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, event, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.core.request_context import Caller, RequestContext, current_request_context
from app.core.time import utc_now
from app.db.base import TenantMixin
from app.db.tenancy import bound_organization, unscoped
from app.models import (
    ApiKey,
    AuditAction,
    AuditEntry,
    Client,
    ClientCoach,
    Event,
    IdempotencyRecord,
    Membership,
    Organization,
    RefreshToken,
    WebhookAttempt,
    WebhookDelivery,
)
from app.models.enums import Role

# Tenant models whose rows are not anyone's action on an object: the log itself, the
# event outbox and its deliveries (written for every change already audited), refresh
# tokens (rotated on every refresh; sign-ins are `login` entries) and stored responses.
NOT_AUDITED: frozenset[type] = frozenset(
    {AuditEntry, Event, WebhookDelivery, WebhookAttempt, RefreshToken, IdempotencyRecord}
)

# Objects named by what the API addresses them with: a member by user id (the path of
# `/members/{user_id}`), a coach assignment by the coach's user id (with its client).
_OBJECTS: dict[type, tuple[str, str]] = {
    Membership: ("member", "user_id"),
    ClientCoach: ("client_coach", "coach_id"),
}

# Columns every write touches: naming them would say nothing.
_BOOKKEEPING = frozenset({"id", "organization_id", "created_at", "updated_at", "version"})

_SKIP_OPTION = "coach_audit_recorded_elsewhere"
_TABLE = cast(Table, AuditEntry.__table__)


def recorded_elsewhere() -> dict[str, Any]:
    """Execution options for a bulk statement whose caller writes its own audit entry."""
    return {_SKIP_OPTION: True}


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """How an audited model's rows appear in the log."""

    object_type: str
    id_attribute: str
    client_attribute: str | None
    organization_attribute: str


_KINDS: dict[type, ObjectKind | None] = {}


def object_kind(model: type) -> ObjectKind | None:
    """The audited description of `model`, or None when its rows are not audited."""
    if model not in _KINDS:
        _KINDS[model] = _describe(model)
    return _KINDS[model]


def _describe(model: type) -> ObjectKind | None:
    if model is Organization:
        return ObjectKind("organization", "id", None, "id")
    if not issubclass(model, TenantMixin) or model in NOT_AUDITED:
        return None
    object_type, id_attribute = _OBJECTS.get(model, (_snake(model.__name__), "id"))
    columns = inspect(model).columns
    if model is Client:
        client_attribute: str | None = "id"
    else:
        client_attribute = "client_id" if "client_id" in columns else None
    return ObjectKind(object_type, id_attribute, client_attribute, "organization_id")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _request_context(session: Session) -> RequestContext | None:
    """The request context when `session` is that request's own session."""
    context = current_request_context()
    if context is None or context.session is None or context.session.sync_session is not session:
        return None
    return context


def _entry(
    *,
    organization_id: uuid.UUID,
    action: AuditAction,
    object_type: str,
    object_id: uuid.UUID | None,
    client_id: uuid.UUID | None,
    changes: Iterable[str],
    actor: Caller,
    request_id: str | None,
) -> dict[str, Any]:
    context = current_request_context()
    if context is not None and client_id is not None:
        # The request wrote this client's data: its stored response is the client's too.
        context.clients_written.add(client_id)
    return {
        "id": uuid.uuid4(),
        "organization_id": organization_id,
        "occurred_at": utc_now(),
        "actor_user_id": actor.user_id,
        "actor_api_key_id": actor.api_key_id,
        "actor_role": actor.role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "client_id": client_id,
        "changes": sorted(set(changes) - _BOOKKEEPING),
        "request_id": request_id,
    }


def record(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    action: AuditAction,
    object_type: str,
    object_id: uuid.UUID | None,
    client_id: uuid.UUID | None = None,
    changes: Iterable[str] = (),
    actor: Caller | None = None,
) -> None:
    """Add an explicit entry to the session (flushed with the request's transaction).

    The actor defaults to the request's authenticated caller."""
    context = current_request_context()
    session.add(
        AuditEntry(
            **_entry(
                organization_id=organization_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                client_id=client_id,
                changes=changes,
                actor=actor or (context.caller if context else None) or Caller(),
                request_id=context.request_id if context else None,
            )
        )
    )


def record_login(
    session: AsyncSession, *, user_id: uuid.UUID, organization_id: uuid.UUID, role: Role
) -> None:
    """A member signed in: tokens were issued for a new sign-in (not a refresh)."""
    record(
        session,
        organization_id=organization_id,
        action=AuditAction.login,
        object_type="member",
        object_id=user_id,
        actor=Caller(user_id=user_id, role=role.value),
    )


def record_api_key_use(session: AsyncSession, api_key: ApiKey) -> None:
    """An API key authenticated a request. Called when the key's `last_used_at` moves,
    so at most once a minute per key: the log shows a key in use without a row per call."""
    record(
        session,
        organization_id=api_key.organization_id,
        action=AuditAction.api_key_use,
        object_type="api_key",
        object_id=api_key.id,
        actor=Caller(api_key_id=api_key.id),
    )


# Unit of work


def _object_entry(
    context: RequestContext, kind: ObjectKind, obj: Any, action: AuditAction, changes: list[str]
) -> dict[str, Any]:
    if action is AuditAction.update and kind.object_type == "member" and "role" in changes:
        action = AuditAction.role_change
    return _entry(
        organization_id=getattr(obj, kind.organization_attribute),
        action=action,
        object_type=kind.object_type,
        object_id=getattr(obj, kind.id_attribute),
        client_id=getattr(obj, kind.client_attribute) if kind.client_attribute else None,
        changes=changes,
        actor=context.caller or Caller(),
        request_id=context.request_id,
    )


def _fields_set(obj: Any) -> list[str]:
    state = inspect(obj)
    return [a.key for a in state.mapper.column_attrs if state.dict.get(a.key) is not None]


def _fields_changed(obj: Any) -> list[str]:
    state = inspect(obj)
    return [
        attribute.key
        for attribute in state.mapper.column_attrs
        if state.attrs[attribute.key].history.has_changes()
    ]


@event.listens_for(Session, "after_flush")
def _record_unit_of_work(session: Session, _flush: UOWTransaction) -> None:
    # After the flush's own statements (so an organization created in it exists for the
    # entries' foreign key), while `new`, `dirty`, `deleted` and attribute histories
    # still describe what it wrote.
    context = _request_context(session)
    if context is None:
        return
    entries: list[dict[str, Any]] = []
    for obj in session.new:
        kind = object_kind(type(obj))
        if kind is not None:
            entries.append(_object_entry(context, kind, obj, AuditAction.create, _fields_set(obj)))
    for obj in session.dirty:
        kind = object_kind(type(obj))
        if kind is None:
            continue
        changed = [name for name in _fields_changed(obj) if name not in _BOOKKEEPING]
        if changed:
            entries.append(_object_entry(context, kind, obj, AuditAction.update, changed))
    for obj in session.deleted:
        kind = object_kind(type(obj))
        if kind is not None:
            entries.append(_object_entry(context, kind, obj, AuditAction.delete, []))
    if entries:
        session.connection().execute(insert(_TABLE), entries)


# Bulk statements


def _statement_fields(statement: Any) -> list[str]:
    """Column names a DML statement's `.values(...)` sets."""
    values: Mapping[Any, Any] = getattr(statement, "_values", None) or {}
    return [getattr(key, "key", None) or str(key) for key in values]


def _parameter_rows(parameters: Any) -> Sequence[Mapping[str, Any]]:
    if isinstance(parameters, Mapping):
        return [parameters] if parameters else []
    if isinstance(parameters, Sequence):
        return [row for row in parameters if isinstance(row, Mapping)]
    return []


@event.listens_for(Session, "do_orm_execute")
def _record_bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.execution_options.get(_SKIP_OPTION):
        return
    mapper = state.bind_mapper
    kind = object_kind(mapper.class_) if mapper is not None else None
    if kind is None:
        return
    context = _request_context(state.session)
    if context is None:
        return
    statement = state.statement
    rows = _parameter_rows(state.parameters)
    if state.is_insert:
        if getattr(statement, "_post_values_clause", None) is not None:
            return  # ON CONFLICT DO NOTHING (seeding): the rows may already exist
        action = AuditAction.create
        fields = _statement_fields(statement)
        targets = [
            (
                row.get(kind.organization_attribute),
                row.get(kind.id_attribute),
                row.get(kind.client_attribute) if kind.client_attribute else None,
                [*fields, *(key for key, value in row.items() if value is not None)],
            )
            for row in rows or [{}]
        ]
    else:
        action = AuditAction.update if state.is_update else AuditAction.delete
        fields = _statement_fields(statement) if state.is_update else []
        if rows and getattr(statement, "whereclause", None) is None:
            # UPDATE by primary key: the parameter rows name their objects.
            targets = [
                (
                    row.get(kind.organization_attribute),
                    row.get(kind.id_attribute),
                    row.get(kind.client_attribute) if kind.client_attribute else None,
                    [*fields, *row.keys()],
                )
                for row in rows
            ]
        else:
            targets = [
                (organization_id, object_id, client_id, fields)
                for organization_id, object_id, client_id in _affected(state, kind)
            ]
    entries = []
    actor = context.caller or Caller()
    for organization_id, object_id, client_id, changes in targets:
        organization_id = organization_id or bound_organization(state.session)
        if organization_id is None:
            continue
        entries.append(
            _entry(
                organization_id=organization_id,
                action=action,
                object_type=kind.object_type,
                object_id=object_id,
                client_id=client_id,
                changes=changes,
                actor=actor,
                request_id=context.request_id,
            )
        )
    if entries:
        state.session.connection().execute(insert(_TABLE), entries)


def _affected(state: ORMExecuteState, kind: ObjectKind) -> list[tuple[Any, Any, Any]]:
    """(organization, object, client) ids of the rows an UPDATE or DELETE will touch."""
    model = state.bind_mapper.class_ if state.bind_mapper is not None else None
    if model is None:
        return []
    client_column = getattr(model, kind.client_attribute) if kind.client_attribute else None
    query = select(
        getattr(model, kind.organization_attribute),
        getattr(model, kind.id_attribute),
        *([client_column] if client_column is not None else []),
    )
    where = getattr(state.statement, "whereclause", None)
    if where is not None:
        query = query.where(where)
    # Read as the statement will write: scoped to the organization unless it is not.
    options = {k: v for k, v in unscoped().items() if state.execution_options.get(k)}
    result = state.session.execute(query.execution_options(**options))
    return [(row[0], row[1], row[2] if client_column is not None else None) for row in result]
