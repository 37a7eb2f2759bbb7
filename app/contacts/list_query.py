"""The contacts list's SQL: its sort keys, its columns, its filter conditions and its one
statement, prepared once per shape and run for a page.

It is repository code (app/contacts/repository.py) in a file of its own only because the
repository would pass 400 lines with it. The rules stay in `service.list_contacts`: which
order applies without a `sort`, the warmth bounds, the 404 for a client the caller may not
see. Rows are read by name (labelled columns), never by position.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, Select, String, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids_by_parameter
from app.contacts import repository
from app.contacts.schemas import ContactRead
from app.contacts.warmth import warmth_at
from app.core.errors import Unprocessable
from app.core.pagination import (
    PageParams,
    SortKey,
    decode_cursor,
    keyset_parameters_after,
    keyset_read,
    keyset_rows,
)
from app.db.base import UTCDateTime
from app.db.tenancy import PreparedRead, prepare_read, run_prepared
from app.models import Contact, Organization
from app.models.enums import ContactSource, Relationship, Warmth

ContactSort = Literal[
    "name",
    "-name",
    "last_contacted_at",
    "-last_contacted_at",
    "created_at",
    "-created_at",
    "next_touch_due_at",
]

# The order `due=true` lists in without a `sort`: by the earlier of the two due dates
# (`repository.is_due`), most overdue first. Not offered as a `sort` of its own.
DueOrder = Literal["due_at"]
ListOrder = ContactSort | DueOrder

# A row of the list, read by name: the `ContactRead` fields that are columns,
# `cold_after_days`, and the sort keys (`keyset_rows`).
ListRow = Row[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class ContactFilters:
    warmth: Warmth | None = None
    relationship: Relationship | None = None
    source: ContactSource | None = None
    tag: str | None = None
    company: str | None = None
    company_id: uuid.UUID | None = None
    root: bool | None = None
    parent_id: uuid.UUID | None = None
    search: str | None = None
    due: bool | None = None


# Stand-ins for NULL in sort keys, so keyset pagination compares real values.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


_SORT_CONSTANTS = frozenset({"sort_never", "sort_far_future"})


@cache  # a few immutable expressions per order, built once rather than on each request
def _sort_key(order: ListOrder) -> SortKey:
    never = bindparam("sort_never", _NEVER, type_=UTCDateTime())
    far_future = bindparam("sort_far_future", _FAR_FUTURE, type_=UTCDateTime())
    descending = order.startswith("-")
    touch_due = func.coalesce(Contact.next_touch_due_at, far_future)
    follow_up = func.coalesce(Contact.next_follow_up_at, far_future)
    columns: dict[str, ColumnElement[Any] | QueryableAttribute[Any]] = {
        "name": func.lower(Contact.full_name),
        "last_contacted_at": func.coalesce(Contact.last_contacted_at, never),
        "created_at": Contact.created_at,
        "next_touch_due_at": touch_due,
        # The earlier of the two, never NULL: a CASE, as both databases have it (LEAST
        # and MIN(a, b) are each one database's), so keyset comparisons stay sound.
        "due_at": case((follow_up <= touch_due, follow_up), else_=touch_due),
    }
    return SortKey((columns[order.removeprefix("-")], Contact.id), descending=descending)


def cursor_values(order: ListOrder, cursor: str | None) -> list[Any] | None:
    """The cursor's values for `read_page` (None without a cursor), decoded once. A cursor
    made under another order (or forged) is a 422, never a database error."""
    if cursor is None:
        return None
    values = decode_cursor(cursor, 2)
    first, last = values
    if order.removeprefix("-") == "name":
        fits = isinstance(first, str)
    else:
        fits = isinstance(first, datetime) and first.tzinfo is not None
    if not (fits and isinstance(last, uuid.UUID)):
        raise Unprocessable(
            "The cursor is not valid for this list; was it made with another `sort`?",
            parameter="cursor",
        )
    return values


async def read_page(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    *,
    order: ListOrder,
    params: PageParams,
    after: list[Any] | None,
    filters: ContactFilters,
    warmth_bounds: tuple[datetime, datetime] | None,
    now: datetime,
) -> tuple[list[ListRow], str | None]:
    """One page of the client's contacts, none when the caller may not see the client, and
    the next cursor. `after` is `cursor_values`'s; `warmth_bounds` (`warm_since`,
    `cooling_since`) must come with `filters.warmth`; `now` decides `filters.due`.

    One statement, prepared once per shape (`_ListShape`) and run with this request's
    values as parameters: the client check is part of its condition, the organization's
    `cold_after_days` comes with each row, and rows are not ORM objects.
    """
    sort = _sort_key(order)
    readable, reader = readable_client_ids_by_parameter(principal)
    parameters: dict[str, Any] = {**reader, **keyset_parameters_after(sort, params, after)}
    parameters["client_id"] = client_id
    given = {name for name in _VALUE_FILTERS if _given(name, getattr(filters, name))}
    for name in given:
        value = getattr(filters, name)
        parameters[name] = repository.like_escaped(value) if name in _TEXT_FILTERS else value
    if filters.warmth is not None:
        if warmth_bounds is None:
            raise ValueError("filtering by warmth needs the warmth bounds")
        parameters["warm_since"], parameters["cooling_since"] = warmth_bounds
    if filters.due is not None:
        parameters["now"] = now
    shape = _ListShape(
        readable=readable,
        dialect=session.bind.dialect.name if session.bind is not None else "sqlite",
        order=order,
        after_cursor=after is not None,
        warmth=filters.warmth,
        root=filters.root,
        due=filters.due,
        filters=frozenset(given),
    )
    result = await run_prepared(session, _prepared_list(shape), parameters)
    return keyset_rows(list(result.all()), sort, params)


# The `ContactRead` fields in the model's order, the order its JSON is written in.
_READ_FIELDS = tuple(ContactRead.model_fields)


def contact_fields(row: ListRow, warm_since: datetime, cooling_since: datetime) -> dict[str, Any]:
    """A `read_page` row as `ContactRead` fields, `warmth` derived by the bounds given."""
    columns = row._mapping
    warmth = warmth_at(columns["last_contacted_at"], warm_since, cooling_since)
    return {name: warmth if name == "warmth" else columns[name] for name in _READ_FIELDS}


# Every field but the derived `warmth` is a column; `cold_after_days` derives it.
_READ_ROWS = select(
    *(getattr(Contact, name).label(name) for name in _READ_FIELDS if name != "warmth"),
    Organization.cold_after_days.label("cold_after_days"),
).join(Organization, Organization.id == Contact.organization_id)

# The filters that are values (the others choose a condition). Text filters match
# literally (LIKE's wildcards in them are escaped), and an empty one is not a filter.
_VALUE_FILTERS = ("relationship", "source", "tag", "company", "company_id", "parent_id", "search")
_TEXT_FILTERS = frozenset({"company", "search"})


def _given(name: str, value: object) -> bool:
    return value is not None and not (name in _TEXT_FILTERS and value == "")


@dataclass(frozen=True, slots=True)
class _ListShape:
    """What decides the list's statement; everything else is a parameter."""

    readable: Select[uuid.UUID]  # which clients the caller may see, by kind of caller
    dialect: str
    order: ListOrder
    after_cursor: bool
    warmth: Warmth | None
    root: bool | None
    due: bool | None
    filters: frozenset[str]  # the `_VALUE_FILTERS` given


