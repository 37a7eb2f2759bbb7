"""The parts every traction count is made of: whom and when it counts, its row and segments."""

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import BindParameter, Label

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.db.base import UTCDateTime
from app.models import Interaction, Outreach
from app.models.enums import InteractionKind
from app.models.pipeline import InterviewKind, InterviewStage

THANK_YOU_WITHIN = timedelta(hours=48)

# The clients asked about: a few ids, or a statement selecting them (a whole caseload
# stays in SQL rather than travelling as hundreds of bound parameters in every query).
ClientIds = Sequence[uuid.UUID] | Select[uuid.UUID]

# What a `figures` row counts, by source (a to d; `hours` only for "median"):
OUTREACH: Final = "outreach"  # a sent, b answered before the end of their window
HELD: Final = "held"  # a informational held, b job held, c thank-you due, d thanked in 48 h
MOVES: Final = "moves"  # a informational scheduled, b offers
CONTACTS: Final = "contacts"  # a added, b referrals, c deepest depth; segment -1: before
MEDIAN: Final = "median"  # hours: median hours to response; segment is the period
COMPANIES: Final = "companies"  # a previous window, b current window; segment 0
GONE_COLD: Final = "gone_cold"  # a contacts; segment is the period
# (periods: 0 the previous window, 1 the current one)
SOURCES: Final = (OUTREACH, HELD, MOVES, CONTACTS, MEDIAN, COMPANIES, GONE_COLD)

# The enum members the statements compare with (`member`).
_MEMBERS: Final[tuple[enum.Enum, ...]] = (
    InteractionKind.note,
    InterviewKind.informational,
    InterviewKind.job,
    InterviewStage.scheduled,
    InterviewStage.offer,
)


def _member_name(value: enum.Enum) -> str:
    return f"{type(value).__name__}_{value.name}".lower()


# A statement is built either for one request, with the caller's values in it, or once
# per shape for `app.db.tenancy.prepare_read`: then every value of the caller is a
# placeholder (`Readable.placeholders`, `Instants.placeholders`), and the only values left
# are the code's own, each a named parameter that `CONSTANTS` lists, always with the one
# value given here. Integers (segment and period numbers, the arithmetic's) are written
# into the SQL as part of the shape (`integer`).
SECONDS_PER_HOUR: Final[BindParameter[float]] = bindparam("seconds_per_hour", 3600.0)
SECONDS_PER_DAY: Final[BindParameter[float]] = bindparam("seconds_per_day", 86400.0)
THANK_YOU_SECONDS: Final[BindParameter[float]] = bindparam(
    "thank_you_seconds", THANK_YOU_WITHIN.total_seconds()
)

CONSTANTS: Final = frozenset(
    {
        SECONDS_PER_HOUR.key,
        SECONDS_PER_DAY.key,
        THANK_YOU_SECONDS.key,
        *(f"source_{source}" for source in SOURCES),
        *(_member_name(value) for value in _MEMBERS),
    }
)


def member(column: InstrumentedAttribute[Any], value: enum.Enum) -> BindParameter[Any]:
    """`value`, a member of `column`'s enum, as a named constant of `column`'s type."""
    return bindparam(_member_name(value), value, type_=column.type)


def integer(value: int) -> ColumnElement[int]:
    """An integer of the statement's shape (a segment's or a period's number), in the SQL."""
    return literal_column(str(value), Integer)


@dataclass(frozen=True, slots=True)
class Readable:
    """The clients asked about, within what the caller may read: the door every traction
    query goes through. Values for one request (`readable`), or the placeholders of a
    prepared statement (`Readable.placeholders`)."""

    organization_id: uuid.UUID | BindParameter[Any]
    asked: ClientIds | BindParameter[Any]
    readable: Select[uuid.UUID]

    @classmethod
    def placeholders(cls, readable: Select[uuid.UUID]) -> "Readable":
        """The placeholders `organization_id` and `client_ids`, within `readable` (the
        caller's kind's statement, `readable_client_ids_by_parameter`)."""
        return cls(bindparam("organization_id"), bindparam("client_ids", expanding=True), readable)

    def of(
        self,
        organization_id: InstrumentedAttribute[uuid.UUID],
        client_id: InstrumentedAttribute[uuid.UUID],
    ) -> ColumnElement[bool]:
        return and_(
            organization_id == self.organization_id,
            client_id.in_(self.asked),
            client_id.in_(self.readable),
        )


def readable(principal: Principal, client_ids: ClientIds) -> Readable:
    return Readable(principal.organization_id, client_ids, readable_client_ids(principal))


