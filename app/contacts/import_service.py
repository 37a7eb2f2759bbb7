"""Contact import: parsed rows against the client's existing contacts, inserted in bulk,
with a `contact.created` event for each contact created."""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.cadence import refresh_next_touch_due
from app.contacts.import_csv import ContactDraft, RowError, parse_contacts_csv
from app.contacts.schemas import ContactRead
from app.contacts.warmth import warmth_of
from app.core.time import utc_now
from app.events.service import NewEvent, record_events
from app.models import Client, Contact, Organization
from app.models.enums import Relationship

# What the insert hands back for each created contact's event: ContactRead's stored fields.
_READ_COLUMNS = [getattr(Contact, name) for name in ContactRead.model_fields if name != "warmth"]


@dataclass(frozen=True, slots=True)
class SkippedDuplicate:
    row: int
    existing_contact_id: uuid.UUID
    reason: str


@dataclass(slots=True)
class ImportOutcome:
    created_ids: list[uuid.UUID] = field(default_factory=list)
    skipped_duplicates: list[SkippedDuplicate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


async def import_contacts(
    session: AsyncSession, client: Client, raw: bytes, *, max_rows: int | None = None
) -> ImportOutcome:
    """Create a contact for every valid, new row of the file, in one bulk insert, and a
    `contact.created` event for each in the same transaction (written in bulk too). The
    contacts are marked `imported`: they do not count as the client moving.

    Rows matching an existing contact of the client, or an earlier row, by normalised
    email or LinkedIn URL are skipped and name that contact; invalid rows are reported
    and never stop the others. A malformed file raises 422, an oversized one 413.
    """
    # Parsing and validating 5,000 rows takes seconds: keep the event loop free.
    parsed = await asyncio.to_thread(parse_contacts_csv, raw, max_rows=max_rows)
    outcome = ImportOutcome(errors=list(parsed.errors))
    by_email, by_linkedin = await _existing_keys(session, client, parsed.drafts)
    organization = await session.get_one(Organization, client.organization_id)
    now = utc_now()
    # Imported contacts carry no cadence of their own: the organization's default
    # for the relationship applies, counted from now (the same rule as on create).
    due_by_relationship = {
        relationship: _next_touch_due(relationship, organization.keep_in_touch_defaults, now)
        for relationship in Relationship
    }
    rows: list[dict[str, Any]] = []
    for draft in parsed.drafts:
        duplicate = _duplicate_of(draft, by_email, by_linkedin)
        if duplicate is not None:
            outcome.skipped_duplicates.append(duplicate)
            continue
        contact_id = uuid.uuid4()
        rows.append(
            {
                **draft.fields,
                "id": contact_id,
                "organization_id": client.organization_id,
                "client_id": client.id,
                "depth": 0,
                # Loading a network is not the client moving (app/clients/momentum.py).
                "imported": True,
                "next_touch_due_at": due_by_relationship[draft.fields["relationship"]],
                "created_at": now,
                "updated_at": now,
            }
        )
        outcome.created_ids.append(contact_id)
        # Later rows of the same file are checked against this one too.
        if draft.email_normalized is not None:
            by_email.setdefault(draft.email_normalized, (contact_id, draft.row))
        if draft.linkedin_normalized is not None:
            by_linkedin.setdefault(draft.linkedin_normalized, (contact_id, draft.row))
    if not rows:
        return outcome
    # One bulk INSERT (executemany) instead of 5,000 ORM objects to track; RETURNING
    # gives each contact as stored, for its event, without a second read.
    stored = await session.execute(
        insert(Contact).returning(*_READ_COLUMNS, sort_by_parameter_order=True), rows
    )
    await record_events(
        session,
        organization_id=client.organization_id,
        events=[
            NewEvent(
                "contact.created",
                client.id,
                ContactRead(
                    **row._mapping,
                    warmth=warmth_of(
                        row.last_contacted_at,
                        cold_after_days=organization.cold_after_days,
                        now=now,
                    ),
                ),
            )
            for row in stored
        ],
    )
    return outcome


# normalised key → (contact id, row of the file it came from, or None if it existed)
_Keys = dict[str, tuple[uuid.UUID, int | None]]


async def _existing_keys(
    session: AsyncSession, client: Client, drafts: list[ContactDraft]
) -> tuple[_Keys, _Keys]:
    """The client's contacts that share an email or LinkedIn URL with the file, in one read."""
    emails = {d.email_normalized for d in drafts if d.email_normalized}
    profiles = {d.linkedin_normalized for d in drafts if d.linkedin_normalized}
    by_email: _Keys = {}
    by_linkedin: _Keys = {}
    if not emails and not profiles:
        return by_email, by_linkedin
    # One read of the client's keyed contacts: a client's network is bounded, and
    # it avoids an IN list of up to 10,000 parameters.
    rows = await session.execute(
        select(Contact.id, Contact.email_normalized, Contact.linkedin_normalized).where(
            Contact.client_id == client.id,
            or_(Contact.email_normalized.is_not(None), Contact.linkedin_normalized.is_not(None)),
        )
    )
    for contact_id, email, profile in rows:
        if email in emails:
            by_email[email] = (contact_id, None)
        if profile in profiles:
            by_linkedin[profile] = (contact_id, None)
    return by_email, by_linkedin


def _next_touch_due(
    relationship: Relationship, defaults: dict[str, Any], now: datetime
) -> datetime | None:
    contact = Contact(relationship=relationship, keep_in_touch_days=None, created_at=now)
    refresh_next_touch_due(contact, defaults, now=now)
    return contact.next_touch_due_at


def _duplicate_of(
    draft: ContactDraft, by_email: _Keys, by_linkedin: _Keys
) -> SkippedDuplicate | None:
    for label, key, known in (
        ("email", draft.email_normalized, by_email),
        ("LinkedIn URL", draft.linkedin_normalized, by_linkedin),
    ):
        if key is None or key not in known:
            continue
        contact_id, row = known[key]
        where = "an existing contact" if row is None else f"row {row} of this file"
        return SkippedDuplicate(
            row=draft.row, existing_contact_id=contact_id, reason=f"same {label} as {where}"
        )
    return None
