"""Keyset (cursor) pagination: `?limit=&cursor=` → `{"data": [...], "next_cursor": ...}`.

The cursor is the sort key of the last row returned, so pages stay stable while
rows are added; it is opaque to clients (base64 of typed JSON).
"""

import base64
import binascii
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, get_args, get_origin

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Row, Select, bindparam, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import Unprocessable
from app.core.text import refuse_unstorable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        description="Opaque: pass it as `cursor` to get the next page; null on the last page."
    )


class PageWriter:
    """Writes a `Page[model]` as JSON from plain dicts of the model's fields, without
    validating them: for hot lists whose rows come straight from typed columns.

    orjson writes the dicts, several times faster than pydantic here. For the field
    types allowed (`_writable`: UUIDs, text, string enums, integers, booleans,
    datetimes, dates, lists of those, each optional) its JSON is the model's; a model with
    another type, an alias or a serializer is refused here rather than written
    differently.
    """

    def __init__(self, model: type[BaseModel]) -> None:
        decorators = model.__pydantic_decorators__
        fields = model.model_fields.values()
        if (
            decorators.field_serializers
            or decorators.model_serializers
            or any(field.serialization_alias or field.alias for field in fields)
            or not all(_writable(field.annotation) for field in fields)
        ):
            raise TypeError(f"{model.__name__} does not write its fields as they are")

    def json(self, rows: list[dict[str, Any]], next_cursor: str | None) -> bytes:
        page = {"data": rows, "next_cursor": next_cursor}
        return orjson.dumps(page, default=_uuid_text, option=orjson.OPT_UTC_Z)


def _writable(annotation: Any) -> bool:
    """A type orjson writes exactly as pydantic does (UTC as `Z`, as `OPT_UTC_Z` says)."""
    if isinstance(annotation, UnionType):
        return all(_writable(arg) for arg in get_args(annotation))
    if get_origin(annotation) is list:
        return all(_writable(arg) for arg in get_args(annotation))
    if annotation in (uuid.UUID, str, int, bool, datetime, date, type(None)):
        return True
    return (
        isinstance(annotation, type)
        and issubclass(annotation, Enum)
        and issubclass(annotation, str)
    )


