"""Traction: the figures docs/product.md defines, for one client or a whole caseload at once.

`compute` answers for any number of clients with the same fixed set of queries (see
`app.traction.repository`); the per-client endpoint and the reports all call it.

Windows are calendar days in a time zone, `[from, to)`; weeks start on Monday in that
zone, so a week across a daylight-saving change is 167 or 169 hours long.

`stalled` and `last_moving_event_at` follow `app.clients.activity`, the definition of a
moving event the `client.stalled` sweep uses too.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.activity import is_stalled
from app.core.errors import Unprocessable
from app.core.time import utc_now
from app.models import Organization
from app.models.enums import ClientStatus
from app.organizations.service import get_organization
from app.traction import repository
from app.traction.repository import ClientIds
from app.traction.schemas import (
    ClientTraction,
    GoalProgress,
    GoalTrack,
    ScorePartRead,
    TractionFigures,
    TractionPeriod,
    TractionScore,
    TractionWeek,
    TractionWindow,
)
from app.traction.score import Score, ScoreInputs, score_value, traction_score

DEFAULT_WINDOW_DAYS = 28
MAX_WINDOW_DAYS = 366
# Far enough for any real search, near enough that no bound overflows a datetime.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


@dataclass(frozen=True, slots=True)
class Window:
    """Calendar days `[start, end)` in `tz`."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def at(self, day: date) -> datetime:
        """Midnight starting `day` in the window's zone, in UTC."""
        return datetime.combine(day, time(), tzinfo=self.tz).astimezone(UTC)

    @property
    def starts_at(self) -> datetime:
        return self.at(self.start)

    @property
    def ends_at(self) -> datetime:
        return self.at(self.end)

    def previous(self) -> "Window":
        """The window of equal length just before this one."""
        return Window(self.start - timedelta(days=self.days), self.start, self.tz)

    def read(self) -> TractionWindow:
        return TractionWindow(
            from_date=self.start,
            to_date=self.end,
            tz=self.tz.key,
            days=self.days,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )


def _day_problem(name: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"`{name}` {message}.", errors=[{"loc": ["query", name], "msg": message, "type": "window"}]
    )


