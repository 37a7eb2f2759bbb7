"""Fail-closed tenancy: the second and third locks behind each repository's door.

* ORM hook: every ORM statement touching a tenant table gets
  `organization_id = <the session's organization>` added; with no organization
  bound it raises instead of returning every tenant's rows.
* PostgreSQL RLS: each transaction carries `app.organization_id` (and, for the
  few lookups that happen before the organization is known, `app.user_id`,
  `app.lookup_id` or `app.lookup_email`); the policies in `app/db/rls.py` read them.
  Those lookups only ever read: a write needs the organization bound (or, for a
  login itself, `app.user_id`).

`unscoped()` is the one escape hatch; grep for it in reviews.

Hot reads can be built once and run many times (`prepare_read` / `run_prepared`): the
same criteria are compiled in with the organization as a bind parameter, and every
run takes its value from the session, so they are as scoped as the hook's.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, event, text
from sqlalchemy.engine import Connection, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria
from sqlalchemy.orm.util import LoaderCriteriaOption
from sqlalchemy.sql import ClauseElement, visitors
from sqlalchemy.sql.elements import BindParameter, TextClause
from sqlalchemy.sql.selectable import Values

from app.db.base import Base, TenantMixin

_ORG_KEY = "organization_id"
_RLS_KEY = "rls_settings"
_UNSCOPED_OPTION = "coach_unscoped"
_ORGANIZATION_PARAMETER = "tenant_organization_id"  # as written in `prepare_read`


class TenancyError(RuntimeError):
    """A tenant table was queried with no organization bound: a bug, never a 404."""


def unscoped() -> dict[str, Any]:
    """Execution options that skip the ORM hook (RLS still applies on PostgreSQL)."""
    return {_UNSCOPED_OPTION: True}


def bound_organization(session: AsyncSession | Session) -> uuid.UUID | None:
    value = session.info.get(_ORG_KEY)
    return value if isinstance(value, uuid.UUID) else None


async def bind_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Scope this session (ORM hook and RLS) to one organization."""
    session.info[_ORG_KEY] = organization_id
    await _set_rls(session, "app.organization_id", str(organization_id))


async def bind_rls_lookup(session: AsyncSession, name: str, value: uuid.UUID | str) -> None:
    """Let RLS show the rows a lookup needs before (or beside) the organization.

    `name` is `app.user_id` (the login the request acts for: its own row and recovery
    codes, read and written; its memberships and their organizations at login, read),
    `app.lookup_id` (a refresh token, invitation, API key or calendar feed by its id,
    read) or
    `app.lookup_email` (the login with this normalised email, read).
    """
    await _set_rls(session, name, str(value))


async def _set_rls(session: AsyncSession, name: str, value: str) -> None:
    settings: dict[str, str] = session.info.setdefault(_RLS_KEY, {})
    settings[name] = value
    on_postgresql = session.bind is not None and session.bind.dialect.name == "postgresql"
    if on_postgresql and session.in_transaction():
        # A transaction is under way: set it there (transaction-local). Otherwise
        # `after_begin` below sets every setting as the next transaction begins, in
        # the same round trip for all of them.
        await session.execute(*_set_config({name: value}))


def _set_config(settings: dict[str, str]) -> tuple[TextClause, dict[str, str]]:
    """One `SELECT set_config(...), ...` statement for all of `settings`."""
    calls = ", ".join(f"set_config(:name_{i}, :value_{i}, true)" for i in range(len(settings)))
    parameters: dict[str, str] = {}
    for i, (name, value) in enumerate(settings.items()):
        parameters[f"name_{i}"] = name
        parameters[f"value_{i}"] = value
    return text(f"SELECT {calls}"), parameters


@event.listens_for(Session, "after_begin")
def _apply_rls_settings(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    settings = session.info.get(_RLS_KEY)
    if settings and connection.dialect.name == "postgresql":
        connection.execute(*_set_config(settings))


def _touches_tenant_table(state: ORMExecuteState) -> bool:
    # The statement's first entity settles most statements, and is much cheaper to find.
    first = state.bind_mapper
    if first is not None and issubclass(first.class_, TenantMixin):
        return True
    if any(issubclass(m.class_, TenantMixin) for m in state.all_mappers):
        return True
    # `select(func.count()).select_from(Contact)` and subqueries name no entity in
    # their columns, so `all_mappers` misses them: look for tenant tables anywhere.
    statement = state.statement
    if not isinstance(statement, ClauseElement):
        return False
    tenant_tables = _tenant_tables()
    return any(
        isinstance(element, Table) and element in tenant_tables
        for element in visitors.iterate(statement)
    )


@cache
def _tenant_tables() -> frozenset[Table]:
    return frozenset(
        mapper.local_table
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantMixin) and isinstance(mapper.local_table, Table)
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_to_organization(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(_UNSCOPED_OPTION):
        return
    if not _touches_tenant_table(state):
        return
    organization_id = state.session.info.get(_ORG_KEY)
    if organization_id is None:
        raise TenancyError("tenant table queried with no organization bound")
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin,
            lambda cls: cls.organization_id == organization_id,
            include_aliases=True,
        )
    )


@dataclass(frozen=True, slots=True)
class PreparedRead:
    """A read built once and run many times (`prepare_read`, `run_prepared`)."""

    statement: Select[*tuple[Any, ...]]


def prepare_read(
    statement: Select[*tuple[Any, ...]], *, constants: frozenset[str] = frozenset()
) -> PreparedRead:
    """`statement`, scoped to whichever organization runs it, for `run_prepared`.

    Built once, it skips what building and scoping a statement costs on each request,
    and SQLAlchemy finds it compiled at once. So that no request's value can stay in
    it for the next, every value must be a named parameter given at each run
    (`bindparam("name")`), except the named `constants`: anything else is refused here.
    """
    for element in visitors.iterate(statement):
        if _holds_value(element, constants):
            raise ValueError(f"a prepared read holds a value: {element!r}")
    return PreparedRead(
        statement.options(
            with_loader_criteria(
                TenantMixin,
                # The name is written out: the lambda is analysed for the values it
                # uses, and must use none.
                lambda cls: cls.organization_id == bindparam("tenant_organization_id"),
                include_aliases=True,
            )
        )
    )


def _holds_value(element: Any, constants: frozenset[str]) -> bool:
    """Whether `element` brings a value into the statement, other than a named constant:
    a bind parameter's, one given with `.params()` (kept on the statement, not on its
    parameters), a `VALUES` list's, or a loader criterion's (`prepare_read` adds the one
    a prepared read has)."""
    if isinstance(element, BindParameter):
        holds = element.value is not None or element.callable is not None
        return holds and (element.unique or element.key not in constants)
    if isinstance(element, Values):
        return bool(element._data)
    options = getattr(element, "_with_options", ())
    return bool(getattr(element, "_params", None)) or any(
        isinstance(option, LoaderCriteriaOption) for option in options
    )


async def run_prepared(
    session: AsyncSession, read: PreparedRead, parameters: Mapping[str, Any]
) -> Result[*tuple[Any, ...]]:
    """Run a prepared read in the session's transaction (its RLS settings too), scoped to
    the session's organization; like the ORM hook, it refuses to run without one.

    It runs on the session's connection, not through the ORM, so it does not flush the
    session first: it is for reads that come before any write of the request.
    """
    organization_id = bound_organization(session)
    if organization_id is None:
        raise TenancyError("prepared read run with no organization bound")
    connection = await session.connection()
    result: Result[*tuple[Any, ...]] = await connection.execute(
        read.statement, {**parameters, _ORGANIZATION_PARAMETER: organization_id}
    )
    return result
