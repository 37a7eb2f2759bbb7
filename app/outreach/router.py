import uuid
from typing import Annotated

from fastapi import Query, Request, Response, status

from app.clients import service as clients_service
from app.companies.dependencies import PipelineReader, PipelineWriter
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, set_etag, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.responses import set_location
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models.pipeline import OutreachStatus
from app.outreach import service
from app.outreach.schemas import OutreachCreate, OutreachRead, OutreachUpdate

router = api_router(tags=["outreach"], responses=problem_responses(401, 403, 422))


@router.get(
    "/clients/{client_id}/outreach",
    operation_id="outreach_list",
    summary="List a client's outreach",
    description="API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def list_outreach(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: PipelineReader,
    page: PageParamsDep,
    status_filter: Annotated[OutreachStatus | None, Query(alias="status")] = None,
    contact_id: uuid.UUID | None = None,
    company_id: uuid.UUID | None = None,
    sort: service.OutreachSort = "-created_at",
) -> Page[OutreachRead]:
    client = await clients_service.get(session, principal, client_id)
    items, next_cursor = await service.list_outreach(
        session,
        principal,
        client,
        params=page,
        status=status_filter,
        contact_id=contact_id,
        company_id=company_id,
        sort=sort,
    )
    return Page(data=[OutreachRead.model_validate(o) for o in items], next_cursor=next_cursor)


@router.post(
    "/clients/{client_id}/outreach",
    status_code=status.HTTP_201_CREATED,
    operation_id="outreach_create",
    summary="Draft (or record as sent) an outreach to a contact",
    description="Created as `sent`, it logs the outbound interaction at once. "
    "API keys need `contacts:write`.",
    responses=problem_responses(404, 409),
)
async def create_outreach(
    client_id: uuid.UUID,
    body: OutreachCreate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    request: Request,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> OutreachRead:
    client = await clients_service.get(session, principal, client_id)
    outreach = await service.create(session, principal, client, body)
    set_etag(response, outreach.version)
    set_location(response, request, "outreach_get", outreach_id=outreach.id)
    return OutreachRead.model_validate(outreach)


@router.get(
    "/outreach/{outreach_id}",
    operation_id="outreach_get",
    name="outreach_get",
    summary="Get an outreach",
    responses=problem_responses(404),
)
async def get_outreach(
    outreach_id: uuid.UUID, session: SessionDep, principal: PipelineReader, response: Response
) -> OutreachRead:
    """One ask sent to a contact (channel, purpose, questions, status and dates), with its
    `ETag`. API keys need `contacts:read`.
    """
    outreach = await service.get(session, principal, outreach_id)
    return with_etag(response, outreach.version, OutreachRead.model_validate(outreach))


@router.patch(
    "/outreach/{outreach_id}",
    operation_id="outreach_update",
    summary="Update an outreach, or move its status (partial)",
    description="Moving to `sent` logs an outbound interaction with the contact; to "
    "`responded` or `declined` an inbound one. Out-of-order moves answer 409 with `allowed`.",
    responses=problem_responses(404, 409, 412),
)
async def update_outreach(
    outreach_id: uuid.UUID,
    body: OutreachUpdate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> OutreachRead:
    outreach = await service.get(session, principal, outreach_id, for_update=True)
    check_if_match(if_match, outreach.version)
    outreach = await service.update(session, principal, outreach, body)
    return with_etag(response, outreach.version, OutreachRead.model_validate(outreach))


@router.delete(
    "/outreach/{outreach_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="outreach_delete",
    summary="Delete an outreach (the interactions it logged stay)",
    responses=problem_responses(404),
)
async def delete_outreach(
    outreach_id: uuid.UUID, session: SessionDep, principal: PipelineWriter
) -> Response:
    """Deletes the outreach; the interactions it logged when sent stay in the contact's
    history. API keys need `contacts:write`.
    """
    outreach = await service.get(session, principal, outreach_id)
    await service.delete(session, outreach)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
