"""The one clock: aware UTC, replaceable in tests."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# Clocks of phones and laptops drift: an instant a client reports may be this far in the
# future and still count as past; a typo may not.
MAX_CLOCK_SKEW = timedelta(minutes=5)

_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utc_now() -> datetime:
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Tests freeze or move time with this; `None` restores the real clock."""
    global _clock
    _clock = clock if clock is not None else (lambda: datetime.now(UTC))
