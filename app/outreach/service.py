"""Outreach: asking a contact for 15 to 20 minutes, and what came of it.

Sending records an outbound interaction and a response an inbound one, in the same
transaction, so the contact's warmth and activity log stay true.
"""

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.companies import service as companies_service
from app.contacts.repository import get_client_contact
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.events.service import record_event
from app.models import Client, Outreach
from app.models.enums import InteractionDirection, InteractionKind
from app.models.pipeline import OutreachChannel, OutreachStatus
from app.outreach import repository
from app.outreach.schemas import OutreachCreate, OutreachRead, OutreachUpdate
from app.outreach.touches import happened_at, record_touch
from app.questions import service as questions

OutreachSort = Literal["created_at", "-created_at"]

# Where each status may go next; staying put is always allowed.
NEXT_STATUSES: dict[OutreachStatus, frozenset[OutreachStatus]] = {
    OutreachStatus.draft: frozenset({OutreachStatus.sent}),
    OutreachStatus.sent: frozenset(
        {OutreachStatus.responded, OutreachStatus.declined, OutreachStatus.no_response}
    ),
    # A late answer still counts.
    OutreachStatus.no_response: frozenset({OutreachStatus.responded, OutreachStatus.declined}),
    OutreachStatus.responded: frozenset(),
    OutreachStatus.declined: frozenset(),
}
RESPONSES = frozenset({OutreachStatus.responded, OutreachStatus.declined})

INTERACTION_KIND: dict[OutreachChannel, InteractionKind] = {
    OutreachChannel.email: InteractionKind.email,
    OutreachChannel.phone: InteractionKind.call,
    OutreachChannel.linkedin: InteractionKind.linkedin_message,
    OutreachChannel.in_person: InteractionKind.meeting,
    OutreachChannel.introduction: InteractionKind.intro_request,
}


async def get(
    session: AsyncSession,
    principal: Principal,
    outreach_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Outreach:
    """The outreach if the caller may see its client; otherwise 404."""
    outreach = await repository.get_readable(session, principal, outreach_id, for_update=for_update)
    if outreach is None:
        raise NotFound("No outreach with this id.")
    return outreach


async def list_outreach(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    *,
    params: PageParams,
    status: OutreachStatus | None,
    contact_id: uuid.UUID | None,
    company_id: uuid.UUID | None,
    sort: OutreachSort,
) -> tuple[list[Outreach], str | None]:
    statement = repository.readable_outreach(principal).where(Outreach.client_id == client.id)
    if status is not None:
        statement = statement.where(Outreach.status == status)
    if contact_id is not None:
        statement = statement.where(Outreach.contact_id == contact_id)
    if company_id is not None:
        statement = statement.where(Outreach.company_id == company_id)
    key = SortKey((Outreach.created_at, Outreach.id), descending=sort.startswith("-"))
    return await paginate(session, statement, sort=key, params=params)


async def _contact_of_client(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, contact_id: uuid.UUID
) -> None:
    if await get_client_contact(session, principal, client_id, contact_id) is None:
        raise Unprocessable(
            "`contact_id` must be a contact of the same client.",
            errors=[
                {
                    "loc": ["body", "contact_id"],
                    "msg": "not a contact of this client",
                    "type": "contact",
                }
            ],
        )


def _summary(outreach: Outreach, what: str) -> str:
    about = outreach.subject or outreach.purpose.replace("_", " ")
    return f"{what}: {about}"


async def _move(
    session: AsyncSession,
    principal: Principal,
    outreach: Outreach,
    to: OutreachStatus,
    at: datetime | None,
) -> str | None:
    """Move the status, set its timestamp and log the touch; returns the event to record."""
    current = outreach.status
    if to == current:
        return None
    allowed = NEXT_STATUSES[current]
    if to not in allowed:
        needs = " (a response needs the outreach sent first)" if to in RESPONSES else ""
        raise Conflict(
            f"Outreach cannot move from `{current}` to `{to}`{needs}.",
            current_status=current,
            allowed=sorted(allowed),
        )
    when = happened_at(at, field="status_at")
    kind = INTERACTION_KIND[outreach.channel]
    if to is OutreachStatus.sent:
        outreach.sent_at = when
        await record_touch(
            session,
            principal,
            outreach.contact_id,
            kind=kind,
            direction=InteractionDirection.outbound,
            occurred_at=when,
            summary=_summary(outreach, "Outreach sent"),
        )
        outreach.status = to
        return "outreach.sent"
    if to in RESPONSES:
        if outreach.sent_at is not None and when < outreach.sent_at:
            raise Unprocessable(
                "`status_at` is before the outreach was sent.",
                errors=[{"loc": ["body", "status_at"], "msg": "before sent_at", "type": "order"}],
            )
        outreach.responded_at = when
        await record_touch(
            session,
            principal,
            outreach.contact_id,
            kind=kind,
            direction=InteractionDirection.inbound,
            occurred_at=when,
            summary=_summary(outreach, "Declined" if to is OutreachStatus.declined else "Reply"),
        )
        outreach.status = to
        return "outreach.responded"
    outreach.status = to
    return None


async def _record(session: AsyncSession, outreach: Outreach, event_type: str | None) -> None:
    if event_type is None:
        return
    await record_event(
        session,
        organization_id=outreach.organization_id,
        type=event_type,
        client_id=outreach.client_id,
        payload=OutreachRead.model_validate(outreach),
    )


async def create(
    session: AsyncSession, principal: Principal, client: Client, body: OutreachCreate
) -> Outreach:
    """Create outreach for a contact (and company) of the same client; created as `sent`
    it is sent at once, with its interaction."""
    await _contact_of_client(session, principal, client.id, body.contact_id)
    if body.company_id is not None:
        await companies_service.of_client(session, principal, client.id, body.company_id)
    status = body.status
    at = body.status_at
    fields = body.model_dump(exclude={"status", "status_at", "question_template_ids"})
    fields["questions"] = fields["questions"] + await questions.texts_of(
        session, body.question_template_ids
    )
    if status not in (OutreachStatus.draft, OutreachStatus.sent):
        raise Conflict(
            "New outreach is a `draft` or `sent`; record the response once it is sent.",
            allowed=[OutreachStatus.draft, OutreachStatus.sent],
        )
    outreach = Outreach(
        organization_id=client.organization_id,
        client_id=client.id,
        status=OutreachStatus.draft,
        **fields,
    )
    session.add(outreach)
    await session.flush()
    event_type = await _move(session, principal, outreach, status, at)
    await session.flush()
    await _record(session, outreach, event_type)
    return outreach


async def update(
    session: AsyncSession, principal: Principal, outreach: Outreach, body: OutreachUpdate
) -> Outreach:
    """Apply a partial update (only the fields set in `body` change); a status change
    follows the allowed order (409 otherwise), sets `sent_at` / `responded_at` and logs
    the matching interaction."""
    changes = body.model_dump(exclude_unset=True)
    to: OutreachStatus | None = changes.pop("status", None)
    at: datetime | None = changes.pop("status_at", None)
    if changes.get("company_id") is not None:
        await companies_service.of_client(
            session, principal, outreach.client_id, changes["company_id"]
        )
    for name, value in changes.items():
        setattr(outreach, name, value)
    event_type = await _move(session, principal, outreach, to, at) if to is not None else None
    await session.flush()
    await _record(session, outreach, event_type)
    return outreach


async def delete(session: AsyncSession, outreach: Outreach) -> None:
    """Delete outreach; the interactions it logged stay in the contact's history."""
    await session.delete(outreach)
    await session.flush()