def _uuid_text(value: object) -> str:
    # asyncpg's UUIDs subclass uuid.UUID, and orjson writes only uuid.UUID itself.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not written by PageWriter")


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (max {MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="The previous page's `next_cursor`, as it was: an opaque string (at "
            "most 512 characters) to send back, not to build or read. Anything else is a 422.",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    """A cursor's value as `_encode_value` wrote it; ValueError for anything else (a
    cursor is client input)."""
    if isinstance(value, dict):
        if isinstance(value.get("dt"), str):
            return datetime.fromisoformat(value["dt"])
        if isinstance(value.get("uuid"), str):
            return uuid.UUID(value["uuid"])
        raise ValueError("not a value a cursor holds")
    if isinstance(value, str):
        return refuse_unstorable(value)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected_length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != expected_length:
            raise ValueError("shape")
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not valid for this list.", parameter="cursor") from exc


@dataclass(frozen=True, slots=True)
class SortKey:
    """Columns to order by (never NULL; coalesce first), the last one unique."""

    columns: tuple[ColumnElement[Any] | QueryableAttribute[Any], ...]
    descending: bool = False


async def paginate(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    *,
    sort: SortKey,
    params: PageParams,
) -> tuple[list[Any], str | None]:
    """Run `statement` for one page; returns the rows and the next cursor."""
    columns = sort.columns
    keyed = statement.add_columns(*_sort_labels(sort))
    if params.cursor is not None:
        after = _cursor_values(sort, params.cursor)
        bound = tuple_(*[_literal_for(c, v) for c, v in zip(columns, after, strict=True)])
        keyed = keyed.where(_after(sort, bound))
    keyed = keyed.order_by(*_ordering(sort)).limit(params.limit + 1)
    result = await session.execute(keyed)
    return page_of(list(result.all()), sort, params)


def keyset_read(
    statement: Select[*tuple[Any, ...]], sort: SortKey, *, after_cursor: bool
) -> Select[*tuple[Any, ...]]:
    """`statement` as one page under `sort`, for a prepared read (`app.db.tenancy`): the
    page size and the cursor's values are the named parameters `keyset_parameters` gives."""
    keyed = statement.add_columns(*_sort_labels(sort))
    if after_cursor:
        bound = tuple_(
            *[bindparam(f"after_{i}", type_=column.type) for i, column in enumerate(sort.columns)]
        )
        keyed = keyed.where(_after(sort, bound))
    return keyed.order_by(*_ordering(sort)).limit(bindparam("page_limit"))


def keyset_parameters(sort: SortKey, params: PageParams) -> dict[str, Any]:
    """The parameters of a `keyset_read` statement for this page."""
    parameters: dict[str, Any] = {"page_limit": params.limit + 1}
    if params.cursor is not None:
        for i, value in enumerate(_cursor_values(sort, params.cursor)):
            parameters[f"after_{i}"] = value
    return parameters


def keyset_parameters_after(
    sort: SortKey, params: PageParams, after: Sequence[Any] | None
) -> dict[str, Any]:
    """`keyset_parameters` for a cursor already decoded (`after`, from `decode_cursor(cursor,
    len(sort.columns))`; None without a cursor): a caller that checks the values first
    decodes the cursor once."""
    parameters: dict[str, Any] = {"page_limit": params.limit + 1}
    if after is not None:
        for i, (column, value) in enumerate(zip(sort.columns, after, strict=True)):
            parameters[f"after_{i}"] = _checked(column, value)
    return parameters


def keyset_rows(
    rows: list[Row[*tuple[Any, ...]]], sort: SortKey, params: PageParams
) -> tuple[list[Row[*tuple[Any, ...]]], str | None]:
    """`page_of` for rows read by name: a `keyset_read` page's rows (one more than the page
    was asked for) kept whole, their sort keys labelled `_sort_{i}` among their columns, and
    the next cursor."""
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    if not (has_more and rows):
        return rows, None
    last = rows[-1]._mapping
    return rows, encode_cursor([last[label.name] for label in _sort_labels(sort)])


def page_of(rows: list[Any], sort: SortKey, params: PageParams) -> tuple[list[Any], str | None]:
    """A page's rows (one more than the page was asked for, sort keys last) as its items
    (without the sort keys) and the next cursor."""
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    width = len(sort.columns)
    items = [row[0] if len(row) - width == 1 else tuple(row[: len(row) - width]) for row in rows]
    next_cursor = encode_cursor(list(rows[-1][-width:])) if has_more and rows else None
    return items, next_cursor


def _sort_labels(sort: SortKey) -> list[ColumnElement[Any]]:
    return [column.label(f"_sort_{i}") for i, column in enumerate(sort.columns)]


def _ordering(sort: SortKey) -> list[ColumnElement[Any]]:
    return [c.desc() if sort.descending else c.asc() for c in sort.columns]


def _after(sort: SortKey, bound: ColumnElement[Any]) -> ColumnElement[bool]:
    row_key = tuple_(*sort.columns)
    return row_key < bound if sort.descending else row_key > bound


def _cursor_values(sort: SortKey, cursor: str) -> list[Any]:
    columns = sort.columns
    return [
        _checked(column, value)
        for column, value in zip(columns, decode_cursor(cursor, len(columns)), strict=True)
    ]


def _checked(column: ColumnElement[Any] | QueryableAttribute[Any], value: Any) -> Any:
    """A cursor value of the column's Python type; a forged one is a 422, not a 500."""
    try:
        expected: type[Any] = column.type.python_type
    except NotImplementedError:
        expected = object
    if expected is object:
        # An untyped expression (say `lower(name)` without `type_=`): only a scalar a
        # cursor could have been written with, never a list or an integer no column holds.
        if not _is_plain_scalar(value):
            raise Unprocessable("The cursor is not valid for this list.", parameter="cursor")
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return value
    valid = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
    if valid and expected is int:
        # PostgreSQL `integer` would reject a forged out-of-range value with a 500.
        bits = 63 if isinstance(column.type, BigInteger) else 31
        valid = -(2**bits) <= value < 2**bits
    if valid and isinstance(value, datetime):
        try:
            value = value.astimezone(UTC) if value.tzinfo is not None else None
        except OverflowError:
            value = None
        valid = value is not None
    if not valid:
        raise Unprocessable("The cursor is not valid for this list.", parameter="cursor")
    return value


def _is_plain_scalar(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | uuid.UUID | datetime)


def _literal_for(column: ColumnElement[Any] | QueryableAttribute[Any], value: Any) -> Any:
    return literal(value, type_=column.type)
