"""The traction SQL: two statements for any number of clients.

`clients` reads each client's name, goals and latest moving event; `figures` reads every
count in one statement, a `UNION ALL` of one grouped query per source (outreach, held
interviews, stage moves, contacts, and for the per-client answer the median time to
response, companies engaged and contacts gone cold). Every row is
`(client_id, source, segment_no, a, b, c, d, hours)`, the source saying what `a` to `d`
count (`OUTREACH` and the others below), so the number of statements never grows with
the clients, their events or the figures. Times are cut into *segments* by a list of UTC
bounds (the previous window, then the current window's weeks, or just the two windows for
reports); each row names its segment, and the service adds them up.

Every query filters by the caller's organization and readable clients itself, on top of
the tenancy hook (which does not reach into every subquery shape). The per-client
statement is built once per caller and number of weeks, with placeholders for the client
and the instants: building it costs more than running it."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
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
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.elements import BindParameter, Label

from app.auth.principal import Principal
from app.clients.activity import last_moved_at
from app.clients.repository import readable_client_ids
from app.db.base import UTCDateTime
from app.models import Client, Contact, Interaction, Interview, InterviewStageChange, Outreach
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


@dataclass(frozen=True, slots=True)
class Readable:
    """The clients asked about, within what the caller may read: the door every traction
    query goes through (`readable_client_ids` is built once per request, or once per
    caller in a cached statement)."""

    principal: Principal
    asked: ClientIds | BindParameter[Any]  # a placeholder in a cached statement
    readable: Select[uuid.UUID]

    def of(
        self,
        organization_id: InstrumentedAttribute[uuid.UUID],
        client_id: InstrumentedAttribute[uuid.UUID],
    ) -> ColumnElement[bool]:
        return and_(
            organization_id == self.principal.organization_id,
            client_id.in_(self.asked),
            client_id.in_(self.readable),
        )


def readable(principal: Principal, client_ids: ClientIds) -> Readable:
    return Readable(principal, client_ids, readable_client_ids(principal))


@dataclass(frozen=True, slots=True)
class Instants:
    """The instants the figures compare with: values, or in a cached statement the
    placeholders of the values (`Instants.placeholders`, `Instants.parameters`)."""

    bounds: Sequence[Any]  # the segments' bounds (see the module docstring)
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


def _segment(column: Any, bounds: Sequence[Any]) -> ColumnElement[int]:
    """The index of the segment `[bounds[i], bounds[i + 1])` holding `column` (callers keep
    rows outside `[bounds[0], bounds[-1])` out)."""
    whens = [(column < bound, index) for index, bound in enumerate(bounds[1:-1])]
    if not whens:
        return literal(0)
    return case(*whens, else_=len(bounds) - 2)


def _within(column: Any, bounds: Sequence[Any]) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[-1])


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """`end - start` in seconds (SQLite: to the millisecond, so that exact hours compare
    exactly)."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)


def _touch() -> ColumnElement[bool]:
    # A note is not a touch with the person (warmth ignores it too).
    return Interaction.kind != InteractionKind.note


def _answered_in_window(current_start: Any, end: Any) -> ColumnElement[bool]:
    """Outreach answered (responded or declined) before the end of the window it was sent
    in: an answer after the window does not change the window's figures."""
    return or_(
        and_(Outreach.sent_at < current_start, Outreach.responded_at < current_start),
        and_(Outreach.sent_at >= current_start, Outreach.responded_at < end),
    )


