"""Contacts and their referral tree: who introduced whom, kept consistent on every change."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients import service as clients_service
from app.contacts import list_query, repository
from app.contacts.cadence import refresh_next_touch_due
from app.contacts.list_query import ListOrder
from app.contacts.normalise import normalise_email, normalise_linkedin
from app.contacts.schemas import (
    ChainLink,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    contact_columns,
)
from app.contacts.tree import Forest, build_forest, chain_to
from app.contacts.warmth import warmth_bounds, warmth_of
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams
from app.core.time import MAX_CLOCK_SKEW, utc_now
from app.events.service import NewEvent, record_events
from app.models import Client, Contact
from app.models.enums import ContactSource, Warmth
from app.organizations.service import get_organization

# Referral chains longer than this are refused: no real trail of introductions gets
# near it, and it bounds the nesting of the tree response.
MAX_DEPTH = 50

# The list's filters and sorts are its query's (app/contacts/list_query.py); the router
# names them here, with the rest of the service.
ContactFilters = list_query.ContactFilters
ContactSort = list_query.ContactSort


@dataclass(frozen=True, slots=True)
class ContactView:
    contact: Contact
    warmth: Warmth


async def get(session: AsyncSession, principal: Principal, contact_id: uuid.UUID) -> Contact:
    """The contact if the caller may see its client; otherwise 404, as if it did not exist."""
    contact = await repository.get_readable_contact(session, principal, contact_id)
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact


async def views(
    session: AsyncSession, principal: Principal, contacts: list[Contact]
) -> list[ContactView]:
    """Contacts with their warmth, by the organization's `cold_after_days` as of now."""
    organization = await get_organization(session, principal)
    now = utc_now()
    return [
        ContactView(
            contact,
            warmth_of(
                contact.last_contacted_at,
                cold_after_days=organization.cold_after_days,
                now=now,
            ),
        )
        for contact in contacts
    ]


async def view(session: AsyncSession, principal: Principal, contact: Contact) -> ContactView:
    return (await views(session, principal, [contact]))[0]


def contact_read(view: ContactView) -> ContactRead:
    """The contact as the API returns it (and as events carry it)."""
    return ContactRead(**contact_columns(view.contact), warmth=view.warmth)


async def _record(
    session: AsyncSession, principal: Principal, contact: Contact, *event_types: str
) -> None:
    """Write `event_types` about `contact`, each carrying it as the API returns it now."""
    payload = contact_read(await view(session, principal, contact))
    await record_events(
        session,
        organization_id=contact.organization_id,
        events=[NewEvent(t, contact.client_id, payload) for t in event_types],
    )


