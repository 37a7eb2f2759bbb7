import uuid
from typing import Annotated

from fastapi import Depends, Query, status

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.clients import service as clients_service
from app.core.errors import problem_responses
from app.core.idempotency import IdempotencyKeyHeader
from app.core.instants import UtcInstant
from app.core.pagination import Page, PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.interactions import service
from app.interactions.schemas import InteractionCreate, InteractionRead
from app.interviews import service as interviews_service
from app.models.enums import InteractionKind, Scope

router = api_router(tags=["interactions"], responses=problem_responses(401, 403, 404, 422))

# Every role may log interactions with the contacts it can see (a client logs their own).
InteractionReader = Annotated[Principal, Depends(Authorize(Scope.contacts_read))]
InteractionWriter = Annotated[Principal, Depends(Authorize(Scope.contacts_write))]

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
    contact = await service.get_contact(session, principal, contact_id)
    interactions, next_cursor = await service.list_for_contact(
        session, contact, params=page, kind=kind, since=since, until=until
    )
    return Page(
        data=[InteractionRead.model_validate(i) for i in interactions], next_cursor=next_cursor
    )


@router.post(
    "/contacts/{contact_id}/interactions",
    status_code=status.HTTP_201_CREATED,
    operation_id="interactions_create",
    summary="Log an interaction with a contact",
    description="Updates the contact's `last_contacted_at` (unless it is a `note` or older "
    "than the latest contact) and pushes its `next_touch_due_at` forward. An outbound "
    "`thank_you` is the thank-you for the contact's held interviews that have none yet and "
    "were held at or before `occurred_at`: their `thank_you_sent_at` is set, and a held "
    "informational interview moves to `followed_up` (no second interaction is logged).",
)
async def create_interaction(
    contact_id: uuid.UUID,
    body: InteractionCreate,
    session: SessionDep,
    principal: InteractionWriter,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> InteractionRead:
    # A thank-you credits the contact's meetings (the rule lives in the interviews
    # package, which already depends on the interactions service, hence the call from
    # here). Their rows are locked before the contact's, in a transition's order.
    meetings = await interviews_service.meetings_to_thank(
        session, principal, contact_id, kind=body.kind, direction=body.direction
    )
    contact = await service.get_contact(session, principal, contact_id, for_update=True)
    interaction = await service.log_interaction(
        session,
        principal,
        contact,
        kind=body.kind,
        direction=body.direction,
        occurred_at=body.occurred_at,
        summary=body.summary,
    )
    await interviews_service.credit_thank_you(session, principal, interaction, meetings)
    return InteractionRead.model_validate(interaction)


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
    client = await clients_service.get(session, principal, client_id)
    interactions, next_cursor = await service.list_for_client(
        session, client, params=page, kind=kind, since=since, until=until
    )
    return Page(
        data=[InteractionRead.model_validate(i) for i in interactions], next_cursor=next_cursor
    )
