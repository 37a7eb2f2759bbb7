"""The door to target companies, and the people who work at them."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.clients.repository import readable_client_ids
from app.contacts.repository import readable_condition
from app.models import Company, Contact


def readable_companies(principal: Principal) -> Select[Company]:
    """Companies under the clients the caller may see (the organization is added by the
    tenancy hook)."""
    return select(Company).where(Company.client_id.in_(readable_client_ids(principal)))


async def get_readable(
    session: AsyncSession, principal: Principal, company_id: uuid.UUID
) -> Company | None:
    statement = readable_companies(principal).where(Company.id == company_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def people_rows(session: AsyncSession, company_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
    """The contacts linked to these companies, in one query, by name."""
    if not company_ids:
        return []
    statement = (
        select(
            Contact.company_id,
            Contact.id,
            Contact.full_name,
            Contact.title,
            Contact.role_at_company,
            Contact.last_contacted_at,
        )
        .where(Contact.company_id.in_(company_ids))
        .order_by(Contact.full_name, Contact.id)
    )
    return (await session.execute(statement)).all()


async def network_rows(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> Sequence[Any]:
    """Every contact of the client, with only the columns a warm path needs: the one read
    the paths are walked from, whatever the size of the network."""
    statement = select(
        Contact.id,
        Contact.referred_by_id,
        Contact.full_name,
        Contact.company_name,
        Contact.title,
        Contact.role_at_company,
        Contact.company_id,
        Contact.depth,
        Contact.last_contacted_at,
    ).where(readable_condition(principal), Contact.client_id == client_id)
    return (await session.execute(statement)).all()
