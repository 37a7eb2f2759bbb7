"""Calendar feeds: a member's secret URL, and the calendars it and `/interviews/{id}.ics`
serve (built in `ics.py`).

A feed belongs to one membership: issuing again rotates its secret in place (the old URL
answers 404 at once), revoking deletes it, and removing the member deletes it with the
membership. The URL carries `<feed id hex>_<secret>`; only the secret's SHA-256 is kept,
like an API key's. Fetching it acts as the member with the role the membership has now.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar import ics, repository
from app.core.errors import Conflict, NotFound
from app.core.security import hash_secret, new_secret
from app.core.time import utc_now
from app.interviews import service as interviews_service
from app.models import CalendarFeed, Organization
from app.models.enums import Role

# What a feed shows: meetings and follow-ups from PAST_DAYS ago to AHEAD_DAYS ahead, at
# most PAST_CAP of them before now (the latest) and AHEAD_CAP from now (the next), each.
PAST_DAYS = 90
AHEAD_DAYS = 365
PAST_CAP = 250
AHEAD_CAP = 750
WINDOW = (
    f"Meetings with a time and keep-in-touch dates from {PAST_DAYS} days ago to "
    f"{AHEAD_DAYS} days ahead: at most {PAST_CAP} of each before now (the latest) and "
    f"{AHEAD_CAP} from now (the next)."
)

_FEED_ID = re.compile(r"[0-9a-f]{32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,128}")


@dataclass(frozen=True, slots=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str  # `<feed id hex>_<secret>`: shown once, never stored


async def _membership_id(session: AsyncSession, principal: Principal) -> uuid.UUID:
    assert principal.user_id is not None  # members only (`Authorize(scope=None)`)
    membership = await repository.own_membership(session, principal.user_id)
    if membership is None:  # authentication read it in this transaction
        raise NotFound("No membership.")
    return membership.id


async def current(session: AsyncSession, principal: Principal) -> CalendarFeed | None:
    """The caller's feed in its organization, if one is issued."""
    return await repository.feed_of(session, await _membership_id(session, principal))


async def issue(session: AsyncSession, principal: Principal) -> IssuedFeed:
    """Issue the caller's feed URL, or rotate it: a new secret, the old one void at once."""
    membership_id = await _membership_id(session, principal)
    feed = await repository.feed_of(session, membership_id)
    secret, now = new_secret(), utc_now()
    if feed is None:
        feed = CalendarFeed(
            id=uuid.uuid4(),
            organization_id=principal.organization_id,
            membership_id=membership_id,
            secret_hash=hash_secret(secret),
            issued_at=now,
        )
        session.add(feed)
    else:
        feed.secret_hash = hash_secret(secret)
        feed.issued_at = now
    await session.flush()
    return IssuedFeed(feed=feed, token=f"{feed.id.hex}_{secret}")


async def revoke(session: AsyncSession, principal: Principal) -> None:
    """Delete the caller's feed; its URL answers 404 from now on. 404 without one."""
    feed = await current(session, principal)
    if feed is None:
        raise NotFound("No calendar feed is issued.")
    await session.delete(feed)
    await session.flush()


async def open_feed(session: AsyncSession, token: str) -> Principal:
    """The member a feed URL acts for; 404 for a wrong, rotated or revoked token, or a
    member since removed (the feed went with the membership)."""
    feed_hex, _, secret = token.partition("_")
    found = None
    if _FEED_ID.fullmatch(feed_hex) and _SECRET.fullmatch(secret):
        found = await repository.find_by_url(session, uuid.UUID(hex=feed_hex), secret)
    if found is None:
        raise NotFound("No calendar feed at this address.")
    feed, membership = found
    return Principal(
        organization_id=feed.organization_id,
        user_id=membership.user_id,
        role=Role(membership.role),
        client_id=membership.client_id,
    )


async def feed_calendar(session: AsyncSession, principal: Principal) -> bytes:
    """Every meeting and follow-up of the window the member may read."""
    organization = await session.get_one(Organization, principal.organization_id)
    now = utc_now()
    window: dict[str, Any] = {
        "now": now,
        "since": now - timedelta(days=PAST_DAYS),
        "until": now + timedelta(days=AHEAD_DAYS),
        "past_cap": PAST_CAP,
        "ahead_cap": AHEAD_CAP,
    }
    meetings = await repository.meetings(session, principal, **window)
    follow_ups = await repository.follow_ups(session, principal, **window)
    zone = _zone(organization.timezone)
    return ics.calendar(
        name=f"{organization.name}: interviews and follow-ups",
        description=f"Coach API calendar feed. {WINDOW} Times are UTC.",
        meetings=[_meeting(row, for_client=principal.is_client) for row in meetings],
        follow_ups=[_follow_up(row, zone) for row in follow_ups],
    )


async def meeting_calendar(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID
) -> bytes:
    """One interview as a calendar of one event; 404 if the caller may not read it, 409
    while it has no time."""
    interview = await interviews_service.get(session, principal, interview_id)
    row = await repository.meeting(session, principal, interview.id)
    if row is None:
        raise Conflict("This interview has no time yet: set `scheduled_at` first.")
    meeting = _meeting(row, for_client=principal.is_client)
    return ics.calendar(
        name=ics.meeting_summary(meeting),
        description="One interview, from Coach API. Times are UTC.",
        meetings=[meeting],
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _meeting(row: Any, *, for_client: bool) -> ics.Meeting:
    """The row as a calendar shows it; coach notes are withheld from the client role."""
    interview = row.Interview
    return ics.Meeting(
        id=interview.id,
        kind=str(interview.kind),
        stage=str(interview.stage),
        scheduled_at=interview.scheduled_at,
        duration_minutes=interview.duration_minutes,
        format=str(interview.format) if interview.format is not None else None,
        location=interview.location,
        agenda=interview.agenda,
        questions=list(interview.questions or []),
        notes=interview.notes,
        coach_notes=None if for_client else interview.coach_notes,
        client_name=row.client_name,
        contact_name=row.contact_name,
        contact_title=row.contact_title,
        company_name=row.company_name or row.contact_company_name,
        version=interview.version,
        created_at=interview.created_at,
        updated_at=interview.updated_at,
    )


def _follow_up(row: Any, zone: ZoneInfo) -> ics.FollowUp:
    contact = row.Contact
    due: datetime = contact.next_touch_due_at
    return ics.FollowUp(
        contact_id=contact.id,
        contact_name=contact.full_name,
        company_name=contact.company_name,
        client_name=row.client_name,
        due_on=due.astimezone(zone).date(),
        version=contact.version,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )
