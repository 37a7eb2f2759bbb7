"""Calendars as RFC 5545 text (`text/calendar`), built with `icalendar`.

Meetings are timed `VEVENT`s in UTC (`Z` times: valid everywhere, no `VTIMEZONE` to
keep). Follow-ups are all-day `VEVENT`s (`DTSTART;VALUE=DATE`, shown as free), not
`VTODO`s: Google Calendar and Outlook drop the to-dos of a subscribed calendar, and
Apple Calendar shows them only through CalDAV, so a to-do would be invisible in most
calendar apps a coach or client subscribes with.

Every component has a stable `UID` (`interview-<uuid>@coach-api`,
`follow-up-<contact uuid>@coach-api`) and a `SEQUENCE` that is the row's version less
one (`VersionedMixin` bumps it on every update: it only grows), so a calendar app
replaces its copy when the meeting changes. `DTSTAMP` and `LAST-MODIFIED` are the row's
`updated_at`: the feed has no `METHOD`, where RFC 5545 makes `DTSTAMP` the object's last
revision, and the same rows give the same bytes on every fetch.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODUCT_ID = "-//Coach API//Calendar feed 1.0//EN"
UID_DOMAIN = "coach-api"

# Each kind's length when the interview gives none.
DEFAULT_MINUTES = {"informational": 20, "job": 60}

# The interview's stage → the event's STATUS: a request not yet confirmed is tentative.
_STATUS = {"requested": "TENTATIVE", "cancelled": "CANCELLED"}


@dataclass(frozen=True, slots=True)
class Meeting:
    """One interview as a calendar shows it. `coach_notes` is None for a client login."""

    id: uuid.UUID
    kind: str
    stage: str
    scheduled_at: datetime
    duration_minutes: int | None
    format: str | None
    location: str | None
    agenda: str | None
    questions: list[str]
    notes: str | None
    coach_notes: str | None
    client_name: str
    contact_name: str | None
    contact_title: str | None
    company_name: str | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A contact's keep-in-touch date, on the organization's calendar day."""

    contact_id: uuid.UUID
    contact_name: str
    company_name: str | None
    client_name: str
    due_on: date
    version: int
    created_at: datetime
    updated_at: datetime


def meeting_uid(interview_id: uuid.UUID) -> str:
    return f"interview-{interview_id}@{UID_DOMAIN}"


def follow_up_uid(contact_id: uuid.UUID) -> str:
    return f"follow-up-{contact_id}@{UID_DOMAIN}"


def calendar(
    *,
    name: str,
    description: str,
    meetings: Iterable[Meeting],
    follow_ups: Iterable[FollowUp] = (),
) -> bytes:
    """A whole `VCALENDAR` with one `VEVENT` per meeting and per follow-up."""
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", description)
    for meeting in meetings:
        cal.add_component(meeting_event(meeting))
    for follow_up in follow_ups:
        cal.add_component(follow_up_event(follow_up))
    ical: bytes = cal.to_ical()
    return ical


def meeting_event(meeting: Meeting) -> Event:
    event = _event(meeting_uid(meeting.id), meeting.version, meeting.created_at, meeting.updated_at)
    minutes = meeting.duration_minutes or DEFAULT_MINUTES.get(meeting.kind, 60)
    event.add("dtstart", meeting.scheduled_at)
    event.add("dtend", meeting.scheduled_at + timedelta(minutes=minutes))
    event.add("summary", meeting_summary(meeting))
    event.add("description", _meeting_description(meeting))
    event.add("status", _STATUS.get(meeting.stage, "CONFIRMED"))
    event.add("categories", [f"{meeting.kind} interview"])
    if meeting.location:
        event.add("location", meeting.location)
    return event


def meeting_summary(meeting: Meeting) -> str:
    """Kind, contact and company: "Informational interview with Ada Park (Acme)"."""
    summary = f"{meeting.kind.capitalize()} interview"
    if meeting.contact_name:
        summary += f" with {meeting.contact_name}"
    if meeting.company_name:
        at = f" ({meeting.company_name})" if meeting.contact_name else f" at {meeting.company_name}"
        summary += at
    return summary


def _meeting_description(meeting: Meeting) -> str:
    contact = meeting.contact_name
    if contact and meeting.contact_title:
        contact += f", {meeting.contact_title}"
    lines = [
        f"Client: {meeting.client_name}",
        f"Contact: {contact or 'none'}",
        f"Company: {meeting.company_name or 'none'}",
        f"Stage: {meeting.stage.replace('_', ' ')}",
    ]
    if meeting.format:
        lines.append(f"Format: {meeting.format.replace('_', ' ')}")
    if meeting.agenda:
        lines += ["", "Agenda:", meeting.agenda]
    if meeting.questions:
        lines += ["", "Prepared questions:", *(f"- {q}" for q in meeting.questions)]
    if meeting.notes:
        lines += ["", "Notes:", meeting.notes]
    if meeting.coach_notes:
        lines += ["", "Coach notes:", meeting.coach_notes]
    return "\n".join(lines)


def follow_up_event(follow_up: FollowUp) -> Event:
    event = _event(
        follow_up_uid(follow_up.contact_id),
        follow_up.version,
        follow_up.created_at,
        follow_up.updated_at,
    )
    event.add("dtstart", follow_up.due_on)
    event.add("dtend", follow_up.due_on + timedelta(days=1))
    summary = f"Follow up with {follow_up.contact_name}"
    if follow_up.company_name:
        summary += f" ({follow_up.company_name})"
    event.add("summary", summary)
    event.add(
        "description",
        "\n".join(
            [
                f"Client: {follow_up.client_name}",
                f"Contact: {follow_up.contact_name}",
                f"Company: {follow_up.company_name or 'none'}",
                "",
                "Keep-in-touch date: a call, an email or a meeting with this contact moves it.",
            ]
        ),
    )
    event.add("status", "CONFIRMED")
    # All day, but no one is busy for it.
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["follow-up"])
    return event


def _event(uid: str, version: int, created_at: datetime, updated_at: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", max(version - 1, 0))
    event.add("dtstamp", updated_at)
    event.add("created", created_at)
    event.add("last-modified", updated_at)
    return event
