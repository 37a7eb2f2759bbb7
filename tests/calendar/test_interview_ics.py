"""One interview as a calendar file: `GET /interviews/{interview_id}.ics`."""

from datetime import datetime

import httpx
from icalendar import Calendar

from tests.calendar.factories import events, in_days, interview_uid, issue_feed, read_calendar
from tests.factories.cast import Cast
from tests.factories.contacts import create_contact
from tests.interviews.pipeline_factories import create_interview


async def _scheduled(client: httpx.AsyncClient, cast: Cast, client_id: str) -> dict:
    contact = await create_contact(client, cast.owner, client_id, full_name="Ada Park")
    return await create_interview(
        client,
        cast.owner,
        client_id,
        contact_id=contact["id"],
        stage="scheduled",
        scheduled_at=in_days(2),
        coach_notes="SECRET-NOTE",
    )


async def test_the_ics_path_is_not_taken_for_an_interview_id(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    interview = await _scheduled(client, cast, cast.seeker["id"])
    path = f"/api/v1/interviews/{interview['id']}.ics"
    response = await client.get(path, headers=cast.coach.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="interview-{interview["id"]}.ics"'
    )
    # The JSON read is still the JSON read.
    json = await client.get(f"/api/v1/interviews/{interview['id']}", headers=cast.coach.headers)
    assert json.status_code == 200
    assert json.json()["id"] == interview["id"]

    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == interview_uid(interview)
    assert event.decoded("DTSTART") == datetime.fromisoformat(interview["scheduled_at"])
    assert "SECRET-NOTE" in str(event["DESCRIPTION"])


async def test_it_is_the_same_event_as_in_the_feed(client: httpx.AsyncClient, cast: Cast) -> None:
    interview = await _scheduled(client, cast, cast.seeker["id"])
    one = await read_calendar(
        client, f"/api/v1/interviews/{interview['id']}.ics", **cast.coach.headers
    )
    feed = events(await read_calendar(client, await issue_feed(client, cast.coach)))
    (event,) = one.walk("VEVENT")
    assert event.to_ical() == feed[interview_uid(interview)].to_ical()


async def test_whoever_may_not_read_the_interview_gets_404(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    own = await _scheduled(client, cast, cast.seeker["id"])
    other = await _scheduled(client, cast, cast.other["id"])
    for actor in (cast.coach, cast.client_login):
        hidden = await client.get(f"/api/v1/interviews/{other['id']}.ics", headers=actor.headers)
        assert hidden.status_code == 404, hidden.text
        assert hidden.headers["content-type"] == "application/problem+json"
    mine = await client.get(
        f"/api/v1/interviews/{own['id']}.ics", headers=cast.client_login.headers
    )
    assert mine.status_code == 200, mine.text
    assert "SECRET-NOTE" not in mine.text
    missing = await client.get(
        "/api/v1/interviews/00000000-0000-4000-8000-000000000000.ics", headers=cast.owner.headers
    )
    assert missing.status_code == 404
    unauthenticated = await client.get(f"/api/v1/interviews/{own['id']}.ics")
    assert unauthenticated.status_code == 401


async def test_an_interview_without_a_time_answers_409(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    contact = await create_contact(client, cast.owner, cast.seeker["id"])
    untimed = await create_interview(
        client, cast.owner, cast.seeker["id"], contact_id=contact["id"]
    )
    response = await client.get(
        f"/api/v1/interviews/{untimed['id']}.ics", headers=cast.owner.headers
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
