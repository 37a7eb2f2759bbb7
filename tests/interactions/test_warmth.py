from datetime import UTC, datetime, timedelta

import pytest

from app.contacts.warmth import warmth_of
from app.models.enums import Warmth

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), Warmth.warm),
        (timedelta(days=15), Warmth.warm),
        (timedelta(days=15) + TICK, Warmth.cooling),
        (timedelta(days=30), Warmth.cooling),
        (timedelta(days=30) + TICK, Warmth.cold),
        (timedelta(days=400), Warmth.cold),
    ],
)
def test_warmth_goes_warm_cooling_cold_at_the_default_30_day_boundaries(
    age: timedelta, expected: Warmth
) -> None:
    assert warmth_of(NOW - age, cold_after_days=30, now=NOW) is expected


def test_a_contact_never_contacted_is_never() -> None:
    assert warmth_of(None, cold_after_days=30, now=NOW) is Warmth.never


def test_warmth_follows_the_organizations_cold_after_days() -> None:
    last = NOW - timedelta(days=6)
    assert warmth_of(last, cold_after_days=10, now=NOW) is Warmth.cooling
    assert warmth_of(last, cold_after_days=12, now=NOW) is Warmth.warm
    assert warmth_of(last, cold_after_days=5, now=NOW) is Warmth.cold