def _warmth_condition(warmth: Warmth) -> ColumnElement[bool]:
    """The `warm_since` and `cooling_since` parameters are `warmth_bounds`'s."""
    warm_since = bindparam("warm_since", type_=UTCDateTime())
    cooling_since = bindparam("cooling_since", type_=UTCDateTime())
    last = Contact.last_contacted_at
    return {
        Warmth.never: last.is_(None),
        Warmth.warm: last >= warm_since,
        Warmth.cooling: (last < warm_since) & (last >= cooling_since),
        Warmth.cold: last < cooling_since,
    }[warmth]


@lru_cache(maxsize=512)  # shapes are few in practice; bounded all the same
def _prepared_list(shape: _ListShape) -> PreparedRead:
    conditions: list[ColumnElement[bool]] = [
        Contact.client_id.in_(shape.readable),
        Contact.client_id == bindparam("client_id"),
    ]
    if shape.warmth is not None:
        conditions.append(_warmth_condition(shape.warmth))
    for name, column in (
        ("relationship", Contact.relationship),
        ("source", Contact.source),
        ("company_id", Contact.company_id),
        ("parent_id", Contact.referred_by_id),
    ):
        if name in shape.filters:
            conditions.append(column == bindparam(name))
    if "tag" in shape.filters:
        conditions.append(repository.has_tag(shape.dialect))
    if "company" in shape.filters:
        conditions.append(repository.works_at("company"))
    if shape.root is not None:
        referred_by = Contact.referred_by_id
        conditions.append(referred_by.is_(None) if shape.root else referred_by.is_not(None))
    if "search" in shape.filters:
        search = bindparam("search", type_=String)
        conditions.append(
            or_(
                Contact.full_name.icontains(search, escape=repository.LIKE_ESCAPE),
                Contact.title.icontains(search, escape=repository.LIKE_ESCAPE),
                repository.works_at("search"),
            )
        )
    if shape.due is not None:
        now = bindparam("now", type_=UTCDateTime())
        conditions.append(repository.is_due(now) if shape.due else repository.is_not_due(now))
    statement = keyset_read(
        _READ_ROWS.where(*conditions), _sort_key(shape.order), after_cursor=shape.after_cursor
    )
    return prepare_read(statement, constants=_SORT_CONSTANTS)
