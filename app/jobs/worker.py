"""The background worker: delivers webhooks (`app.webhooks.dispatch`), settles
password-reset requests (`app.auth.password`), sends the email outbox
(`app.mail.dispatch`) and, every
`sweep_interval_seconds`, measures the webhook backlog, prunes expired
`Idempotency-Key` records, runs the time-based events sweep (`app.jobs.sweep`) and
puts the members' due digests in the email outbox (`app.digests.send`).

It connects as the worker role (`COACH_WORKER_DATABASE_URL`), which bypasses
Row-Level Security: it serves every organization.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.password import issue_requested
from app.core.config import Settings
from app.db.session import create_engine, create_sessionmaker
from app.digests.send import send_due_digests
from app.idempotency.service import prune_expired
from app.jobs.sweep import sweep
from app.mail import dispatch as mail_dispatch
from app.webhooks.backlog import measure_backlog
from app.webhooks.dispatch import BATCH_SIZE, POLL_SECONDS, check_can_claim, run_once

logger = logging.getLogger(__name__)


async def _sweep_if_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, last_sweep: float | None
) -> float | None:
    """Run the time-based events sweep (and measure the backlog, send due digests) when
    its interval has passed; returns when it last ran."""
    started = time.monotonic()
    if last_sweep is not None and started - last_sweep < settings.sweep_interval_seconds:
        return last_sweep
    try:
        await measure_backlog(sessionmaker)
    except Exception:
        logger.exception("measuring the webhook backlog failed")
    try:
        await prune_expired(sessionmaker, timedelta(hours=settings.idempotency_ttl_hours))
    except Exception:
        logger.exception("pruning expired idempotency records failed")
    try:
        result = await sweep(sessionmaker)
    except Exception:
        # Nothing was committed; the next turn finds the same crossings.
        logger.exception("time-based events sweep failed")
    else:
        if result.went_cold or result.stalled:
            logger.info(
                "sweep announced %d contact(s) gone cold, %d client(s) stalled",
                result.went_cold,
                result.stalled,
            )
    try:
        digests = await send_due_digests(sessionmaker, settings)
    except Exception:
        # Each digest commits with its period's claim: what failed is sent next turn.
        logger.exception("sending due digests failed")
    else:
        if digests:
            logger.info("put %d digest(s) in the email outbox", digests)
    return started


async def _deliver(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """One pass over each outbox: webhooks, then reset requests and email. Returns the
    most any of them attempted, so a full batch anywhere means "go again at once"."""
    attempted = 0
    for name, one_pass in (
        ("webhook delivery", run_once),
        ("password-reset", issue_requested),
        ("email", mail_dispatch.run_once),
    ):
        try:
            attempted = max(attempted, await one_pass(sessionmaker, settings))
        except Exception:
            # Nothing of a failed pass was committed; the next pass finds the same work.
            logger.exception("%s pass failed", name)
    return attempted


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver, and sweep for time-based events, until `stop` is set; finishes the batch
    in hand before returning."""
    engine = create_engine(settings, settings.effective_worker_url)
    sessionmaker = create_sessionmaker(engine)
    last_sweep: float | None = None
    try:
        await check_can_claim(sessionmaker, setting=settings.worker_url_setting)
        logger.info("webhook worker started")
        while not stop.is_set():
            last_sweep = await _sweep_if_due(sessionmaker, settings, last_sweep)
            attempted = await _deliver(sessionmaker, settings)
            if attempted < BATCH_SIZE:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
        logger.info("webhook worker stopped")
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def in_process_worker(settings: Settings) -> AsyncIterator[None]:
    """Run the worker as a task of the API process when the settings say so."""
    if not settings.runs_worker_in_process:
        yield
        return
    stop = asyncio.Event()

    async def supervised() -> None:
        try:
            await run_worker(settings, stop)
        except Exception:
            logger.exception("the in-process webhook worker stopped")

    task = asyncio.create_task(supervised(), name="webhook-worker")
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
