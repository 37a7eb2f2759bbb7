import uuid
from typing import Annotated

from fastapi import Depends, File, UploadFile
from pydantic import BaseModel, Field

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.clients import service as clients_service
from app.contacts import import_csv, import_service
from app.core.config import Settings, SettingsDep
from app.core.errors import PayloadTooLarge, problem_responses
from app.core.middleware import RouteBodyLimit
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader
from app.models.enums import Scope

router = api_router(tags=["contacts"], responses=problem_responses(401, 403, 404, 413, 422))

ContactImporter = Annotated[Principal, Depends(Authorize(Scope.contacts_write))]

IMPORT_PATH = "/clients/{client_id}/contacts/import"
# Room in the request body for the multipart framing around the file: boundaries and
# the part's headers (its file name included).
MULTIPART_FRAMING_BYTES = 16 * 1024


def import_body_limit(settings: Settings, *, prefix: str) -> RouteBodyLimit:
    """The import's body limit, larger than the global one: a file up to
    `settings.import_max_bytes`, for the body size middleware."""
    return RouteBodyLimit(
        "POST",
        prefix + IMPORT_PATH,
        settings.import_max_bytes,
        framing_bytes=MULTIPART_FRAMING_BYTES,
    )


class SkippedRow(BaseModel):
    row: int = Field(description="Row number in the file (the column row included).")
    existing_contact_id: uuid.UUID = Field(
        description="The contact it duplicates: already there, or created from an earlier row."
    )
    reason: str = Field(examples=["same email as an existing contact"])


class FailedRow(BaseModel):
    row: int = Field(description="Row number in the file (the column row included).")
    reason: str = Field(examples=["email 'ana@' is not valid: ..."])


class ContactImportRead(BaseModel):
    created: int
    created_ids: list[uuid.UUID]
    skipped_duplicates: list[SkippedRow]
    errors: list[FailedRow]


@router.post(
    IMPORT_PATH,
    operation_id="contacts_import",
    summary="Import contacts from a CSV file (our template or LinkedIn's Connections.csv)",
    description=import_csv.TEMPLATE_DESCRIPTION,
)
async def import_contacts(
    client_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="The CSV file.")],
    session: SessionDep,
    principal: ContactImporter,
    settings: SettingsDep,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> ContactImportRead:
    client = await clients_service.get(session, principal, client_id)
    limit = settings.import_max_bytes
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(
            f"The file is larger than {limit:,} bytes, the import limit; "
            "split it into smaller files.",
            limit_bytes=limit,
        )
    outcome = await import_service.import_contacts(session, client, raw)
    return ContactImportRead(
        created=len(outcome.created_ids),
        created_ids=outcome.created_ids,
        skipped_duplicates=[
            SkippedRow(row=s.row, existing_contact_id=s.existing_contact_id, reason=s.reason)
            for s in outcome.skipped_duplicates
        ],
        errors=[FailedRow(row=e.row, reason=e.reason) for e in outcome.errors],
    )
