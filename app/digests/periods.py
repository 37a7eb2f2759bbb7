"""When a member's digest is due: the periods of a schedule, in its time zone.

A period starts at the chosen hour, local time: every day (daily), or on the chosen
weekday (weekly). The **current period** at an instant is the latest start at or before
it; its digest is due from that start until the next one, and is settled (sent, or
skipped as empty) once: the worker records the start it settled (`last_period_start`).
Starts are computed from local calendar dates, so a period is a day or a week of local
time across daylight-saving changes; an hour that does not exist that day (clocks
jumping forward) counts from the instant it would have been with the earlier offset.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.models import DigestFrequency

DEFAULT_FREQUENCY = DigestFrequency.weekly
DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_HOUR = 8
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """An IANA name this system's zone database has (`Europe/Berlin`, `UTC`)."""
    return name in known_timezones()


def zone(name: str) -> ZoneInfo:
    """The zone, or UTC for a name the database no longer has."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Schedule:
    frequency: DigestFrequency
    weekday: int
    hour: int
    timezone: str  # the effective zone: the member's, else the organization's

    @property
    def step(self) -> int:
        return 7 if self.frequency is DigestFrequency.weekly else 1


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime  # UTC
    previous_start: datetime  # the period before: what "since the last digest" means
    next_start: datetime


def _start_on(day: date, schedule: Schedule) -> datetime:
    local = datetime.combine(day, time(schedule.hour), tzinfo=zone(schedule.timezone))
    return local.astimezone(UTC)


def current_period(schedule: Schedule, now: datetime) -> Period | None:
    """The period `now` is in; None for `never`."""
    if schedule.frequency is DigestFrequency.never:
        return None
    today = now.astimezone(zone(schedule.timezone)).date()
    if schedule.frequency is DigestFrequency.weekly:
        today -= timedelta(days=(today.weekday() - schedule.weekday) % 7)
    day = today
    if _start_on(day, schedule) > now:
        day -= timedelta(days=schedule.step)
    step = timedelta(days=schedule.step)
    return Period(
        start=_start_on(day, schedule),
        previous_start=_start_on(day - step, schedule),
        next_start=_start_on(day + step, schedule),
    )


def is_due(schedule: Schedule, last_period_start: datetime | None, now: datetime) -> bool:
    """Whether the current period is still to be settled."""
    period = current_period(schedule, now)
    return period is not None and (last_period_start is None or last_period_start < period.start)
