"""Calendar feeds for tests: issue one, fetch it, parse it with `icalendar`."""

from datetime import datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar, Event

from app.core.time import utc_now
from tests.factories.identity import Actor

FEED = "/api/v1/me/calendar-feed"


async def issue_feed(http: httpx.AsyncClient, actor: Actor) -> str:
    """The feed's URL, as a path (the test client's base URL is `http://testserver`)."""
    response = await http.post(FEED, headers=actor.headers)
    assert response.status_code == 201, response.text
    url = str(response.json()["url"])
    assert url.startswith("http://testserver/api/v1/calendar/"), url
    assert url.endswith(".ics"), url
    return url.removeprefix("http://testserver")


async def fetch(http: httpx.AsyncClient, path: str) -> httpx.Response:
    """As a calendar app would: no Authorization header."""
    return await http.get(path)


async def read_calendar(http: httpx.AsyncClient, path: str, **headers: str) -> Calendar:
    response = await http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, Event]:
    """The calendar's VEVENTs by UID."""
    found = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs must be unique"
    return found


def interview_uid(interview: dict[str, Any]) -> str:
    return f"interview-{interview['id']}@coach-api"


def follow_up_uid(contact: dict[str, Any]) -> str:
    return f"follow-up-{contact['id']}@coach-api"


def in_days(days: float) -> str:
    at: datetime = utc_now().replace(microsecond=0) + timedelta(days=days)
    return at.isoformat().replace("+00:00", "Z")
