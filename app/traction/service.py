"""Traction: the figures docs/product.md defines, for one client or a whole caseload at once.

`compute` answers for any number of clients with the same fixed set of queries (see
`app.traction.repository`); the per-client endpoint and the reports all call it.

Windows are calendar days in a time zone, `[from, to)`; weeks start on Monday in that
zone, so a week across a daylight-saving change is 167 or 169 hours long.

`stalled` and `last_moving_event_at` follow `app.clients.momentum`, the definition of a
moving event the `client.stalled` sweep uses too.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.momentum import is_stalled
from app.core.errors import Unprocessable
from app.core.time import utc_now
from app.models import Organization
from app.models.enums import ClientStatus
from app.organizations.service import get_organization
from app.traction import repository, sql
from app.traction.answer import period_of, score_inputs, week_of
from app.traction.schemas import ClientTraction, TractionWindow
from app.traction.score import score_value, traction_score
from app.traction.sql import ClientIds
from app.traction.tallies import WIDTH, Headline, Segment, Tallies

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
    scope = sql.readable(principal, ids)

    clients = await repository.clients(session, scope)
    if not clients:
        return {}
    tallies = Tallies(segments={row.id: [[0] * WIDTH for _ in cut] for row in clients})
    at = sql.Instants.at(bounds, window.starts_at, now, timedelta(days=settings.cold_after_days))
    tallies.add(await repository.figures(session, principal, scope, at, detail=detail))

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
            score = traction_score(score_inputs(current, row, days))
            previous_score = traction_score(score_inputs(previous, row, days))
            traction = ClientTraction(
                client_id=row.id,
                generated_at=now,
                current=period_of(row, window.read(), tallies, 1, current, score),
                previous=period_of(
                    row, window.previous().read(), tallies, 0, previous, previous_score
                ),
                score_change=score.score - previous_score.score,
                weeks=[
                    week_of(segment, Headline(*counts), row)
                    for segment, counts in zip(cut[1:], tallies.segments[row.id][1:], strict=True)
                ],
                stalled=stalled,
                last_moving_event_at=row.last_moved_at,
                stalled_after_days=stalled_after_days,
            )
            points, previous_points = score.score, previous_score.score
        else:
            points = score_value(score_inputs(current, row, days))
            previous_points = score_value(score_inputs(previous, row, days))
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