@dataclass(frozen=True, slots=True)
class Instants:
    """The instants the figures compare with: values, or in a prepared statement the
    placeholders of the values (`Instants.placeholders`, `Instants.parameters`)."""

    bounds: Sequence[Any]  # the segments' bounds (see `app.traction.repository`)
    current_start: Any
    thank_you_late_at: Any  # held at or before this: the 48 h for a thank-you ran out
    touches_from: Any  # the first touch that can cross into cold in the window
    cold_before_current: Any  # a touch before this crosses into cold before the window
    cold_before_end: Any  # a touch from this on crosses into cold after the window
    cold_after_seconds: Any

    @classmethod
    def at(
        cls,
        bounds: Sequence[datetime],
        current_start: datetime,
        now: datetime,
        cold_after: timedelta,
    ) -> "Instants":
        return cls(
            bounds=bounds,
            current_start=current_start,
            thank_you_late_at=now - THANK_YOU_WITHIN,
            touches_from=bounds[0] - cold_after,
            cold_before_current=current_start - cold_after,
            cold_before_end=bounds[-1] - cold_after,
            cold_after_seconds=cold_after.total_seconds(),
        )

    @classmethod
    def placeholders(cls, segments: int) -> "Instants":
        def instant(name: str) -> BindParameter[datetime]:
            return bindparam(name, type_=UTCDateTime())

        return cls(
            bounds=[instant(f"bound_{index}") for index in range(segments + 1)],
            current_start=instant("current_start"),
            thank_you_late_at=instant("thank_you_late_at"),
            touches_from=instant("touches_from"),
            cold_before_current=instant("cold_before_current"),
            cold_before_end=instant("cold_before_end"),
            cold_after_seconds=bindparam("cold_after_seconds", type_=Float()),
        )

    def parameters(self) -> dict[str, Any]:
        """The values for the placeholders of `Instants.placeholders`."""
        return {
            **{f"bound_{index}": bound for index, bound in enumerate(self.bounds)},
            "current_start": self.current_start,
            "thank_you_late_at": self.thank_you_late_at,
            "touches_from": self.touches_from,
            "cold_before_current": self.cold_before_current,
            "cold_before_end": self.cold_before_end,
            "cold_after_seconds": self.cold_after_seconds,
        }


def segment_of(column: Any, bounds: Sequence[Any]) -> ColumnElement[int]:
    """The index of the segment `[bounds[i], bounds[i + 1])` holding `column` (callers keep
    rows outside `[bounds[0], bounds[-1])` out)."""
    whens = [(column < bound, integer(index)) for index, bound in enumerate(bounds[1:-1])]
    if not whens:
        return integer(0)
    return case(*whens, else_=integer(len(bounds) - 2))


def within(column: Any, bounds: Sequence[Any]) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[-1])


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """`end - start` in seconds (SQLite: to the millisecond, so that exact hours compare
    exactly)."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return func.round((func.julianday(end) - func.julianday(start)) * SECONDS_PER_DAY, integer(3))


def touch() -> ColumnElement[bool]:
    # A note is not a touch with the person (warmth ignores it too).
    return Interaction.kind != member(Interaction.kind, InteractionKind.note)


def answered_in_window(current_start: Any, end: Any) -> ColumnElement[bool]:
    """Outreach answered (responded or declined) before the end of the window it was sent
    in: an answer after the window does not change the window's figures."""
    return or_(
        and_(Outreach.sent_at < current_start, Outreach.responded_at < current_start),
        and_(Outreach.sent_at >= current_start, Outreach.responded_at < end),
    )


def row(
    client_id: Any,
    source: str,
    segment: Any,
    a: Any = None,
    b: Any = None,
    c: Any = None,
    d: Any = None,
    hours: Any = None,
) -> list[Any]:
    """The columns of a `figures` row, in order; missing values are NULL."""
    values = (("a", a), ("b", b), ("c", c), ("d", d), ("hours", hours))
    return [
        client_id.label("client_id"),
        _source(source),
        segment.label("segment_no"),
        *(_missing(name) if value is None else value.label(name) for name, value in values),
    ]


@cache
def _source(source: str) -> Label[str]:
    return bindparam(f"source_{source}", source, type_=String).label("source")


@cache
def _missing(name: str) -> Label[Any]:
    """A typed NULL: PostgreSQL matches the types of a `UNION` two branches at a time."""
    return cast(null(), Float if name == "hours" else Integer).label(name)
