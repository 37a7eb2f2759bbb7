"""Contact warmth: how recently the client was last in touch, against the org's threshold."""

from datetime import datetime, timedelta

from app.models.enums import Warmth


def warmth_of(last_contacted_at: datetime | None, *, cold_after_days: int, now: datetime) -> Warmth:
    """`never` without contact; `warm` within half of `cold_after_days`; `cooling`
    within `cold_after_days`; `cold` beyond."""
    return warmth_at(last_contacted_at, *warmth_bounds(cold_after_days, now))


def warmth_at(
    last_contacted_at: datetime | None, warm_since: datetime, cooling_since: datetime
) -> Warmth:
    """`warmth_of` with its bounds (`warmth_bounds`) computed once for many contacts."""
    if last_contacted_at is None:
        return Warmth.never
    if last_contacted_at >= warm_since:
        return Warmth.warm
    if last_contacted_at >= cooling_since:
        return Warmth.cooling
    return Warmth.cold


def warmth_bounds(cold_after_days: int, now: datetime) -> tuple[datetime, datetime]:
    """(warm_since, cooling_since): `last_contacted_at >= warm_since` is warm, and so on;
    for filtering in SQL with the same rule as `warmth_of`."""
    return now - timedelta(days=cold_after_days) / 2, now - timedelta(days=cold_after_days)
