import uuid
from typing import Annotated

from fastapi import Query

from app.clients import service as clients_service
from app.core.errors import problem_responses
from app.core.instants import UtcInstant
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.interactions import service
from app.interactions.dependencies import InteractionReader
from app.interactions.schemas import InteractionRead
from app.models.enums import InteractionKind

router = api_router(tags=["interactions"], responses=problem_responses(401, 403, 404, 422))

KindFilter = Annotated[InteractionKind | None, Query(description="Only this kind.")]
SinceFilter = Annotated[UtcInstant | None, Query(description="Occurred at or after this instant.")]
UntilFilter = Annotated[UtcInstant | None, Query(description="Occurred before this instant.")]


@router.get(
    "/contacts/{contact_id}/interactions",
    operation_id="interactions_list_for_contact",
    summary="List a contact's interactions, newest first",
)
async def list_contact_interactions(
    contact_id: uuid.UUID,
    session: SessionDep,
    principal: InteractionReader,
    page: PageParamsDep,
    kind: KindFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
) -> Page[InteractionRead]:
    """The touches logged with one contact (emails, calls, meetings, messages), newest first,
    filtered by kind and time, cursor-paginated. API keys need `contacts:read`.
    """
    contact = await service.get_contact(session, principal, contact_id)
    interactions, next_cursor = await service.list_for_contact(
        session, contact, params=page, kind=kind, since=since, until=until
    )
    return Page(
        data=[InteractionRead.model_validate(i) for i in interactions], next_cursor=next_cursor
    )


@router.get(
    "/clients/{client_id}/interactions",
    operation_id="interactions_list_for_client",
    summary="List all interactions of a client's network, newest first",
)
async def list_client_interactions(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: InteractionReader,
    page: PageParamsDep,
    kind: KindFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
) -> Page[InteractionRead]:
    """Every touch logged across the client's network, newest first, filtered by kind and time,
    cursor-paginated. API keys need `contacts:read`.
    """
    client = await clients_service.get(session, principal, client_id)
    interactions, next_cursor = await service.list_for_client(
        session, client, params=page, kind=kind, since=since, until=until
    )
    return Page(
        data=[InteractionRead.model_validate(i) for i in interactions], next_cursor=next_cursor
    )
