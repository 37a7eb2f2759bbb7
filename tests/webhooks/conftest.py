import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.time import set_clock
from app.db.session import create_sessionmaker
from app.jobs.sweep import SweepResult, sweep
from app.webhooks.dispatch import run_once


class Clock:
    """A frozen clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Iterator[Clock]:
    frozen = Clock()
    set_clock(lambda: frozen.now)
    try:
        yield frozen
    finally:
        set_clock(None)


@pytest.fixture
def allow_private_urls(app: Any, settings: Settings) -> Iterator[None]:
    """Let the API register loopback receivers, as `COACH_WEBHOOK_ALLOW_PRIVATE_URLS` does."""
    app.state.settings = settings.model_copy(update={"webhook_allow_private_urls": True})
    try:
        yield
    finally:
        app.state.settings = settings


WorkerPass = Callable[..., Any]


@pytest.fixture
def run_worker_once(owner_engine: AsyncEngine, settings: Settings) -> WorkerPass:
    """One worker pass as the owner role, limited to the given organizations."""
    sessionmaker = create_sessionmaker(owner_engine)

    async def run(*organization_ids: uuid.UUID, **overrides: Any) -> int:
        worker_settings = settings.model_copy(
            update={"webhook_allow_private_urls": True, "webhook_timeout_seconds": 5.0, **overrides}
        )
        return await run_once(sessionmaker, worker_settings, organization_ids=organization_ids)

    return run


SweepPass = Callable[..., Any]


@pytest.fixture
def run_sweep(owner_engine: AsyncEngine) -> SweepPass:
    """One time-based events sweep as the owner role, limited to the given organizations."""
    sessionmaker = create_sessionmaker(owner_engine)

    async def run(*organization_ids: uuid.UUID, **options: Any) -> SweepResult:
        return await sweep(sessionmaker, organization_ids=organization_ids, **options)

    return run
