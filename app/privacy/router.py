import uuid
from typing import Annotated, Any

from fastapi import Query, Response

from app.auth.dependencies import AnyMember
from app.clients import service as clients_service
from app.core.errors import problem_responses
from app.core.routing import api_router
from app.db.session import SessionDep
from app.privacy import archive, erasure, export
from app.privacy.schemas import ClientExport, ErasureCreate, ErasureRead, ExportFormat

router = api_router(tags=["privacy"], responses=problem_responses(401, 403, 404, 422))


@router.get(
    "/clients/{client_id}/export",
    operation_id="clients_export",
    summary="Everything stored about a client (data portability)",
    description="The client's record, logins, contacts (with referrals), interactions, "
    "companies, outreach, interviews with their stage histories, and the events "
    "concerning the client, each as the API returns it. `format=zip` answers a zip with "
    "one CSV per table (cells a spreadsheet would run as a formula are prefixed with "
    "`'`). Any member who may see the client may export it: owners and admins, its "
    "coaches, and the client themself (without coach notes or events). API keys may not. "
    "Recorded in the audit log.",
    response_model=ClientExport,
    responses={
        200: {
            "description": "The export as JSON, or as a zip of CSV files.",
            "content": {archive.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def export_client(
    client_id: uuid.UUID,
    session: SessionDep,
    principal: AnyMember,
    export_format: Annotated[
        ExportFormat, Query(alias="format", description="`json` (default) or `zip`.")
    ] = ExportFormat.json,
) -> Any:
    client = await clients_service.get(session, principal, client_id)
    document = await export.export(session, principal, client, format=export_format)
    if export_format is ExportFormat.zip:
        return Response(
            archive.zip_bytes(document),
            media_type=archive.MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{archive.filename(document)}"'},
        )
    return document


@router.post(
    "/clients/{client_id}/erase",
    operation_id="clients_erase",
    summary="Erase a client's personal data, keeping anonymous counts",
    description="Anonymises the client and everything under it in place: names, emails, "
    "phones, LinkedIn URLs, titles, notes and every free text (interaction summaries, "
    "outreach messages, interview notes and advice, company research) are cleared; the "
    'data of events about the client becomes `{"erased": true, "id": …}` and their '
    "unsent webhook deliveries are withdrawn; the client's logins and invitations are "
    "removed, and the client is archived. Rows stay, so the organization's reports and "
    "traction figures keep counting them. The audit log is kept (it holds no personal "
    "data) and records the erasure. `confirm_name` must be the client's full name exactly "
    "(422 otherwise); erasing an erased client again succeeds whatever the name. Owners "
    "and admins only; API keys may not.",
)
async def erase_client(
    client_id: uuid.UUID, body: ErasureCreate, session: SessionDep, principal: AnyMember
) -> ErasureRead:
    client = await clients_service.get(session, principal, client_id)
    return await erasure.erase(session, principal, client, confirm_name=body.confirm_name)
