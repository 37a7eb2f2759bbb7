"""Interactions with contacts, and what they move: last contact and the next touch due."""

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.contacts.cadence import refresh_next_touch_due
from app.contacts.repository import readable_contacts
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import MAX_CLOCK_SKEW, utc_now
from app.events.service import record_event
from app.interactions.schemas import InteractionRead
from app.models import Client, Contact, Interaction, Organization
from app.models.enums import InteractionDirection, InteractionKind

_NEWEST_FIRST = SortKey((Interaction.occurred_at, Interaction.id), descending=True)


async def get_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID, *, for_update: bool = False
) -> Contact:
    """The contact if the caller may see it; otherwise 404, as if it did not exist.

    `for_update` locks the row so that concurrent interactions update it one after
    the other instead of failing on its version.
    """
    statement = readable_contacts(principal).where(Contact.id == contact_id)
    if for_update:
        statement = statement.with_for_update(of=Contact).execution_options(populate_existing=True)
    contact = (await session.execute(statement)).scalar_one_or_none()
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact


async def log_interaction(
    session: AsyncSession,
    principal: Principal,
    contact: Contact,
    *,
    kind: InteractionKind,
    direction: InteractionDirection,
    occurred_at: datetime | None,
    summary: str | None,
) -> Interaction:
    """Record an interaction and, in the same transaction, move the contact's
    `last_contacted_at` (never backwards, never for a note) and `next_touch_due_at`,
    and write the `interaction.created` event."""
    now = utc_now()
    occurred_at = occurred_at or now
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise Unprocessable(
            "occurred_at is in the future; log interactions once they have happened.",
            errors=[
                {
                    "loc": ["body", "occurred_at"],
                    "msg": "more than 5 minutes in the future",
                    "type": "future",
                }
            ],
        )
    interaction = Interaction(
        organization_id=contact.organization_id,
        client_id=contact.client_id,
        contact_id=contact.id,
        kind=kind,
        direction=direction,
        occurred_at=occurred_at,
        summary=summary,
        created_by_id=principal.user_id,
    )
    session.add(interaction)
    if kind is not InteractionKind.note and (
        contact.last_contacted_at is None or occurred_at > contact.last_contacted_at
    ):
        contact.last_contacted_at = occurred_at
    organization = await session.get_one(Organization, contact.organization_id)
    refresh_next_touch_due(contact, organization.keep_in_touch_defaults, now=now)
    await session.flush()
    await record_event(
        session,
        organization_id=contact.organization_id,
        type="interaction.created",
        client_id=contact.client_id,
        payload=InteractionRead.model_validate(interaction),
    )
    return interaction


def _filtered(
    statement: Select[Interaction],
    *,
    kind: InteractionKind | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Interaction]:
    if kind is not None:
        statement = statement.where(Interaction.kind == kind)
    if since is not None:
        statement = statement.where(Interaction.occurred_at >= since)
    if until is not None:
        statement = statement.where(Interaction.occurred_at < until)
    return statement


async def list_for_contact(
    session: AsyncSession,
    contact: Contact,
    *,
    params: PageParams,
    kind: InteractionKind | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[Interaction], str | None]:
    """One contact's interactions, newest first."""
    statement = _filtered(
        select(Interaction).where(Interaction.contact_id == contact.id),
        kind=kind,
        since=since,
        until=until,
    )
    return await paginate(session, statement, sort=_NEWEST_FIRST, params=params)


async def list_for_client(
    session: AsyncSession,
    client: Client,
    *,
    params: PageParams,
    kind: InteractionKind | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[Interaction], str | None]:
    """All interactions with a client's contacts, newest first."""
    statement = _filtered(
        select(Interaction).where(Interaction.client_id == client.id),
        kind=kind,
        since=since,
        until=until,
    )
    return await paginate(session, statement, sort=_NEWEST_FIRST, params=params)
