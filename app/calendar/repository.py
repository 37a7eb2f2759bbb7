"""Feeds by their owner or by their URL, and the rows a calendar shows.

Meetings and follow-ups start from their doors (`readable_interviews`,
`readable_contacts`): a feed shows exactly what its member may read.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.contacts.repository import readable_contacts
from app.core.errors import register_constraint
from app.core.security import secret_matches
from app.db.tenancy import bind_organization, bind_rls_lookup, unscoped
from app.interviews.repository import readable_interviews
from app.models import CalendarFeed, Client, Company, Contact, Interview, Membership

register_constraint(
    "uq_calendar_feeds_membership_id",
    "A calendar feed was issued for you at the same moment; issue it again to rotate it.",
)


async def own_membership(session: AsyncSession, user_id: uuid.UUID) -> Membership | None:
    statement = select(Membership).where(Membership.user_id == user_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def feed_of(session: AsyncSession, membership_id: uuid.UUID) -> CalendarFeed | None:
    statement = select(CalendarFeed).where(CalendarFeed.membership_id == membership_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def find_by_url(
    session: AsyncSession, feed_id: uuid.UUID, secret: str
) -> tuple[CalendarFeed, Membership] | None:
    """The feed whose id and secret match, with its membership, found before the
    organization is known.

    RLS shows just this one feed (`app.lookup_id`, read only); the ORM hook is skipped
    because no organization is bound yet. On a match the session is bound to the
    feed's organization, and the membership is read there: the member's role now, not
    when the feed was issued.
    """
    await bind_rls_lookup(session, "app.lookup_id", feed_id)
    feed = (
        await session.execute(
            select(CalendarFeed).where(CalendarFeed.id == feed_id).execution_options(**unscoped())
        )
    ).scalar_one_or_none()
    if feed is None or not secret_matches(secret, feed.secret_hash):
        return None
    await bind_organization(session, feed.organization_id)
    membership = await session.get(Membership, feed.membership_id)
    return (feed, membership) if membership is not None else None


def _meetings(principal: Principal) -> Select[Any]:
    """Interviews the caller may read, with the names a calendar shows."""
    return (
        readable_interviews(principal)
        .add_columns(
            Client.full_name.label("client_name"),
            Contact.full_name.label("contact_name"),
            Contact.title.label("contact_title"),
            Contact.company_name.label("contact_company_name"),
            Company.name.label("company_name"),
        )
        .join(Client, Client.id == Interview.client_id)
        .outerjoin(Contact, Contact.id == Interview.contact_id)
        .outerjoin(Company, Company.id == Interview.company_id)
        .where(Interview.scheduled_at.is_not(None))
    )


async def meeting(
    session: AsyncSession, principal: Principal, interview_id: uuid.UUID
) -> Any | None:
    """One readable interview with a time, as a row (`Interview` and the names)."""
    statement = _meetings(principal).where(Interview.id == interview_id)
    return (await session.execute(statement)).first()


async def meetings(
    session: AsyncSession,
    principal: Principal,
    *,
    now: datetime,
    since: datetime,
    until: datetime,
    past_cap: int,
    ahead_cap: int,
) -> list[Any]:
    """Readable interviews scheduled in `[since, until)`: the `ahead_cap` next from
    `now` and the `past_cap` latest before it, oldest first."""
    at = Interview.scheduled_at
    past = _meetings(principal).where(at >= since, at < now).order_by(at.desc(), Interview.id)
    ahead = _meetings(principal).where(at >= now, at < until).order_by(at, Interview.id)
    return await _both_sides(session, past.limit(past_cap), ahead.limit(ahead_cap))


def _follow_ups(principal: Principal) -> Select[Any]:
    return (
        readable_contacts(principal)
        .add_columns(Client.full_name.label("client_name"))
        .join(Client, Client.id == Contact.client_id)
    )


async def follow_ups(
    session: AsyncSession,
    principal: Principal,
    *,
    now: datetime,
    since: datetime,
    until: datetime,
    past_cap: int,
    ahead_cap: int,
) -> list[Any]:
    """Readable contacts whose keep-in-touch date is in `[since, until)`, capped like
    `meetings`."""
    due = Contact.next_touch_due_at
    past = _follow_ups(principal).where(due >= since, due < now).order_by(due.desc(), Contact.id)
    ahead = _follow_ups(principal).where(due >= now, due < until).order_by(due, Contact.id)
    return await _both_sides(session, past.limit(past_cap), ahead.limit(ahead_cap))


async def _both_sides(session: AsyncSession, past: Select[Any], ahead: Select[Any]) -> list[Any]:
    before: Sequence[Any] = (await session.execute(past)).all()
    after: Sequence[Any] = (await session.execute(ahead)).all()
    return [*reversed(before), *after]