async def list_contacts(
    session: AsyncSession,
    principal: Principal,
    client_id: uuid.UUID,
    *,
    params: PageParams,
    filters: ContactFilters,
    sort: ContactSort | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the client's contacts, as `ContactRead` fields; 404 when the caller
    may not see the client. `due` is `repository.is_due` (a planned follow-up or a
    keep-in-touch date that has come); with `due=true` and no explicit sort, the most
    overdue come first, by the earlier of the two dates.

    The hot read of the API, one prepared statement (`list_query.read_page`): the client
    check is part of its condition, so only an empty page asks whether the client exists.
    """
    now = utc_now()
    order: ListOrder = sort or ("due_at" if filters.due else "created_at")
    after = list_query.cursor_values(order, params.cursor)  # a 422 comes before any read
    bounds: tuple[datetime, datetime] | None = None
    if filters.warmth is not None:
        organization = await get_organization(session, principal)
        bounds = warmth_bounds(organization.cold_after_days, now)
    rows, next_cursor = await list_query.read_page(
        session,
        principal,
        client_id,
        order=order,
        params=params,
        after=after,
        filters=filters,
        warmth_bounds=bounds,
        now=now,
    )
    if not rows:
        await client_for(session, principal, client_id)  # 404 when the client is not seen
        return [], next_cursor
    # One organization's contacts: the same `cold_after_days` on every row.
    warm_since, cooling_since = warmth_bounds(rows[0].cold_after_days, now)
    return [list_query.contact_fields(row, warm_since, cooling_since) for row in rows], next_cursor


def not_a_company_of_the_client() -> Unprocessable:
    """The 422 for a `company_id` of another client (or none the caller may see): contacts,
    interviews and outreach link companies, and all say it the same way."""
    return Unprocessable(
        "`company_id` must be a company of the same client.",
        errors=[
            {
                "loc": ["body", "company_id"],
                "msg": "not a company of this client",
                "type": "company",
            }
        ],
    )


async def _company_of_client(
    session: AsyncSession, client_id: uuid.UUID, company_id: uuid.UUID
) -> None:
    """422 naming `company_id` unless it is a company of this very client (a client the
    caller may see: it was loaded through its door)."""
    if not await repository.is_company_of_client(session, client_id, company_id):
        raise not_a_company_of_the_client()


async def _referrer(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, referred_by_id: uuid.UUID
) -> Contact:
    parent = await repository.get_client_contact(session, principal, client_id, referred_by_id)
    if parent is None:
        raise Unprocessable(
            "`referred_by_id` must be a contact of the same client.",
            errors=[
                {
                    "loc": ["body", "referred_by_id"],
                    "msg": "not a contact of this client",
                    "type": "referrer",
                }
            ],
        )
    if parent.depth + 1 > MAX_DEPTH:
        raise Unprocessable(f"Referral chains are limited to {MAX_DEPTH} introductions.")
    return parent


async def _refuse_duplicate(
    session: AsyncSession,
    client_id: uuid.UUID,
    *,
    email_normalized: str | None,
    linkedin_normalized: str | None,
    excluding: uuid.UUID | None = None,
) -> None:
    duplicate = await repository.find_duplicate(
        session,
        client_id,
        email_normalized=email_normalized,
        linkedin_normalized=linkedin_normalized,
        excluding=excluding,
    )
    if duplicate is not None:
        existing_id, field = duplicate
        label = "email" if field == "email" else "LinkedIn profile"
        raise Conflict(
            f"Contact {existing_id} already has this {label} for this client.",
            existing_contact_id=str(existing_id),
            field=field,
        )


async def create(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    body: ContactCreate,
    *,
    referred_in_interview_id: uuid.UUID | None = None,
) -> Contact:
    """Create a contact under `client`, as of `created_at` when given (a past instant:
    history being loaded). Guarantees: the referrer and the company are the same client's
    and `depth` follows from the referrer; no other contact of the client has the same
    normalised email or LinkedIn profile (409 naming it); the cadence is set, counted
    from `created_at`; `contact.created` (and `contact.referral_added` with a referrer)
    is written in the same transaction. `referred_in_interview_id`: the interview in
    which the referrer suggested them (app/interviews/referrals.py), not in the body."""
    referred_by_id = body.referred_by_id
    depth = 0
    if referred_by_id is not None:
        depth = (await _referrer(session, principal, client.id, referred_by_id)).depth + 1
    if body.company_id is not None:
        await _company_of_client(session, client.id, body.company_id)
    source = body.source or (
        ContactSource.referral if referred_by_id is not None else ContactSource.personal_network
    )
    email_normalized = normalise_email(body.email)
    linkedin_normalized = normalise_linkedin(body.linkedin_url)
    await _refuse_duplicate(
        session,
        client.id,
        email_normalized=email_normalized,
        linkedin_normalized=linkedin_normalized,
    )
    now = utc_now()
    contact = Contact(
        organization_id=client.organization_id,
        client_id=client.id,
        email_normalized=email_normalized,
        linkedin_normalized=linkedin_normalized,
        depth=depth,
        source=source,
        referred_in_interview_id=referred_in_interview_id,
        # The cadence counts from it, and the client moved then (app/clients/momentum.py).
        created_at=_added_at(body.created_at, now),
        updated_at=now,
        **body.model_dump(exclude={"source", "created_at"}),
    )
    organization = await get_organization(session, principal)
    refresh_next_touch_due(contact, organization.keep_in_touch_defaults, now=now)
    session.add(contact)
    await session.flush()
    referral = ("contact.referral_added",) if referred_by_id is not None else ()
    await _record(session, principal, contact, "contact.created", *referral)
    return contact


def _added_at(created_at: datetime | None, now: datetime) -> datetime:
    """`created_at` as sent (history being loaded), else now; the future is refused."""
    if created_at is None:
        return now
    if created_at > now + MAX_CLOCK_SKEW:
        raise Unprocessable(
            "`created_at` is in the future; add a contact once the client has met them.",
            errors=[
                {
                    "loc": ["body", "created_at"],
                    "msg": "more than 5 minutes in the future",
                    "type": "future",
                }
            ],
        )
    return created_at


async def _reparent(
    session: AsyncSession,
    principal: Principal,
    contact: Contact,
    referred_by_id: uuid.UUID | None,
) -> bool:
    """Move `contact` with its branch under `referred_by_id`; every depth below follows.
    Whether it moved."""
    if referred_by_id == contact.referred_by_id:
        return False
    new_depth = 0
    if referred_by_id is not None:
        if referred_by_id == contact.id:
            raise Unprocessable(
                "A contact cannot refer itself.",
                errors=[
                    {
                        "loc": ["body", "referred_by_id"],
                        "msg": "a contact cannot refer itself",
                        "type": "self_referral",
                    }
                ],
            )
        parent = await _referrer(session, principal, contact.client_id, referred_by_id)
        below, deepest = await repository.subtree_summary(session, contact, parent.id)
        if below:
            raise Conflict(
                "This would make the contact its own referrer's referrer: "
                f"{parent.id} was introduced through {contact.id}.",
                referred_by_id=str(parent.id),
            )
        new_depth = parent.depth + 1
        if deepest - contact.depth + new_depth > MAX_DEPTH:
            raise Unprocessable(f"Referral chains are limited to {MAX_DEPTH} introductions.")
    await repository.shift_descendants_depth(
        session, contact, new_depth - contact.depth, now=utc_now()
    )
    contact.referred_by_id = referred_by_id
    contact.depth = new_depth
    return True


async def update(
    session: AsyncSession, principal: Principal, contact: Contact, body: ContactUpdate
) -> Contact:
    """Apply a partial update: the fields sent change (null clears one), the others stay.
    Re-parenting refuses cycles (409) and keeps the depth of the whole moved branch right;
    the company must be the same client's; duplicates are refused as on create; the
    cadence follows. A real change writes `contact.updated`, and a move under a (new)
    referrer `contact.referral_added`, in the same transaction."""
    return await _apply(session, principal, contact, body.model_dump(exclude_unset=True))


async def move_under_referrer(
    session: AsyncSession,
    principal: Principal,
    contact: Contact,
    referrer_id: uuid.UUID,
    *,
    interview_id: uuid.UUID,
) -> Contact:
    """Hang `contact` with its branch under `referrer_id` as a referral suggested in
    `interview_id`: `source = referral`, and the interview remembered unless the contact
    already hung there with one. The rules and events are `update`'s (a cycle is a 409)."""
    changes: dict[str, Any] = {"referred_by_id": referrer_id, "source": ContactSource.referral}
    if contact.referred_in_interview_id is None or contact.referred_by_id != referrer_id:
        changes["referred_in_interview_id"] = interview_id
    return await _apply(session, principal, contact, changes)


async def _apply(
    session: AsyncSession, principal: Principal, contact: Contact, changes: dict[str, Any]
) -> Contact:
    """`changes` (the columns to set) with the rules `update` states."""
    version = contact.version
    referred = False
    if "referred_by_id" in changes:
        referred_by_id = changes.pop("referred_by_id")
        moved = await _reparent(session, principal, contact, referred_by_id)
        referred = moved and referred_by_id is not None
    if changes.get("company_id") is not None:
        await _company_of_client(session, contact.client_id, changes["company_id"])
    if "email" in changes or "linkedin_url" in changes:
        email_normalized = normalise_email(changes.get("email", contact.email))
        linkedin_normalized = normalise_linkedin(changes.get("linkedin_url", contact.linkedin_url))
        await _refuse_duplicate(
            session,
            contact.client_id,
            email_normalized=email_normalized,
            linkedin_normalized=linkedin_normalized,
            excluding=contact.id,
        )
        contact.email_normalized = email_normalized
        contact.linkedin_normalized = linkedin_normalized
    for name, value in changes.items():
        setattr(contact, name, value)
    if "keep_in_touch_days" in changes or "relationship" in changes:
        organization = await get_organization(session, principal)
        refresh_next_touch_due(contact, organization.keep_in_touch_defaults, now=utc_now())
    await session.flush()
    # The version moves only when a stored field really changed: an empty PATCH is no event.
    if contact.version != version:
        referral = ("contact.referral_added",) if referred else ()
        await _record(session, principal, contact, "contact.updated", *referral)
    return contact


async def delete(session: AsyncSession, principal: Principal, contact: Contact) -> int:
    """Delete a contact, keeping its referrals: its children move up to its parent (or
    become roots) and their branches' depths follow, in this same transaction, with
    `contact.deleted` carrying the contact as it was. Returns how many children moved."""
    last_seen = contact_read(await view(session, principal, contact))
    now = utc_now()
    await repository.shift_descendants_depth(session, contact, -1, now=now)
    moved = await repository.move_children(session, contact, now=now)
    await session.delete(contact)
    await session.flush()
    await record_events(
        session,
        organization_id=contact.organization_id,
        events=[NewEvent("contact.deleted", last_seen.client_id, last_seen)],
    )
    return moved


async def forest(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    *,
    root_id: uuid.UUID | None,
    max_depth: int | None,
) -> Forest:
    """The client's contact forest from one read of its contacts, assembled in O(n)."""
    organization = await get_organization(session, principal)
    rows = await repository.tree_rows(session, principal, client.id)
    built = build_forest(
        rows,
        root_id=root_id,
        max_depth=max_depth,
        cold_after_days=organization.cold_after_days,
        now=utc_now(),
    )
    if built is None:
        raise NotFound("No contact with this `root_id` under this client.")
    return built


async def chain(session: AsyncSession, contact: Contact) -> list[ChainLink]:
    """The trail of introductions from a root to `contact`, root first."""
    return chain_to(await repository.ancestry(session, contact), contact.id)


async def client_for(session: AsyncSession, principal: Principal, client_id: uuid.UUID) -> Client:
    """The client whose contacts are asked for; 404 when the caller may not see it."""
    return await clients_service.get(session, principal, client_id)
