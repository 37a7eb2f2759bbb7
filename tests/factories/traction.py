"""Traction and reports for tests: a hand-set clock and the GETs."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx

from app.core.time import set_clock
from tests.factories.identity import Actor


class Clock:
    """A frozen clock the test sets by hand: data gets the dates the test chooses."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, moment: str | datetime) -> datetime:
        self.now = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return self.now


@contextmanager
def frozen_clock(start: str | datetime) -> Iterator[Clock]:
    clock = Clock(datetime.fromisoformat(start) if isinstance(start, str) else start)
    set_clock(lambda: clock.now)
    try:
        yield clock
    finally:
        set_clock(None)


async def get_traction(
    http: httpx.AsyncClient, actor: Actor, client_id: str | uuid.UUID, **params: Any
) -> dict[str, Any]:
    response = await http.get(
        f"/api/v1/clients/{client_id}/traction", params=params, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def get_caseload(http: httpx.AsyncClient, actor: Actor, **params: Any) -> dict[str, Any]:
    response = await http.get("/api/v1/reports/caseload", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())
