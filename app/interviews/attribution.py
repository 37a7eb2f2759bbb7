"""Attribution: where an interview came from, and what each root contact's branch yielded.

An interview traces back through its contact: up the referral chain to a root (a
first-line contact), past the informational interviews held with the people on the
way. Both answers take a fixed number of queries, whatever the length of the chain or
the size of the tree: the chain is one recursive query (the one `GET
/contacts/{id}/chain` uses), the yields one statement over a recursive CTE.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.principal import Principal
from app.contacts import repository as contacts_repository
from app.contacts import service as contacts_service
from app.interviews import repository
from app.interviews.schemas import InterviewOrigin, OriginMeeting, RootYield
from app.models import Client, Contact, Interview
from app.models.pipeline import InterviewKind, InterviewStage


async def origin(
    session: AsyncSession, principal: Principal, interview: Interview
) -> InterviewOrigin | None:
    """The root contact, the chain of introductions from it to the interview's contact,
    and the informational interviews held along that chain (this one excepted), oldest
    first. None when the interview has no contact. Three queries."""
    if interview.contact_id is None:
        return None
    contact = await contacts_repository.get_client_contact(
        session, principal, interview.client_id, interview.contact_id
    )
    if contact is None:  # the interview is visible, so its client's contacts are too
        return None
    chain = await contacts_service.chain(session, contact)
    statement = (
        repository.readable_interviews(principal)
        .where(
            Interview.client_id == interview.client_id,
            Interview.contact_id.in_([link.id for link in chain]),
            Interview.kind == InterviewKind.informational,
            Interview.held_at.is_not(None),
            Interview.id != interview.id,
        )
        .order_by(Interview.held_at, Interview.id)
    )
    meetings = (await session.execute(statement)).scalars().all()
    return InterviewOrigin(
        root=chain[0],
        chain=chain,
        informational_interviews=[
            OriginMeeting(id=m.id, contact_id=m.contact_id, held_at=m.held_at)
            for m in meetings
            if m.contact_id is not None and m.held_at is not None
        ],
    )


def _branches(principal: Principal, client_id: uuid.UUID) -> CTE:
    """(contact_id, root_id) for every contact of the client reachable from a root.
    UNION, not UNION ALL, so even a corrupt cycle ends the recursion."""
    below = (
        select(Contact.id.label("contact_id"), Contact.id.label("root_id"))
        .where(
            contacts_repository.readable_condition(principal),
            Contact.client_id == client_id,
            Contact.referred_by_id.is_(None),
        )
        .cte("branches", recursive=True)
    )
    child = aliased(Contact, name="child")
    return below.union(
        select(child.id, below.c.root_id).where(
            child.client_id == client_id, child.referred_by_id == below.c.contact_id
        )
    )


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def root_yields(
    session: AsyncSession, principal: Principal, client: Client
) -> list[RootYield]:
    """Per root contact of `client`: contacts below it, and the held informational
    interviews, job interviews and offers with anyone in its branch (itself included).
    Most productive first: by offers, job interviews, informational interviews, then
    descendants; ties by name. One statement."""
    branches = _branches(principal, client.id)
    members = (
        select(branches.c.root_id, func.count().label("members"))
        .group_by(branches.c.root_id)
        .subquery("members")
    )
    job = Interview.kind == InterviewKind.job
    yields = (
        select(
            branches.c.root_id,
            _count(
                and_(Interview.kind == InterviewKind.informational, Interview.held_at.is_not(None))
            ).label("informational"),
            _count(job).label("job"),
            _count(and_(job, Interview.stage == InterviewStage.offer)).label("offers"),
        )
        .select_from(branches)
        .join(Interview, Interview.contact_id == branches.c.contact_id)
        .where(Interview.client_id == client.id)
        .group_by(branches.c.root_id)
        .subquery("yields")
    )
    informational = func.coalesce(yields.c.informational, 0)
    job_interviews = func.coalesce(yields.c.job, 0)
    offers = func.coalesce(yields.c.offers, 0)
    descendants = members.c.members - 1
    statement = (
        select(
            Contact.id,
            Contact.full_name,
            Contact.company_name,
            descendants.label("descendants"),
            informational.label("informational"),
            job_interviews.label("job_interviews"),
            offers.label("offers"),
        )
        .join(members, members.c.root_id == Contact.id)
        .outerjoin(yields, yields.c.root_id == Contact.id)
        .where(Contact.client_id == client.id)
        .order_by(
            offers.desc(),
            job_interviews.desc(),
            informational.desc(),
            descendants.desc(),
            func.lower(Contact.full_name),
            Contact.id,
        )
    )
    rows: Sequence[Any] = (await session.execute(statement)).all()
    return [
        RootYield(
            root_id=row.id,
            full_name=row.full_name,
            company_name=row.company_name,
            descendants=int(row.descendants),
            informational_interviews_held=int(row.informational),
            job_interviews=int(row.job_interviews),
            offers=int(row.offers),
        )
        for row in rows
    ]
