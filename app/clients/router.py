import uuid
from typing import Annotated, Literal

from fastapi import Query, Request, Response, status

from app.auth.principal import Principal
from app.clients import service
from app.clients.dependencies import ClientReader, ClientWriter
from app.clients.schemas import ClientCreate, ClientRead, ClientUpdate
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, set_etag, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.responses import set_location
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models.enums import ClientStatus

router = api_router(tags=["clients"], responses=problem_responses(401, 403, 422))

ClientSort = Literal["created_at", "-created_at", "full_name"]


def _read(view: service.ClientView, principal: Principal) -> ClientRead:
    columns = {
        name: getattr(view.client, name) for name in ClientRead.model_fields if name != "coach_ids"
    }
    if principal.is_client:
        columns["notes"] = None
    return ClientRead(**columns, coach_ids=view.coach_ids)


@router.get("/clients", operation_id="clients_list", summary="List the clients you may see")
async def list_clients(
    session: SessionDep,
    principal: ClientReader,
    page: PageParamsDep,
    status_filter: Annotated[ClientStatus | None, Query(alias="status")] = None,
    coach_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Name or email contains.")] = None,
    sort: ClientSort = "created_at",
) -> Page[ClientRead]:
    """The clients of the caseload you may see (staff: the organization's or, for a coach,
    those assigned to you; a client's login: its own record), filtered by status, coach or a
    name/email search, sorted, cursor-paginated. API keys need `clients:read`.
    """
    views, next_cursor = await service.list_clients(
        session,
        principal,
        params=page,
        status=status_filter,
        coach_id=coach_id,
        search=q,
        sort=sort,
    )
    return Page(data=[_read(v, principal) for v in views], next_cursor=next_cursor)


@router.post(
    "/clients",
    status_code=status.HTTP_201_CREATED,
    operation_id="clients_create",
    summary="Create a client",
    responses=problem_responses(409),
)
async def create_client(
    body: ClientCreate,
    session: SessionDep,
    principal: ClientWriter,
    response: Response,
    request: Request,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> ClientRead:
    """Adds a job seeker to the caseload. Answers 201 with the client, its `ETag` and its
    `Location`. API keys need `clients:write`; send `Idempotency-Key` to make a retry safe.
    """
    client = await service.create(session, principal, body)
    view = await service.view(session, client)
    set_etag(response, client.version)
    set_location(response, request, "clients_get", client_id=client.id)
    return _read(view, principal)


@router.get(
    "/clients/{client_id}",
    operation_id="clients_get",
    name="clients_get",
    summary="Get a client",
    responses=problem_responses(404),
)
async def get_client(
    client_id: uuid.UUID, session: SessionDep, principal: ClientReader, response: Response
) -> ClientRead:
    """One client with its goals, targets and assigned coaches, and its `ETag`. A client you
    may not see answers 404, like a missing one. API keys need `clients:read`.
    """
    client = await service.get(session, principal, client_id)
    return with_etag(
        response, client.version, _read(await service.view(session, client), principal)
    )


@router.patch(
    "/clients/{client_id}",
    operation_id="clients_update",
    summary="Update a client (partial)",
    responses=problem_responses(404, 412),
)
async def update_client(
    client_id: uuid.UUID,
    body: ClientUpdate,
    session: SessionDep,
    principal: ClientWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ClientRead:
    """Changes only the fields sent; the name, the status and the target lists may be left
    out but not sent as null. With `If-Match`, refused with 412 when the client changed since
    it was read. API keys need `clients:write`.
    """
    client = await service.get(session, principal, client_id)
    check_if_match(if_match, client.version)
    client = await service.update(session, principal, client, body)
    return with_etag(
        response, client.version, _read(await service.view(session, client), principal)
    )


@router.delete(
    "/clients/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="clients_delete",
    summary="Delete a client and everything under it",
    responses=problem_responses(404),
)
async def delete_client(
    client_id: uuid.UUID, session: SessionDep, principal: ClientWriter
) -> Response:
    """Deletes the client with its contacts, interactions, companies, outreach and
    interviews, and records `client.deleted`. To remove personal data for good (events and
    stored responses included), use `POST /clients/{client_id}/erase`. Owners and admins
    only; API keys need `clients:write`.
    """
    client = await service.get(session, principal, client_id)
    await service.delete_client(session, principal, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/clients/{client_id}/coaches/{user_id}",
    operation_id="clients_assign_coach",
    summary="Assign a coach to a client",
    responses=problem_responses(404),
)
async def assign_coach(
    client_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, principal: ClientWriter
) -> ClientRead:
    """Makes a staff member (coach, admin or owner) one of the client's coaches, who then
    sees the client. Assigning one already assigned changes nothing. Answers the client.
    Owners and admins only; API keys need `clients:write`.
    """
    client = await service.get(session, principal, client_id)
    await service.assign_coach(session, principal, client, user_id)
    return _read(await service.view(session, client), principal)


@router.delete(
    "/clients/{client_id}/coaches/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="clients_unassign_coach",
    summary="Remove a coach from a client",
    responses=problem_responses(404),
)
async def unassign_coach(
    client_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, principal: ClientWriter
) -> Response:
    """The coach stops being assigned to the client, and no longer sees it through that
    assignment. Owners and admins only; API keys need `clients:write`.
    """
    client = await service.get(session, principal, client_id)
    await service.unassign_coach(session, principal, client, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