async def window_for(
    session: AsyncSession,
    principal: Principal,
    *,
    start: date | None,
    end: date | None,
    tz: str | None,
    settings: Organization | None = None,
) -> Window:
    """The window asked for: `tz` defaults to the organization's time zone, `to` to
    tomorrow there (so today is in), `from` to 28 days before `to`. 422 when `from` is
    not before `to`, the window is longer than 366 days or a day is out of range.
    `settings`: the caller's organization, when the caller has it already."""
    if tz is None:
        tz = (settings or await get_organization(session, principal)).timezone
    zone = ZoneInfo(tz)
    for name, day in (("from", start), ("to", end)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise _day_problem(name, f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    if end is None:
        end = utc_now().astimezone(zone).date() + timedelta(days=1)
    if start is None:
        start = end - timedelta(days=DEFAULT_WINDOW_DAYS)
    if start >= end:
        raise _day_problem("from", "must be before `to`")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise _day_problem("from", f"must be at most {MAX_WINDOW_DAYS} days before `to`")
    if start - timedelta(days=(end - start).days) < EARLIEST_DAY:
        raise _day_problem("from", "leaves no room for the previous window")
    return Window(start, end, zone)


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time that is one week of the window (or the whole previous window)."""

    starts_at: datetime
    ends_at: datetime
    days: int
    week_start: date | None  # None: the previous window, or the whole window


def segments(window: Window, *, weekly: bool = True) -> list[Segment]:
    """The previous window, then the window cut at every Monday 00:00 in its zone (or,
    not `weekly`, the window whole: reports show no weeks)."""
    previous = window.previous()
    cut = [Segment(previous.starts_at, previous.ends_at, previous.days, None)]
    if not weekly:
        return [*cut, Segment(window.starts_at, window.ends_at, window.days, None)]
    day = window.start
    while day < window.end:
        monday = day - timedelta(days=day.weekday())
        until = min(monday + timedelta(days=7), window.end)
        cut.append(Segment(window.at(day), window.at(until), (until - day).days, monday))
        day = until
    return cut


class Headline(NamedTuple):
    """What every report shows of one window (counted per segment, then summed). A
    tuple: a caseload makes hundreds."""

    outreach_sent: int = 0
    responses: int = 0
    informational_scheduled: int = 0
    informational_held: int = 0
    job_interviews_held: int = 0
    offers: int = 0
    referrals: int = 0
    new_contacts: int = 0
    # Held interviews whose 48 h have run out (or that were thanked), and the ones
    # thanked within them.
    thank_you_due: int = 0
    thank_you_on_time: int = 0

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.responses, self.outreach_sent)

    @property
    def referrals_per_informational(self) -> float | None:
        return _ratio(self.referrals, self.informational_held)

    @property
    def thank_you_rate(self) -> float | None:
        return _ratio(self.thank_you_on_time, self.thank_you_due)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# A segment's counts are a list in `Headline`'s field order: a caseload makes thousands.
_COUNTED = Headline._fields
_WIDTH = len(_COUNTED)
_POSITION = {name: index for index, name in enumerate(_COUNTED)}
_SENT = _POSITION["outreach_sent"]
_RESPONSES = _POSITION["responses"]
_SCHEDULED = _POSITION["informational_scheduled"]
_INFORMATIONAL_HELD = _POSITION["informational_held"]
_JOB_HELD = _POSITION["job_interviews_held"]
_OFFERS = _POSITION["offers"]
_REFERRALS = _POSITION["referrals"]
_NEW_CONTACTS = _POSITION["new_contacts"]
_THANK_YOU_DUE = _POSITION["thank_you_due"]
_THANK_YOU_ON_TIME = _POSITION["thank_you_on_time"]


@dataclass
class _Tallies:
    """Everything the figures query returned, by client."""

    segments: dict[uuid.UUID, list[list[int]]]
    # Contacts added before the previous window: (how many, deepest depth).
    before: dict[uuid.UUID, tuple[int, int]] = field(default_factory=dict)
    deepest: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    # (client, period) → value; period 0 is the previous window, 1 the current one.
    median_hours: dict[tuple[uuid.UUID, int], float] = field(default_factory=dict)
    companies: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)
    gone_cold: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)

    def add(self, rows: Sequence[Any]) -> None:
        """Adds up the rows of `repository.figures`."""
        for client_id, source, segment_no, a, b, c, d, hours in rows:
            counted = self.segments.get(client_id)
            if counted is None:  # not among the clients read (a client added meanwhile)
                continue
            if source == repository.OUTREACH:
                counts = counted[segment_no]
                counts[_SENT] += a
                counts[_RESPONSES] += b
            elif source == repository.HELD:
                counts = counted[segment_no]
                counts[_INFORMATIONAL_HELD] += a
                counts[_JOB_HELD] += b
                counts[_THANK_YOU_DUE] += c
                counts[_THANK_YOU_ON_TIME] += d
            elif source == repository.MOVES:
                counts = counted[segment_no]
                counts[_SCHEDULED] += a
                counts[_OFFERS] += b
            elif source == repository.CONTACTS:
                if segment_no < 0:
                    self.before[client_id] = (int(a), int(c or 0))
                    continue
                counts = counted[segment_no]
                counts[_NEW_CONTACTS] += a
                counts[_REFERRALS] += b
                depths = self.deepest.setdefault(client_id, [0] * len(counted))
                depths[segment_no] = int(c or 0)
            elif source == repository.MEDIAN:
                self.median_hours[(client_id, int(segment_no))] = round(float(hours), 2)
            elif source == repository.COMPANIES:
                self.companies[(client_id, 0)] = int(a)
                self.companies[(client_id, 1)] = int(b)
            elif source == repository.GONE_COLD:
                self.gone_cold[(client_id, int(segment_no))] = int(a)

    def headline(self, client_id: uuid.UUID, period: int) -> Headline:
        segments = self.segments[client_id]
        if period == 0:
            return Headline(*segments[0])
        if len(segments) == 2:
            return Headline(*segments[1])
        return Headline(*map(sum, zip(*segments[1:], strict=True)))

    def network(self, client_id: uuid.UUID, period: int) -> tuple[int, int]:
        """(network size, deepest chain) at the end of the period."""
        size, deepest = self.before.get(client_id, (0, 0))
        segments = self.segments[client_id] if period == 1 else self.segments[client_id][:1]
        depths = self.deepest.get(client_id, [])
        size += sum(segment[_NEW_CONTACTS] for segment in segments)
        return size, max([deepest, *depths[: len(segments)]])


class TractionResult(NamedTuple):
    """One client's traction. `traction` (the API's full answer, with the weekly series,
    the network figures and the score's parts) is there only when `compute` ran with
    `detail=True`."""

    client_id: uuid.UUID
    full_name: str
    status: ClientStatus
    current: Headline
    previous: Headline
    score: int
    previous_score: int
    stalled: bool
    last_moved_at: datetime | None
    days_since_movement: int
    traction: ClientTraction | None


async def compute(
    session: AsyncSession,
    principal: Principal,
    client_ids: ClientIds,
    window: Window,
    *,
    detail: bool = True,
    settings: Organization | None = None,
) -> dict[uuid.UUID, TractionResult]:
    """Traction of each client the caller may read among `client_ids` (others are left
    out), for `window` and the one before it, from two queries whatever the number of
    clients (`settings`: the caller's organization, when the caller has it already).

    `detail=False` is for reports: it skips the weekly series, the score's parts and the
    figures the reports do not show (median hours to response, network size, deepest
    chain, companies engaged, contacts gone cold), so no scan of older contacts or of
    the interactions."""
    ids: ClientIds = client_ids
    if not isinstance(client_ids, Select):
        ids = list(dict.fromkeys(client_ids))
        if not ids:
            return {}
    now = utc_now()
    if settings is None:
        settings = await get_organization(session, principal)
    cut = segments(window, weekly=detail)
    bounds = [cut[0].starts_at, *(s.ends_at for s in cut)]
    scope = repository.readable(principal, ids)

    clients = await repository.clients(session, scope)
    if not clients:
        return {}
    tallies = _Tallies(segments={row.id: [[0] * _WIDTH for _ in cut] for row in clients})
    at = repository.Instants.at(
        bounds, window.starts_at, now, timedelta(days=settings.cold_after_days)
    )
    tallies.add(await repository.figures(session, scope, at, detail=detail))

    results: dict[uuid.UUID, TractionResult] = {}
    stalled_after_days, days = settings.stalled_after_days, window.days
    for row in clients:
        current, previous = tallies.headline(row.id, 1), tallies.headline(row.id, 0)
        stalled = is_stalled(
            row.status,
            row.last_moved_at,
            row.created_at,
            stalled_after_days=stalled_after_days,
            now=now,
        )
        traction = None
        if detail:
            score = traction_score(_score_inputs(current, row, days))
            previous_score = traction_score(_score_inputs(previous, row, days))
            traction = ClientTraction(
                client_id=row.id,
                generated_at=now,
                current=_period(row, window, tallies, 1, current, score),
                previous=_period(row, window.previous(), tallies, 0, previous, previous_score),
                score_change=score.score - previous_score.score,
                weeks=[
                    _week(segment, Headline(*counts), row)
                    for segment, counts in zip(cut[1:], tallies.segments[row.id][1:], strict=True)
                ],
                stalled=stalled,
                last_moving_event_at=row.last_moved_at,
                stalled_after_days=stalled_after_days,
            )
            points, previous_points = score.score, previous_score.score
        else:
            points = score_value(_score_inputs(current, row, days))
            previous_points = score_value(_score_inputs(previous, row, days))
        results[row.id] = TractionResult(
            client_id=row.id,
            full_name=row.full_name,
            status=ClientStatus(row.status),
            current=current,
            previous=previous,
            score=points,
            previous_score=previous_points,
            stalled=stalled,
            last_moved_at=row.last_moved_at,
            days_since_movement=max(0, (now - (row.last_moved_at or row.created_at)).days),
            traction=traction,
        )
    return results


def _score_inputs(headline: Headline, client: Any, days: int) -> ScoreInputs:
    return ScoreInputs(
        days=days,
        outreach_sent=headline.outreach_sent,
        responses=headline.responses,
        informational_held=headline.informational_held,
        job_interviews_held=headline.job_interviews_held,
        referrals=headline.referrals,
        thank_you_rate=headline.thank_you_rate,
        weekly_outreach_goal=client.weekly_outreach_goal,
        weekly_informational_goal=client.weekly_informational_goal,
    )


def _period(
    client: Any,
    window: Window,
    tallies: _Tallies,
    period: int,
    headline: Headline,
    score: Score,
) -> TractionPeriod:
    size, deepest = tallies.network(client.id, period)
    figures = TractionFigures(
        outreach_sent=headline.outreach_sent,
        responses=headline.responses,
        response_rate=headline.response_rate,
        median_hours_to_response=tallies.median_hours.get((client.id, period)),
        informational_scheduled=headline.informational_scheduled,
        informational_held=headline.informational_held,
        job_interviews_held=headline.job_interviews_held,
        offers=headline.offers,
        referrals=headline.referrals,
        referrals_per_informational=headline.referrals_per_informational,
        thank_you_rate=headline.thank_you_rate,
        new_contacts=headline.new_contacts,
        network_size=size,
        deepest_chain=deepest,
        companies_engaged=tallies.companies.get((client.id, period), 0),
        contacts_gone_cold=tallies.gone_cold.get((client.id, period), 0),
    )
    return TractionPeriod(
        window=window.read(),
        figures=figures,
        goals=GoalProgress(
            outreach=_track(client.weekly_outreach_goal, figures.outreach_sent, window.days),
            informational=_track(
                client.weekly_informational_goal, figures.informational_held, window.days
            ),
        ),
        score=TractionScore(
            score=score.score,
            parts=[
                ScorePartRead(
                    name=p.name, weight=p.weight, value=p.value, points=p.points, basis=p.basis
                )
                for p in score.parts
            ],
        ),
    )


def _track(weekly_goal: int | None, actual: int, days: int) -> GoalTrack | None:
    # A goal of 0 sets nothing to reach.
    if not weekly_goal:
        return None
    target = weekly_goal * days / 7
    return GoalTrack(
        weekly_goal=weekly_goal,
        target=round(target, 2),
        actual=actual,
        progress=round(actual / target, 4),
    )


def _met(weekly_goal: int | None, actual: int, days: int) -> bool | None:
    return None if not weekly_goal else actual >= weekly_goal * days / 7


def _week(segment: Segment, week: Headline, client: Any) -> TractionWeek:
    assert segment.week_start is not None
    return TractionWeek(
        week_start=segment.week_start,
        starts_at=segment.starts_at,
        ends_at=segment.ends_at,
        days_in_window=segment.days,
        outreach_sent=week.outreach_sent,
        responses=week.responses,
        informational_scheduled=week.informational_scheduled,
        informational_held=week.informational_held,
        job_interviews_held=week.job_interviews_held,
        interviews_held=week.informational_held + week.job_interviews_held,
        offers=week.offers,
        referrals=week.referrals,
        new_contacts=week.new_contacts,
        outreach_goal_met=_met(client.weekly_outreach_goal, week.outreach_sent, segment.days),
        informational_goal_met=_met(
            client.weekly_informational_goal, week.informational_held, segment.days
        ),
    )


async def client_traction(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    window: Window,
    *,
    settings: Organization | None = None,
) -> ClientTraction:
    """One client's traction (the client has been found readable by the caller)."""
    results = await compute(session, principal, [client_id], window, settings=settings)
    traction = results[client_id].traction
    assert traction is not None  # computed with detail
    return traction
