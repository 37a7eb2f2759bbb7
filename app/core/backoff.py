"""Retry schedules with jitter, for the outboxes (webhook deliveries, email)."""

import random
from collections.abc import Sequence
from datetime import timedelta

JITTER = 0.1


def retry_delay(delays: Sequence[timedelta], failed_attempts: int) -> timedelta | None:
    """The wait before the next try after `failed_attempts` failures: `delays[n - 1]`
    ±10 %, so retries after an outage do not all arrive at once; None: give up."""
    if failed_attempts > len(delays):
        return None
    factor = random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - jitter, not a secret
    return delays[failed_attempts - 1] * factor
