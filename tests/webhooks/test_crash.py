"""Two real `coach-api worker` processes, one SIGKILLed mid-run: nothing is lost.

The small version of `benchmarks/webhook_crash.py` (PostgreSQL only: SQLite runs one
worker). It creates and drops its own database, as the workers serve every tenant.
"""

import tempfile

import pytest

from benchmarks.common import throwaway_database
from benchmarks.webhook_crash import run_crash
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is None, reason="needs PostgreSQL (COACH_TEST_POSTGRES_URL)"
)


async def test_a_worker_killed_mid_run_loses_no_event() -> None:
    assert POSTGRES_URL is not None
    with tempfile.TemporaryFile("w+") as log:
        async with throwaway_database(POSTGRES_URL, "coach_crash") as (owner_url, app_url):
            result = await run_crash(
                owner_url,
                app_url,
                events=100,
                kill_after=30,
                timeout_seconds=3.0,
                # The killed worker's claims are taken over after 2 x 3 + 1 seconds.
                lease_margin_seconds=1.0,
                deadline_seconds=120.0,
                log=log,
            )
        log.seek(0)
        worker_log = log.read()[-2000:]

    assert result.completed, worker_log
    assert result.lost == 0
    assert result.distinct == result.succeeded == 100
    assert result.bad_signatures == 0
    # A duplicate is a delivery the killed worker sent but could not record: at most
    # what was leased when it died.
    assert result.duplicates <= result.leased_at_kill