def _row(
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
    return literal(source, String).label("source")


@cache
def _missing(name: str) -> Label[Any]:
    """A typed NULL: PostgreSQL matches the types of a `UNION` two branches at a time."""
    return cast(null(), Float if name == "hours" else Integer).label(name)


@cache
def _last_moved_at() -> Label[datetime]:
    # Built once: it has no parameters, and building it costs more than running it.
    return last_moved_at().label("last_moved_at")


async def clients(session: AsyncSession, scope: Readable) -> Sequence[Any]:
    """Each client's name, status, goals, creation and latest moving event."""
    statement = select(
        Client.id,
        Client.full_name,
        Client.status,
        Client.created_at,
        Client.weekly_outreach_goal,
        Client.weekly_informational_goal,
        _last_moved_at(),
    ).where(scope.of(Client.organization_id, Client.id))
    return list((await session.execute(statement)).all())


def _outreach(scope: Readable, at: Instants) -> Select[Any]:
    """Outreach by the segment it was sent in, and how many were answered before the end
    of their window."""
    bounds = at.bounds
    answered = _answered_in_window(at.current_start, bounds[-1])
    segment = _segment(Outreach.sent_at, bounds)
    return (
        select(
            *_row(
                Outreach.client_id,
                OUTREACH,
                segment,
                func.count(),
                func.sum(case((answered, 1), else_=0)),
            )
        )
        .where(
            scope.of(Outreach.organization_id, Outreach.client_id),
            _within(Outreach.sent_at, bounds),
        )
        .group_by(Outreach.client_id, "segment_no")
    )


def _median_hours_to_response(scope: Readable, at: Instants, dialect: str) -> Select[Any]:
    """The median hours to response per period.

    A median in portable SQL: number the answers per client and period, keep the middle
    one (odd count) or two (even), average them."""
    bounds = at.bounds
    period = case((Outreach.sent_at < at.current_start, 0), else_=1)
    answered = _answered_in_window(at.current_start, bounds[-1])
    hours = seconds_between(dialect, Outreach.sent_at, Outreach.responded_at) / 3600.0
    partition = (Outreach.client_id, period)
    numbered = (
        select(
            Outreach.client_id.label("client_id"),
            period.label("period"),
            hours.label("hours"),
            func.row_number().over(partition_by=partition, order_by=hours).label("position"),
            func.count().over(partition_by=partition).label("answers"),
        )
        .where(
            scope.of(Outreach.organization_id, Outreach.client_id),
            _within(Outreach.sent_at, bounds),
            answered,
        )
        .subquery("numbered")
    )
    return (
        select(
            *_row(
                numbered.c.client_id,
                MEDIAN,
                numbered.c.period,
                hours=func.avg(numbered.c.hours),
            )
        )
        .where(
            or_(
                numbered.c.position == (numbered.c.answers + 1) // 2,
                numbered.c.position == (numbered.c.answers + 2) // 2,
            )
        )
        .group_by(numbered.c.client_id, numbered.c.period)
    )


def _interviews_held(scope: Readable, at: Instants, dialect: str) -> Select[Any]:
    """Interviews by the segment they were held in: informational, job, thank-you due
    (thanked, or their 48 h have run out) and thanked within 48 h."""
    bounds = at.bounds
    thanked = Interview.thank_you_sent_at.is_not(None)
    due = or_(thanked, Interview.held_at <= at.thank_you_late_at)
    on_time = and_(
        thanked,
        seconds_between(dialect, Interview.held_at, Interview.thank_you_sent_at)
        <= THANK_YOU_WITHIN.total_seconds(),
    )
    segment = _segment(Interview.held_at, bounds)
    return (
        select(
            *_row(
                Interview.client_id,
                HELD,
                segment,
                func.count().filter(Interview.kind == InterviewKind.informational),
                func.count().filter(Interview.kind == InterviewKind.job),
                func.sum(case((due, 1), else_=0)),
                func.sum(case((on_time, 1), else_=0)),
            )
        )
        .where(
            scope.of(Interview.organization_id, Interview.client_id),
            _within(Interview.held_at, bounds),
        )
        .group_by(Interview.client_id, "segment_no")
    )


def _stage_moves(scope: Readable, at: Instants) -> Select[Any]:
    """The moves that count, by segment: informational interviews scheduled and job
    interviews turned into offers (an interview once per segment)."""
    bounds = at.bounds
    change = InterviewStageChange
    scheduled = and_(
        Interview.kind == InterviewKind.informational, change.to_stage == InterviewStage.scheduled
    )
    offered = and_(Interview.kind == InterviewKind.job, change.to_stage == InterviewStage.offer)
    segment = _segment(change.occurred_at, bounds)
    return (
        select(
            *_row(
                Interview.client_id,
                MOVES,
                segment,
                func.count(distinct(change.interview_id)).filter(scheduled),
                func.count(distinct(change.interview_id)).filter(offered),
            )
        )
        .join(Interview, Interview.id == change.interview_id)
        .where(
            scope.of(Interview.organization_id, Interview.client_id),
            change.organization_id == scope.principal.organization_id,
            _within(change.occurred_at, bounds),
            or_(scheduled, offered),
        )
        .group_by(Interview.client_id, "segment_no")
    )


_met = aliased(Interview, name="met")


@cache
def is_referral() -> ColumnElement[bool]:
    """A contact obtained as a referral: added through an interview's referrals, or with a
    parent who is a contact met in a held interview. (Built once: it has no parameters.)"""
    parent_met = exists(
        select(_met.id).where(
            _met.client_id == Contact.client_id,
            _met.contact_id == Contact.referred_by_id,
            _met.held_at.is_not(None),
        )
    )
    return or_(
        Contact.referred_in_interview_id.is_not(None),
        and_(Contact.referred_by_id.is_not(None), parent_met),
    )


def _contacts(scope: Readable, at: Instants, *, since_ever: bool) -> Select[Any]:
    """Contacts added, referrals and the deepest depth by the segment the contacts were
    added in; with `since_ever`, the contacts added before the first segment too, as
    segment -1 (for network sizes)."""
    bounds = at.bounds
    before = Contact.created_at < bounds[0]
    segment = case(
        (before, -1),
        *[(Contact.created_at < bound, index) for index, bound in enumerate(bounds[1:-1])],
        else_=len(bounds) - 2,
    )
    return (
        select(
            *_row(
                Contact.client_id,
                CONTACTS,
                segment,
                func.count(),
                # CASE evaluates in order: the referral test runs only for recent contacts.
                func.sum(case((before, 0), (is_referral(), 1), else_=0)),
                func.max(Contact.depth),
            )
        )
        .where(
            scope.of(Contact.organization_id, Contact.client_id),
            Contact.created_at < bounds[-1],
            *([] if since_ever else [Contact.created_at >= bounds[0]]),
        )
        .group_by(Contact.client_id, "segment_no")
    )


def _companies_engaged(scope: Readable, at: Instants) -> Select[Any]:
    """The distinct companies of the contacts touched in each window. From the contacts
    linked to a company, each probing the interactions index once per window."""
    previous_start, current_start, end = at.bounds[0], at.current_start, at.bounds[-1]
    organization_id = scope.principal.organization_id

    def touched(start: Any, until: Any) -> ColumnElement[bool]:
        return exists(
            select(Interaction.id).where(
                Interaction.organization_id == organization_id,
                Interaction.contact_id == Contact.id,
                Interaction.occurred_at >= start,
                Interaction.occurred_at < until,
                _touch(),
            )
        )

    return (
        select(
            *_row(
                Contact.client_id,
                COMPANIES,
                literal(0, Integer),
                func.count(
                    distinct(case((touched(previous_start, current_start), Contact.company_id)))
                ),
                func.count(distinct(case((touched(current_start, end), Contact.company_id)))),
            )
        )
        .where(
            scope.of(Contact.organization_id, Contact.client_id),
            Contact.company_id.is_not(None),
        )
        .group_by(Contact.client_id)
    )


def _contacts_gone_cold(scope: Readable, at: Instants, dialect: str) -> Select[Any]:
    """The contacts that crossed into cold in each period.

    A contact crosses at `touch + cold_after` when no other touch follows within
    `cold_after`; each touch is paired with the next one (`lead`). Touches after the
    window's end cannot matter: the crossing would come first. The window function sorts
    only (contact, time)."""
    touches = (
        select(
            Interaction.client_id.label("client_id"),
            Interaction.contact_id.label("contact_id"),
            Interaction.occurred_at.label("touched_at"),
            func.lead(Interaction.occurred_at)
            .over(partition_by=Interaction.contact_id, order_by=Interaction.occurred_at)
            .label("next_touch_at"),
        )
        .where(
            scope.of(Interaction.organization_id, Interaction.client_id),
            Interaction.occurred_at >= at.touches_from,
            Interaction.occurred_at < at.bounds[-1],
            _touch(),
        )
        .subquery("touches")
    )
    gap = seconds_between(dialect, touches.c.touched_at, touches.c.next_touch_at)
    period = case((touches.c.touched_at < at.cold_before_current, 0), else_=1)
    return (
        select(
            *_row(
                touches.c.client_id, GONE_COLD, period, func.count(distinct(touches.c.contact_id))
            )
        )
        .where(
            touches.c.touched_at < at.cold_before_end,
            or_(touches.c.next_touch_at.is_(None), gap > at.cold_after_seconds),
        )
        .group_by(touches.c.client_id, "segment_no")
    )


def _figures(scope: Readable, at: Instants, dialect: str, *, detail: bool) -> Select[Any]:
    parts = [
        _outreach(scope, at),
        _interviews_held(scope, at, dialect),
        _stage_moves(scope, at),
        _contacts(scope, at, since_ever=detail),
    ]
    if detail:
        parts += [
            _median_hours_to_response(scope, at, dialect),
            _companies_engaged(scope, at),
            _contacts_gone_cold(scope, at, dialect),
        ]
    return select(union_all(*parts).subquery("figures"))


@lru_cache(maxsize=32)
def _cached_figures(principal: Principal, segments: int, dialect: str) -> Select[Any]:
    """`_figures` with placeholders for the clients and the instants, for one caller and
    one number of segments. Building the statement costs more than running it for one
    client; everything the caller's visibility puts in it depends on the principal alone
    (`readable_client_ids`)."""
    scope = Readable(
        principal, bindparam("client_ids", expanding=True), readable_client_ids(principal)
    )
    return _figures(scope, Instants.placeholders(segments), dialect, detail=True)


async def figures(
    session: AsyncSession, scope: Readable, at: Instants, *, detail: bool
) -> Sequence[Any]:
    """Every count of the clients in `scope`, by segment, in one statement (see the module
    docstring for the rows). Without `detail` (reports), only outreach, held interviews,
    stage moves and the contacts added within the bounds.

    The per-client answer (`detail`, a list of clients) runs a statement built once per
    caller and number of weeks; reports (a statement selecting the clients) build theirs."""
    dialect = session.get_bind().dialect.name
    if detail and not isinstance(scope.asked, (Select, BindParameter)):
        statement = _cached_figures(scope.principal, len(at.bounds) - 1, dialect)
        parameters = {"client_ids": list(scope.asked), **at.parameters()}
        return list((await session.execute(statement, parameters)).all())
    return list((await session.execute(_figures(scope, at, dialect, detail=detail))).all())
