"""The export as a zip: one CSV per table, safe to open in a spreadsheet.

Built in memory: one client's data is small (a network of a few thousand contacts with
its history is a few MB of CSV before compression), and the zip's central directory is
only known once every file is written.
"""

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from app.clients.schemas import ClientRead
from app.companies.schemas import CompanyRead
from app.contacts.schemas import ContactRead
from app.core.csv import csv_text
from app.events.schemas import EventRead
from app.interactions.schemas import InteractionRead
from app.interviews.schemas import InterviewRead, StageChangeRead
from app.organizations.schemas import MemberRead
from app.outreach.schemas import OutreachRead
from app.privacy.schemas import ClientExport

MEDIA_TYPE = "application/zip"


def _table(
    model: type[BaseModel], items: Sequence[BaseModel], *, leave_out: Sequence[str] = ()
) -> str:
    columns = [name for name in model.model_fields if name not in leave_out]
    dumped = [item.model_dump(mode="json") for item in items]
    return csv_text(columns, ([row[name] for name in columns] for row in dumped))


def _stage_changes(export: ClientExport) -> str:
    columns = ["interview_id", *StageChangeRead.model_fields]
    rows: list[list[Any]] = [
        [str(interview.id), *change.model_dump(mode="json").values()]
        for interview in export.interviews
        for change in interview.stage_history
    ]
    return csv_text(columns, rows)


def files(export: ClientExport) -> dict[str, str]:
    """File name → CSV text. Nested values (lists, a company's people) are JSON cells;
    stage histories get their own file."""
    tables = {
        "client.csv": _table(ClientRead, [export.client]),
        "logins.csv": _table(MemberRead, export.logins),
        "contacts.csv": _table(ContactRead, export.contacts),
        "interactions.csv": _table(InteractionRead, export.interactions),
        "companies.csv": _table(CompanyRead, export.companies),
        "outreach.csv": _table(OutreachRead, export.outreach),
        "interviews.csv": _table(InterviewRead, export.interviews, leave_out=["stage_history"]),
        "interview_stage_changes.csv": _stage_changes(export),
    }
    if export.events is not None:
        tables["events.csv"] = _table(EventRead, export.events)
    return tables


def zip_bytes(export: ClientExport) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files(export).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def filename(export: ClientExport) -> str:
    return f"client-{export.client.id}-{export.exported_at:%Y%m%d}.zip"
