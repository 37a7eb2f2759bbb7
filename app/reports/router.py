import uuid
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import Header, Query
from fastapi.responses import StreamingResponse

from app.core.errors import problem_responses
from app.core.pagination import PageParamsDep
from app.core.routing import api_router
from app.db.session import SessionDep
from app.models.enums import ClientStatus
from app.organizations.service import get_organization
from app.reports import service
from app.reports.schemas import CaseloadPage, CaseloadSort, OrganizationReport
from app.traction import service as traction_service
from app.traction.dependencies import CaseloadReader, OrganizationReportReader, WindowQueryDep

router = api_router(tags=["reports"], responses=problem_responses(401, 403, 422))

CSV_MEDIA_TYPE = "text/csv"


def _wants_csv(format: str | None, accept: str | None) -> bool:
    """`format` decides; otherwise CSV when `Accept` prefers `text/csv` to JSON."""
    if format is not None:
        return format == "csv"
    weights: dict[str, float] = {}
    for item in (accept or "").split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weights[media_type.lower()] = max(quality, weights.get(media_type.lower(), 0.0))
    csv_weight = weights.get(CSV_MEDIA_TYPE, 0.0)
    json_weight = max(weights.get(t, 0.0) for t in ("application/json", "application/*", "*/*"))
    # An explicit text/csv beats a wildcard of the same weight.
    return csv_weight > 0 and csv_weight >= json_weight


@router.get(
    "/reports/caseload",
    operation_id="reports_caseload",
    summary="The caseload: one row per client with headline traction figures",
    description="One row per client the caller may see (a coach: their assigned clients; "
    "owners, admins and API keys: every client, `coach_id` to narrow), with the window's "
    "headline figures, traction score and its change from the previous window, `stalled`, "
    "days since the last movement, the number of next actions, offers, contacts gone "
    "cold and the next meeting planned. Sorted by `sort` (then "
    "client id) and paginated. `format=csv` or `Accept: text/csv` answers every row (not "
    "one page) as CSV with a header line. Staff only (403 for the client role); API keys "
    "need `reports:read`.",
    response_model=CaseloadPage,
    responses={
        200: {
            "description": "A page of rows (JSON), or every row as CSV.",
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def get_caseload(
    session: SessionDep,
    principal: CaseloadReader,
    query: WindowQueryDep,
    page: PageParamsDep,
    coach_id: Annotated[uuid.UUID | None, Query(description="Only this coach's clients.")] = None,
    status: Annotated[
        ClientStatus | None, Query(description="Only clients with this status.")
    ] = None,
    sort: CaseloadSort = "name",
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="Overrides `Accept`.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> CaseloadPage | StreamingResponse:
    settings = await get_organization(session, principal)
    window = await traction_service.window_for(
        session, principal, start=query.start, end=query.end, tz=query.tz, settings=settings
    )
    caseload = await service.caseload(
        session,
        principal,
        window=window,
        settings=settings,
        coach_id=coach_id,
        status=status,
        sort=sort,
    )
    if _wants_csv(format, accept):
        return _csv_response(
            service.csv_lines(caseload.rows, window), f"caseload-{window.start}-{window.end}.csv"
        )
    rows, next_cursor = service.page(caseload.rows, sort=sort, params=page)
    return CaseloadPage(
        data=rows,
        next_cursor=next_cursor,
        window=window.read(),
        previous_window=window.previous().read(),
        generated_at=caseload.generated_at,
    )


@router.get(
    "/reports/organization",
    operation_id="reports_organization",
    summary="The organization's traction, per coach and overall, with the funnel",
    description="For the whole organization, per coach and for clients without a coach: "
    "clients, active and stalled clients, totals (every client) and medians (active "
    "clients) of the headline figures, and the funnel outreach → response → informational "
    "interview held → referral → job interview held → offer with each step's conversion. "
    "`format=csv` or `Accept: text/csv` answers CSV with a header line and one line per "
    "group (`organization`, each `coach`, `unassigned`) with its clients and headline "
    "totals. Owners and admins only; API keys need `reports:read`.",
    response_model=OrganizationReport,
    responses={
        200: {
            "description": "The report (JSON), or its groups as CSV.",
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def get_organization_report(
    session: SessionDep,
    principal: OrganizationReportReader,
    query: WindowQueryDep,
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="Overrides `Accept`.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> OrganizationReport | StreamingResponse:
    settings = await get_organization(session, principal)
    window = await traction_service.window_for(
        session, principal, start=query.start, end=query.end, tz=query.tz, settings=settings
    )
    report = await service.organization_report(session, principal, window=window, settings=settings)
    if _wants_csv(format, accept):
        return _csv_response(
            service.organization_csv_lines(report, window, settings.name),
            f"organization-{window.start}-{window.end}.csv",
        )
    return report


def _csv_response(lines: Iterator[str], filename: str) -> StreamingResponse:
    # Rows are computed before the response starts (the request's transaction ends when
    # the endpoint returns); only the text is streamed.
    return StreamingResponse(
        lines,
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
