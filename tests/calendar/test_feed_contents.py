"""What a calendar feed shows: the member's visible meetings and follow-ups, as RFC 5545."""

from datetime import date, datetime, timedelta

import httpx
from icalendar import Event

from app.core.time import utc_now
from tests.calendar.factories import (
    events,
    follow_up_uid,
    in_days,
    interview_uid,
    issue_feed,
    read_calendar,
)
from tests.factories.cast import Cast
from tests.factories.contacts import create_contact
from tests.interviews.pipeline_factories import create_company, create_interview, move


async def _meeting(client: httpx.AsyncClient, cast: Cast, client_id: str, **fields: object) -> dict:
    contact = await create_contact(
        client, cast.owner, client_id, full_name="Ada Park", title="Head of Data"
    )
    company = await create_company(client, cast.owner, client_id, name="Acme")
    return await create_interview(
        client,
        cast.owner,
        client_id,
        contact_id=contact["id"],
        company_id=company["id"],
        stage="scheduled",
        scheduled_at=in_days(3),
        **fields,
    )


async def test_a_meeting_is_a_vevent_with_its_names_questions_and_notes(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    interview = await _meeting(
        client,
        cast,
        cast.seeker["id"],
        duration_minutes=30,
        location="https://meet.example.com/ada",
        questions=["What does a typical week look like?", "Who else should I talk to?"],
        notes="Bring the portfolio.",
        coach_notes="Grace undersells herself.",
    )
    calendar = await read_calendar(client, await issue_feed(client, cast.coach))
    event = events(calendar)[interview_uid(interview)]

    assert str(event["SUMMARY"]) == "Informational interview with Ada Park (Acme)"
    start: datetime = event.decoded("DTSTART")
    assert start.utcoffset() == timedelta(0)
    assert start == datetime.fromisoformat(interview["scheduled_at"])
    assert event.decoded("DTEND") - start == timedelta(minutes=30)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "https://meet.example.com/ada"
    description = str(event["DESCRIPTION"])
    for text in (
        "Client: Grace Seeker",
        "Contact: Ada Park, Head of Data",
        "Company: Acme",
        "- What does a typical week look like?",
        "- Who else should I talk to?",
        "Bring the portfolio.",
        "Coach notes:\nGrace undersells herself.",
    ):
        assert text in description
    for name in ("DTSTAMP", "LAST-MODIFIED", "CREATED"):
        assert event.decoded(name).utcoffset() == timedelta(0)
    assert int(event["SEQUENCE"]) == 0
    assert b"Z\r\n" in event.to_ical()  # UTC times


async def test_a_client_login_sees_its_own_meetings_and_never_the_coach_notes(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    own = await _meeting(
        client, cast, cast.seeker["id"], notes="Bring the portfolio.", coach_notes="SECRET-NOTE"
    )
    other = await _meeting(client, cast, cast.other["id"])
    response = await client.get(await issue_feed(client, cast.client_login))
    assert "SECRET-NOTE" not in response.text
    assert "Henry Other" not in response.text

    found = events(await read_calendar(client, await issue_feed(client, cast.client_login)))
    assert interview_uid(own) in found
    assert interview_uid(other) not in found
    description = str(found[interview_uid(own)]["DESCRIPTION"])
    assert "Bring the portfolio." in description
    assert "Coach notes" not in description


async def test_a_coach_sees_its_assigned_clients_meetings_and_an_owner_everyones(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    assigned = await _meeting(client, cast, cast.seeker["id"])
    unassigned = await _meeting(client, cast, cast.other["id"])
    coach = events(await read_calendar(client, await issue_feed(client, cast.coach)))
    assert interview_uid(assigned) in coach
    assert interview_uid(unassigned) not in coach
    owner = events(await read_calendar(client, await issue_feed(client, cast.owner)))
    assert {interview_uid(assigned), interview_uid(unassigned)} <= owner.keys()


async def test_the_feed_follows_the_members_role_now(client: httpx.AsyncClient, cast: Cast) -> None:
    unassigned = await _meeting(client, cast, cast.other["id"])
    path = await issue_feed(client, cast.coach)
    assert interview_uid(unassigned) not in events(await read_calendar(client, path))
    promoted = await client.patch(
        f"/api/v1/members/{cast.coach.user_id}", json={"role": "admin"}, headers=cast.owner.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert interview_uid(unassigned) in events(await read_calendar(client, path))


async def test_uids_are_stable_and_sequence_grows_when_the_meeting_changes(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    interview = await _meeting(client, cast, cast.seeker["id"])
    path = await issue_feed(client, cast.coach)
    first = await client.get(path)
    second = await client.get(path)
    assert first.content == second.content  # same rows, same bytes
    before = events(await read_calendar(client, path))[interview_uid(interview)]

    patched = await client.patch(
        f"/api/v1/interviews/{interview['id']}",
        json={"scheduled_at": in_days(4), "location": "Room 4"},
        headers=cast.coach.headers,
    )
    assert patched.status_code == 200, patched.text
    after = events(await read_calendar(client, path))[interview_uid(interview)]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")
    assert after.decoded("DTSTART") == datetime.fromisoformat(patched.json()["scheduled_at"])


async def test_a_cancelled_meeting_stays_with_status_cancelled(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    interview = await _meeting(client, cast, cast.seeker["id"])
    path = await issue_feed(client, cast.coach)
    before = events(await read_calendar(client, path))[interview_uid(interview)]
    cancelled = await move(client, cast.coach, interview["id"], "cancelled")
    assert cancelled.status_code == 200, cancelled.text
    after = events(await read_calendar(client, path))[interview_uid(interview)]
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


async def test_meetings_without_a_time_or_outside_the_window_are_left_out(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    contact = await create_contact(client, cast.owner, cast.seeker["id"])
    untimed = await create_interview(
        client, cast.owner, cast.seeker["id"], contact_id=contact["id"]
    )
    requested = await create_interview(
        client, cast.owner, cast.seeker["id"], contact_id=contact["id"], scheduled_at=in_days(1)
    )
    job = await create_interview(
        client, cast.owner, cast.seeker["id"], kind="job", scheduled_at=in_days(10)
    )
    far = await create_interview(
        client, cast.owner, cast.seeker["id"], kind="job", scheduled_at=in_days(400)
    )
    old = await create_interview(
        client,
        cast.owner,
        cast.seeker["id"],
        contact_id=contact["id"],
        stage="held",
        held_at=in_days(-100),
        scheduled_at=in_days(-100),
    )
    recent = await create_interview(
        client,
        cast.owner,
        cast.seeker["id"],
        contact_id=contact["id"],
        stage="held",
        held_at=in_days(-10),
        scheduled_at=in_days(-10),
    )
    found = events(await read_calendar(client, await issue_feed(client, cast.coach)))
    for missing in (untimed, far, old):
        assert interview_uid(missing) not in found
    assert str(found[interview_uid(requested)]["STATUS"]) == "TENTATIVE"
    assert str(found[interview_uid(job)]["SUMMARY"]) == "Job interview"
    assert found[interview_uid(job)].decoded("DTEND") - found[interview_uid(job)].decoded(
        "DTSTART"
    ) == timedelta(minutes=60)
    assert str(found[interview_uid(recent)]["STATUS"]) == "CONFIRMED"


async def test_a_contacts_keep_in_touch_date_is_an_all_day_event(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    contact = await create_contact(
        client,
        cast.owner,
        cast.seeker["id"],
        full_name="Ben Mentor",
        company_name="Globex",
        keep_in_touch_days=14,
    )
    unplanned = await create_contact(client, cast.owner, cast.seeker["id"], full_name="No Cadence")
    hidden = await create_contact(
        client, cast.owner, cast.other["id"], full_name="Other's", keep_in_touch_days=14
    )
    calendar = await read_calendar(client, await issue_feed(client, cast.coach))
    found = events(calendar)
    assert follow_up_uid(unplanned) not in found
    assert follow_up_uid(hidden) not in found
    event: Event = found[follow_up_uid(contact)]
    due = datetime.fromisoformat(contact["next_touch_due_at"])
    assert event.decoded("DTSTART") == due.date()  # the organization's zone is UTC
    assert type(event.decoded("DTSTART")) is date
    assert event.decoded("DTEND") == due.date() + timedelta(days=1)
    assert str(event["SUMMARY"]) == "Follow up with Ben Mentor (Globex)"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert "Client: Grace Seeker" in str(event["DESCRIPTION"])
    assert due > utc_now()
