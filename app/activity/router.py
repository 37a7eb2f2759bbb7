import uuid
from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response, StreamingResponse

from app.activity import render, service
from app.activity.schemas import ReportFormat
from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.clients import service as clients_service
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.models.enums import Scope
from app.traction.dependencies import WindowQueryDep

router = api_router(tags=["reports"], responses=problem_responses(401, 403, 422))

# Every role that may see the client may print its activity: for a client it is their
# own proof of effort. API keys need `reports:read`.
ReportReader = Annotated[Principal, Depends(Authorize(Scope.reports_read))]


@router.get(
    "/clients/{client_id}/activity-report",
    operation_id="activity_report_get",
    summary="A dated log of the client's job-search activity (CSV or printable HTML)",
    description="Proof of effort for an unemployment agency or an outplacement sponsor: "
    "outreach sent and answered, informational and job interviews (each stage change), "
    "and logged calls, meetings, emails and messages, oldest first. Each row: the date (in "
    "`tz`), the activity, the company, the contact's name and role at the company, and a "
    "short description built from structured fields. Nothing else about a contact is "
    "shown (no email, phone, LinkedIn URL or notes), nor any free text or coach note. "
    "`format=csv` (default) streams RFC 4180 CSV with a header line; cells a spreadsheet "
    "would run as a formula are prefixed with `'`. `format=html` is a self-contained page "
    "(no scripts or external resources) that prints on A4 or Letter. The window is whole "
    "days `[from, to)`, by default the last 28 ending today. Visible to every role that "
    "may see the client; API keys need `reports:read`.",
    response_class=Response,
    responses={
        200: {
            "description": "The report.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        **problem_responses(404),
    },
)
async def get_activity_report(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: ReportReader,
    window: WindowQueryDep,
    report_format: Annotated[
        ReportFormat, Query(alias="format", description="`csv` or `html`.")
    ] = ReportFormat.csv,
) -> Response:
    client = await clients_service.get(session, principal, client_id)
    report = await service.activity_report(session, principal, client, window=window)
    if report_format is ReportFormat.html:
        return Response(
            render.html_page(report),
            media_type=render.HTML_MEDIA_TYPE,
            headers={
                "Content-Security-Policy": render.HTML_SECURITY_POLICY,
                "Content-Disposition": f'inline; filename="{render.filename(report, "html")}"',
            },
        )
    # Rows are read before the response starts (the request's transaction ends when the
    # endpoint returns); the text is streamed as it is encoded.
    return StreamingResponse(
        render.csv_chunks(report),
        media_type=render.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{render.filename(report, "csv")}"'},
    )
