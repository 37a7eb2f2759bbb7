"""Data-portability export of one client: everything stored about it, each object as the
API returns it, in a fixed number of queries whatever the client holds. The client role
gets what it may read anyway: no coach notes, and no events (their data carries coach
notes)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import recorder
from app.auth.principal import Principal
from app.clients import service as clients_service
from app.clients.repository import readable_client_ids
from app.companies import repository as companies_repository
from app.companies import service as companies_service
from app.contacts import repository as contacts_repository
from app.contacts import service as contacts_service
from app.core.time import utc_now
from app.events.schemas import EventRead
from app.interactions.schemas import InteractionRead
from app.interviews import repository as interviews_repository
from app.interviews import service as interviews_service
from app.models import (
    AuditAction,
    Client,
    Company,
    Contact,
    Event,
    Interaction,
    Interview,
    Membership,
    Outreach,
    User,
)
from app.models.enums import Role
from app.organizations.service import MemberView, member_read
from app.outreach import repository as outreach_repository
from app.outreach.schemas import OutreachRead
from app.privacy.concerning import about, concerning
from app.privacy.schemas import ClientExport, ExportFormat


async def export(
    session: AsyncSession, principal: Principal, client: Client, *, format: ExportFormat
) -> ClientExport:
    """Everything stored about `client` (already found readable), and an `export` entry."""
    for_client = principal.is_client
    client_read = clients_service.client_read(await clients_service.view(session, client))
    if for_client:
        client_read.notes = None
    contacts = await _all(
        session,
        contacts_repository.readable_contacts(principal)
        .where(Contact.client_id == client.id)
        .order_by(Contact.created_at, Contact.id),
    )
    interactions = await _all(
        session,
        select(Interaction)
        .where(
            Interaction.client_id.in_(readable_client_ids(principal)),
            Interaction.client_id == client.id,
        )
        .order_by(Interaction.occurred_at, Interaction.id),
    )
    companies = await _all(
        session,
        companies_repository.readable_companies(principal)
        .where(Company.client_id == client.id)
        .order_by(Company.created_at, Company.id),
    )
    outreach = await _all(
        session,
        outreach_repository.readable_outreach(principal)
        .where(Outreach.client_id == client.id)
        .order_by(Outreach.created_at, Outreach.id),
    )
    interviews = await _all(
        session,
        interviews_repository.readable_interviews(principal)
        .where(Interview.client_id == client.id)
        .order_by(Interview.created_at, Interview.id),
    )
    document = ClientExport(
        exported_at=utc_now(),
        client=client_read,
        logins=await _logins(session, client),
        contacts=[
            contacts_service.contact_read(view)
            for view in await contacts_service.views(session, principal, contacts)
        ],
        interactions=[InteractionRead.model_validate(i) for i in interactions],
        companies=[
            companies_service.company_read(view)
            for view in await companies_service.views(session, principal, companies)
        ],
        outreach=[OutreachRead.model_validate(o) for o in outreach],
        interviews=[
            interviews_service.interview_read(view, for_client=for_client)
            for view in await interviews_service.views(session, interviews)
        ],
        events=None if for_client else await _events(session, client),
    )
    recorder.record(
        session,
        organization_id=client.organization_id,
        action=AuditAction.export,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        changes=[f"format:{format.value}"],
    )
    return document


async def _all(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.execute(statement)).scalars())


async def _logins(session: AsyncSession, client: Client) -> list[Any]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.client_id == client.id, Membership.role == Role.client)
        .order_by(Membership.created_at, Membership.id)
    )
    return [member_read(MemberView(membership, user)) for membership, user in rows]


async def _events(session: AsyncSession, client: Client) -> list[EventRead]:
    rows = await session.execute(
        select(Event).where(concerning(client)).order_by(Event.occurred_at, Event.id)
    )
    return [
        EventRead(
            id=event.id,
            type=event.type,
            client_id=event.client_id,
            occurred_at=event.occurred_at,
            data=event.payload,
        )
        for event in rows.scalars()
        if about(event, client)
    ]
