"""Contacts for tests: through the API, or arranged directly in the database."""

import uuid
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.models import Contact
from tests.factories.identity import Actor


async def create_contact(
    http: httpx.AsyncClient, actor: Actor, client_id: str | uuid.UUID, **fields: Any
) -> dict[str, Any]:
    body = {"full_name": "Ana Contact", **fields}
    response = await http.post(
        f"/api/v1/clients/{client_id}/contacts", json=body, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/contacts/{response.json()['id']}"
    return dict(response.json())


async def create_chain(
    http: httpx.AsyncClient, actor: Actor, client_id: str | uuid.UUID, *names: str
) -> list[dict[str, Any]]:
    """A → B → C …: each contact introduced by the previous one."""
    chain: list[dict[str, Any]] = []
    for name in names:
        parent = chain[-1]["id"] if chain else None
        chain.append(
            await create_contact(http, actor, client_id, full_name=name, referred_by_id=parent)
        )
    return chain


async def set_contact_columns(
    db: AsyncSession, organization_id: uuid.UUID, contact_id: str | uuid.UUID, **values: Any
) -> None:
    """Write stored columns directly (e.g. `last_contacted_at`, normally kept by interactions)."""
    await bind_organization(db, organization_id)
    await db.execute(
        update(Contact).where(Contact.id == uuid.UUID(str(contact_id))).values(**values)
    )
    await db.commit()


async def stored_contacts(
    db: AsyncSession, organization_id: uuid.UUID, client_id: str | uuid.UUID
) -> dict[uuid.UUID, Contact]:
    await bind_organization(db, organization_id)
    rows = await db.execute(
        select(Contact)
        .where(Contact.client_id == uuid.UUID(str(client_id)))
        .execution_options(populate_existing=True)
    )
    contacts = {c.id: c for c in rows.scalars()}
    await db.commit()
    return contacts
