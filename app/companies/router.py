import uuid
from typing import Annotated

from fastapi import Query, Request, Response, status

from app.clients import service as clients_service
from app.companies import service
from app.companies.dependencies import PipelineReader, PipelineWriter
from app.companies.schemas import CompanyCreate, CompanyRead, CompanyUpdate, WarmPaths
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, set_etag, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.responses import set_location
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models.pipeline import CompanyStatus

router = api_router(tags=["companies"], responses=problem_responses(401, 403, 422))


@router.get(
    "/clients/{client_id}/companies",
    operation_id="companies_list",
    summary="List a client's target companies, with the people at each",
    description="API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def list_companies(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: PipelineReader,
    page: PageParamsDep,
    status_filter: Annotated[CompanyStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Name or industry contains.")
    ] = None,
    sort: service.CompanySort = "created_at",
) -> Page[CompanyRead]:
    client = await clients_service.get(session, principal, client_id)
    views, next_cursor = await service.list_companies(
        session, principal, client, params=page, status=status_filter, search=q, sort=sort
    )
    return Page(data=[service.company_read(v) for v in views], next_cursor=next_cursor)


@router.post(
    "/clients/{client_id}/companies",
    status_code=status.HTTP_201_CREATED,
    operation_id="companies_create",
    summary="Add a target company",
    description="API keys need `contacts:write`.",
    responses=problem_responses(404),
)
async def create_company(
    client_id: uuid.UUID,
    body: CompanyCreate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    request: Request,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> CompanyRead:
    client = await clients_service.get(session, principal, client_id)
    company = await service.create(session, principal, client, body)
    set_etag(response, company.version)
    set_location(response, request, "companies_get", company_id=company.id)
    return service.company_read(await service.view(session, principal, company))


@router.get(
    "/companies/{company_id}",
    operation_id="companies_get",
    name="companies_get",
    summary="Get a company with its people and their warmth",
    responses=problem_responses(404),
)
async def get_company(
    company_id: uuid.UUID, session: SessionDep, principal: PipelineReader, response: Response
) -> CompanyRead:
    """One target company with its status, priority and the client's people there (each with
    their warmth), and its `ETag`. API keys need `contacts:read`.
    """
    company = await service.get(session, principal, company_id)
    return with_etag(
        response,
        company.version,
        service.company_read(await service.view(session, principal, company)),
    )


@router.get(
    "/companies/{company_id}/warm-paths",
    operation_id="companies_warm_paths",
    summary="Who the client could talk to at a company, and through whom",
    description="The client's contacts who work at the company (linked to it, or not "
    "linked but with the same company name once case, accents, punctuation and legal "
    "suffixes such as Inc, Ltd or GmbH are set aside), each with the trail of "
    "introductions from a first-line contact, root first. People come best path first: "
    "warm before cooling before cold before never contacted (the person's own warmth), "
    "then the shortest chain, then name. `roots` are the first-line contacts whose "
    "branches reach the company (a root who works there counts, at 0 hops), by the "
    "root's warmth in the same order, then the shortest hops, then the most people, then "
    "name. API keys need `contacts:read`.",
    responses=problem_responses(404),
)
async def get_warm_paths(
    company_id: uuid.UUID, session: SessionDep, principal: PipelineReader
) -> WarmPaths:
    company = await service.get(session, principal, company_id)
    return await service.warm_paths(session, principal, company)


@router.patch(
    "/companies/{company_id}",
    operation_id="companies_update",
    summary="Update a company (partial)",
    responses=problem_responses(404, 412),
)
async def update_company(
    company_id: uuid.UUID,
    body: CompanyUpdate,
    session: SessionDep,
    principal: PipelineWriter,
    response: Response,
    if_match: IfMatchHeader = None,
) -> CompanyRead:
    """Changes only the fields sent; the name, status and priority may be left out but not
    nulled. With `If-Match`, refused with 412 when the company changed since it was read.
    API keys need `contacts:write`.
    """
    company = await service.get(session, principal, company_id)
    check_if_match(if_match, company.version)
    company = await service.update(session, principal, company, body)
    return with_etag(
        response,
        company.version,
        service.company_read(await service.view(session, principal, company)),
    )


@router.delete(
    "/companies/{company_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="companies_delete",
    summary="Delete a company (its contacts, outreach and interviews stay, unlinked)",
    responses=problem_responses(404),
)
async def delete_company(
    company_id: uuid.UUID, session: SessionDep, principal: PipelineWriter
) -> Response:
    """Deletes the company from the client's targets; contacts, outreach and interviews that
    named it stay, no longer linked to it. API keys need `contacts:write`.
    """
    company = await service.get(session, principal, company_id)
    await service.delete(session, company)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
