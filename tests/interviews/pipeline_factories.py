"""Companies, outreach and interviews for tests, through the API."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.contacts import set_contact_columns
from tests.factories.identity import Actor

Id = str | uuid.UUID


async def create_company(
    http: httpx.AsyncClient, actor: Actor, client_id: Id, **fields: Any
) -> dict[str, Any]:
    body = {"name": "Acme", **fields}
    response = await http.post(
        f"/api/v1/clients/{client_id}/companies", json=body, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/companies/{response.json()['id']}"
    return dict(response.json())


async def create_outreach(
    http: httpx.AsyncClient, actor: Actor, client_id: Id, contact_id: Id, **fields: Any
) -> dict[str, Any]:
    body = {
        "contact_id": str(contact_id),
        "channel": "email",
        "purpose": "informational_interview",
        **fields,
    }
    response = await http.post(
        f"/api/v1/clients/{client_id}/outreach", json=body, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/outreach/{response.json()['id']}"
    return dict(response.json())


async def create_interview(
    http: httpx.AsyncClient, actor: Actor, client_id: Id, **fields: Any
) -> dict[str, Any]:
    body = {"kind": "informational", **fields}
    response = await http.post(
        f"/api/v1/clients/{client_id}/interviews", json=body, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/interviews/{response.json()['id']}"
    return dict(response.json())


async def move(
    http: httpx.AsyncClient, actor: Actor, interview_id: Id, to_stage: str, **fields: Any
) -> httpx.Response:
    return await http.post(
        f"/api/v1/interviews/{interview_id}/transitions",
        json={"to_stage": to_stage, **fields},
        headers=actor.headers,
    )


async def hold(
    http: httpx.AsyncClient, actor: Actor, interview_id: Id, **fields: Any
) -> dict[str, Any]:
    """requested → scheduled → held."""
    for stage in ("scheduled", "held"):
        response = await move(
            http, actor, interview_id, stage, **(fields if stage == "held" else {})
        )
        assert response.status_code == 200, response.text
    return dict(response.json())


@contextmanager
def counting_statements(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def link_to_company(
    db: AsyncSession, organization_id: uuid.UUID, contact_id: Id, company_id: Id, **values: Any
) -> None:
    """Set a contact's company directly (the contacts API gains `company_id` separately)."""
    await set_contact_columns(
        db, organization_id, contact_id, company_id=uuid.UUID(str(company_id)), **values
    )
