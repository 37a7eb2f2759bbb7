"""Target companies: researched, prioritised, and moved along as the search advances."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import String, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.companies import repository
from app.companies.schemas import (
    CompanyCreate,
    CompanyPerson,
    CompanyRead,
    CompanyUpdate,
    WarmPaths,
)
from app.companies.warm_paths import find_warm_paths
from app.contacts.service import not_a_company_of_the_client
from app.contacts.warmth import warmth_of
from app.core.errors import NotFound
from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import utc_now
from app.events.service import record_event
from app.models import Client, Company
from app.models.pipeline import CompanyStatus
from app.organizations.service import get_organization

CompanySort = Literal["created_at", "-created_at", "name", "priority"]

# Automatic moves only go forward along this order.
STATUS_ORDER: tuple[CompanyStatus, ...] = tuple(CompanyStatus)


@dataclass(frozen=True, slots=True)
class CompanyView:
    company: Company
    people: list[CompanyPerson]


def company_read(view: CompanyView) -> CompanyRead:
    columns = {
        name: getattr(view.company, name) for name in CompanyRead.model_fields if name != "people"
    }
    return CompanyRead(**columns, people=view.people)


async def get(session: AsyncSession, principal: Principal, company_id: uuid.UUID) -> Company:
    """The company if the caller may see its client; otherwise 404, as if it did not exist."""
    company = await repository.get_readable(session, principal, company_id)
    if company is None:
        raise NotFound("No company with this id.")
    return company


async def of_client(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, company_id: uuid.UUID
) -> Company:
    """A company of this very client, for linking; 422 naming `company_id` otherwise."""
    company = await repository.get_readable(session, principal, company_id)
    if company is None or company.client_id != client_id:
        raise not_a_company_of_the_client()
    return company


async def views(
    session: AsyncSession, principal: Principal, companies: list[Company]
) -> list[CompanyView]:
    """Companies with their people and each person's warmth: one query for all of them."""
    rows = await repository.people_rows(session, [c.id for c in companies])
    cold_after_days = (await get_organization(session, principal)).cold_after_days
    now = utc_now()
    people: dict[uuid.UUID, list[CompanyPerson]] = {c.id: [] for c in companies}
    for row in rows:
        people[row.company_id].append(
            CompanyPerson(
                contact_id=row.id,
                full_name=row.full_name,
                title=row.title,
                role_at_company=row.role_at_company,
                warmth=warmth_of(row.last_contacted_at, cold_after_days=cold_after_days, now=now),
                last_contacted_at=row.last_contacted_at,
            )
        )
    return [CompanyView(c, people[c.id]) for c in companies]


async def view(session: AsyncSession, principal: Principal, company: Company) -> CompanyView:
    return (await views(session, principal, [company]))[0]


async def warm_paths(session: AsyncSession, principal: Principal, company: Company) -> WarmPaths:
    """Who the client could talk to at `company`, and the introductions that lead there."""
    rows = await repository.network_rows(session, principal, company.client_id)
    cold_after_days = (await get_organization(session, principal)).cold_after_days
    people, roots = find_warm_paths(rows, company, cold_after_days=cold_after_days, now=utc_now())
    return WarmPaths(company_id=company.id, client_id=company.client_id, people=people, roots=roots)


async def list_companies(
    session: AsyncSession,
    principal: Principal,
    client: Client,
    *,
    params: PageParams,
    status: CompanyStatus | None,
    search: str | None,
    sort: CompanySort,
) -> tuple[list[CompanyView], str | None]:
    statement = repository.readable_companies(principal).where(Company.client_id == client.id)
    if status is not None:
        statement = statement.where(Company.status == status)
    if search:
        statement = statement.where(
            or_(
                Company.name.icontains(search, autoescape=True),
                Company.industry.icontains(search, autoescape=True),
            )
        )
    key = {
        "created_at": SortKey((Company.created_at, Company.id)),
        "-created_at": SortKey((Company.created_at, Company.id), descending=True),
        "name": SortKey((func.lower(Company.name, type_=String), Company.id)),
        "priority": SortKey((Company.priority, Company.id)),
    }[sort]
    companies, next_cursor = await paginate(session, statement, sort=key, params=params)
    return await views(session, principal, companies), next_cursor


async def _record(
    session: AsyncSession,
    principal: Principal,
    company: Company,
    event_type: str,
    **extra: Any,
) -> None:
    payload = company_read(await view(session, principal, company)).model_dump(mode="json")
    await record_event(
        session,
        organization_id=company.organization_id,
        type=event_type,
        client_id=company.client_id,
        payload={**payload, **extra},
    )


async def create(
    session: AsyncSession, principal: Principal, client: Client, body: CompanyCreate
) -> Company:
    company = Company(
        organization_id=client.organization_id, client_id=client.id, **body.model_dump()
    )
    session.add(company)
    await session.flush()
    await _record(session, principal, company, "company.created")
    return company


async def update(
    session: AsyncSession, principal: Principal, company: Company, body: CompanyUpdate
) -> Company:
    """Apply a partial update (only the fields set in `body` change); a status change is
    recorded as `company.status_changed`."""
    previous = company.status
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(company, name, value)
    await session.flush()
    if company.status != previous:
        await _record(
            session, principal, company, "company.status_changed", previous_status=previous
        )
    return company


async def delete(session: AsyncSession, company: Company) -> None:
    """Delete a company; its contacts, outreach and interviews stay, unlinked."""
    await session.delete(company)
    await session.flush()


async def mark_engaged(
    session: AsyncSession, principal: Principal, company_ids: Iterable[uuid.UUID]
) -> None:
    """Move these companies to `engaged` if they are not that far yet; never backwards."""
    ids = set(company_ids)
    if not ids:
        return
    earlier = STATUS_ORDER[: STATUS_ORDER.index(CompanyStatus.engaged)]
    companies = (
        await session.execute(
            repository.readable_companies(principal).where(
                Company.id.in_(ids), Company.status.in_(earlier)
            )
        )
    ).scalars()
    for company in list(companies):
        await update(session, principal, company, CompanyUpdate(status=CompanyStatus.engaged))
