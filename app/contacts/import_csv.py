"""CSV import of contacts: parsing and row validation, free of I/O.

Two layouts are understood: our own template and LinkedIn's "Connections.csv"
export, whose column row comes after a few lines of notes. A row that fails
validation becomes an error with its row number; it never stops the others.
"""

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email

from app.contacts.normalise import normalise_email, normalise_linkedin
from app.contacts.schemas import latest_today
from app.core.config import Settings
from app.core.errors import PayloadTooLarge, Unprocessable
from app.core.web_url import optional_web_url
from app.models.enums import ContactSource, Relationship

MAX_ROWS = 5000
# LinkedIn puts a short block of notes before the column row.
HEADER_SEARCH_LINES = 20

TEMPLATE_COLUMNS = (
    "full_name",
    "email",
    "phone",
    "linkedin_url",
    "company_name",
    "title",
    "relationship",
    "source",
    "tags",
    "notes",
)
LINKEDIN_COLUMNS = (
    "First Name",
    "Last Name",
    "URL",
    "Email Address",
    "Company",
    "Position",
    "Connected On",
)
_LINKEDIN_REQUIRED = frozenset({"first name", "last name"})

_MAX_LENGTHS = {
    "full_name": 200,
    "email": 320,
    "phone": 50,
    "linkedin_url": 500,
    "company_name": 200,
    "title": 200,
    "notes": 20_000,
}
MAX_TAGS = 50
MAX_TAG_LENGTH = 200

# The documented size is the setting's default: the OpenAPI document is the same for every
# deployment.
_DEFAULT_MAX_MB = Settings.model_fields["import_max_bytes"].default // (1024 * 1024)
TEMPLATE_DESCRIPTION = f"""
Upload a CSV file as the multipart field `file` (at most {_DEFAULT_MAX_MB} MB by default,
and {MAX_ROWS:,} rows). Two layouts are recognised from their column row:

**Our template** (UTF-8, comma-separated, first row = column names, only `full_name`
required, columns in any order):

| column | content |
|---|---|
| `full_name` | required, ≤ 200 characters |
| `email` | a valid address |
| `phone` | ≤ 50 characters |
| `linkedin_url` | e.g. `https://www.linkedin.com/in/jane-doe` |
| `company_name` | ≤ 200 characters |
| `title` | ≤ 200 characters |
| `relationship` | {", ".join(f"`{r.value}`" for r in Relationship)} (default `other`) |
| `source` | {", ".join(f"`{s.value}`" for s in ContactSource)} (default `personal_network`) |
| `tags` | separated by semicolons: `fintech;berlin` |
| `notes` | free text |

**LinkedIn export** ("Connections.csv" from *Settings → Data privacy → Get a copy of your
data*), as downloaded: its notes before the column row are skipped. Columns
{", ".join(f"`{c}`" for c in LINKEDIN_COLUMNS)}; rows become contacts with
`source=linkedin`, and "Connected On" (as the export writes it, `12 Mar 2024`, or
`2024-03-12`) becomes `connected_on`; a row with another date, or one in the future, is
reported.

Imported contacts are roots of the tree (no `referred_by_id`) marked `imported`: they
do not count as the client moving (`stalled`, `client.stalled`), and their keep-in-touch
cadence counts from the import. A row whose email or
LinkedIn URL (normalised) matches an existing contact of this client, or an earlier row
of the file, is skipped and reported with the matching contact's id. Rows that fail
validation are reported by row number (as a spreadsheet numbers them, the column row
included) and do not stop the others. A file that is not CSV or has no recognisable
column row answers 422; a file over a limit answers 413.
"""


_Choice = TypeVar("_Choice", Relationship, ContactSource)


class ImportFormat(StrEnum):
    template = "template"
    linkedin = "linkedin"


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A valid row, ready to become a contact."""

    row: int
    fields: dict[str, Any]

    @property
    def email_normalized(self) -> str | None:
        value = self.fields.get("email_normalized")
        return value if isinstance(value, str) else None

    @property
    def linkedin_normalized(self) -> str | None:
        value = self.fields.get("linkedin_normalized")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reason: str


@dataclass(slots=True)
class ParsedFile:
    format: ImportFormat
    drafts: list[ContactDraft] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class _InvalidRow(ValueError):
    pass


def decode_upload(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as older spreadsheet tools write."""
    if not raw.strip():
        raise Unprocessable("The file is empty.")
    if b"\x00" in raw:
        raise Unprocessable("The file is not CSV text (it contains binary data).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file is not CSV text in UTF-8 encoding.") from exc


def parse_contacts_csv(raw: bytes, *, max_rows: int | None = None) -> ParsedFile:
    """Parse an upload into valid drafts and per-row errors.

    Raises 422 when the file is not CSV or has no recognisable column row, and 413
    when it has more than `max_rows` data rows (default `MAX_ROWS`).
    """
    limit = MAX_ROWS if max_rows is None else max_rows
    records = _records(decode_upload(raw))
    header, import_format = _find_header(records)
    columns = _column_map(header, import_format)
    parsed = ParsedFile(format=import_format)
    data_rows = 0
    for row_number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        data_rows += 1
        if data_rows > limit:
            raise PayloadTooLarge(
                f"The file has more than {limit:,} data rows, the import limit; split it "
                "into smaller files.",
                limit_rows=limit,
            )
        try:
            values = _row_values(cells, columns, width=len(header))
            if import_format is ImportFormat.linkedin:
                fields = _linkedin_fields(values)
            else:
                fields = _template_fields(values)
            parsed.drafts.append(ContactDraft(row=row_number, fields=_validated(fields)))
        except _InvalidRow as exc:
            parsed.errors.append(RowError(row=row_number, reason=str(exc)))
    return parsed


class _Records:
    """CSV records numbered from 1 as a spreadsheet shows them; one pass, shared."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""))
        self._number = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        try:
            cells = next(self._reader)
        except csv.Error as exc:
            raise Unprocessable(
                f"The file is not valid CSV near line {self._reader.line_num}: {exc}."
            ) from exc
        self._number += 1
        return self._number, cells


def _records(text: str) -> _Records:
    return _Records(text)


def _find_header(records: _Records) -> tuple[list[str], ImportFormat]:
    for row_number, cells in records:
        names = [_header_name(c) for c in cells]
        if "full_name" in names:
            return names, ImportFormat.template
        if _LINKEDIN_REQUIRED.issubset(names):
            return names, ImportFormat.linkedin
        if row_number >= HEADER_SEARCH_LINES:
            break
    raise Unprocessable(
        "No column row found in the first "
        f"{HEADER_SEARCH_LINES} lines: expected our template (with a `full_name` column) "
        "or LinkedIn's Connections.csv (`First Name,Last Name,URL,...`)."
    )


def _header_name(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip().lower()


def _column_map(header: Sequence[str], import_format: ImportFormat) -> dict[str, int]:
    known = (
        TEMPLATE_COLUMNS
        if import_format is ImportFormat.template
        else tuple(c.lower() for c in LINKEDIN_COLUMNS)
    )
    unknown = [name for name in header if name and name not in known]
    if unknown and import_format is ImportFormat.template:
        # Silently dropping a column would lose data the user meant to import.
        raise Unprocessable(
            f"Unknown column(s) {', '.join(unknown)}; the template's columns are "
            f"{', '.join(TEMPLATE_COLUMNS)}."
        )
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise Unprocessable(f"Column(s) {', '.join(duplicated)} appear more than once.")
    return {name: index for index, name in enumerate(header) if name in known}


def _row_values(cells: list[str], columns: dict[str, int], *, width: int) -> dict[str, str]:
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        raise _InvalidRow(
            f"has {len(cells)} values but the column row has {width}; "
            "a value with a comma must be quoted."
        )
    return {
        name: cells[index].strip() if index < len(cells) else "" for name, index in columns.items()
    }


def _template_fields(values: dict[str, str]) -> dict[str, Any]:
    return {
        "full_name": values.get("full_name", ""),
        "email": values.get("email", ""),
        "phone": values.get("phone", ""),
        "linkedin_url": values.get("linkedin_url", ""),
        "company_name": values.get("company_name", ""),
        "title": values.get("title", ""),
        "relationship": _choice(values.get("relationship", ""), Relationship, Relationship.other),
        "source": _choice(values.get("source", ""), ContactSource, ContactSource.personal_network),
        "tags": _tags(values.get("tags", "")),
        "notes": values.get("notes", ""),
    }


def _linkedin_fields(values: dict[str, str]) -> dict[str, Any]:
    name = " ".join(part for part in (values["first name"], values["last name"]) if part)
    connected_on = values.get("connected on", "")
    return {
        "full_name": name,
        "email": values.get("email address", ""),
        "phone": "",
        "linkedin_url": values.get("url", ""),
        "company_name": values.get("company", ""),
        "title": values.get("position", ""),
        "relationship": Relationship.other,
        "source": ContactSource.linkedin,
        "tags": [],
        "notes": "",
        # A column of its own now, not a line of `notes`.
        "connected_on": _connected_on(connected_on),
    }


# LinkedIn writes English month abbreviations whatever the account's language; parsed by
# hand, as `strptime`'s `%b` follows the process locale.
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_LINKEDIN_DATE = re.compile(r"(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _connected_on(value: str) -> date | None:
    """The export's "Connected On" (`12 Mar 2024`, or ISO `2024-03-12`) as a date."""
    if not value:
        return None
    day: date | None = None
    try:
        if linkedin := _LINKEDIN_DATE.fullmatch(value):
            month = _MONTHS.get(linkedin[2].lower())
            if month is not None:
                day = date(int(linkedin[3]), month, int(linkedin[1]))
        elif iso := _ISO_DATE.fullmatch(value):
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:  # 31 Feb
        day = None
    if day is None:
        raise _InvalidRow(f"Connected On {value!r} is not a date like 12 Mar 2024.")
    if day > latest_today():  # as for `connected_on` through the API
        raise _InvalidRow(f"Connected On {value!r} is in the future.")
    return day


def _choice(value: str, enum: type[_Choice], default: _Choice) -> _Choice:
    if not value:
        return default
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return enum(key)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise _InvalidRow(f"{value!r} is not a {enum.__name__.lower()}: use {allowed}.") from None


def _tags(value: str) -> list[str]:
    tags: list[str] = []
    for tag in (t.strip() for t in value.split(";")):
        if tag and tag not in tags:
            if len(tag) > MAX_TAG_LENGTH:
                raise _InvalidRow(f"a tag is longer than {MAX_TAG_LENGTH} characters.")
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise _InvalidRow(f"has more than {MAX_TAGS} tags.")
    return tags


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    if not fields["full_name"]:
        raise _InvalidRow("the name is missing.")
    for name, limit in _MAX_LENGTHS.items():
        value = fields[name]
        if isinstance(value, str) and len(value) > limit:
            raise _InvalidRow(f"{name} is longer than {limit} characters.")
    cleaned = {
        name: (value or None) if isinstance(value, str) else value for name, value in fields.items()
    }
    if cleaned["email"] is not None:
        try:
            validate_email(cleaned["email"], check_deliverability=False)
        except EmailNotValidError as exc:
            raise _InvalidRow(f"email {cleaned['email']!r} is not valid: {exc}") from None
    cleaned["email_normalized"] = normalise_email(cleaned["email"])
    try:
        cleaned["linkedin_url"] = optional_web_url(cleaned["linkedin_url"])
    except ValueError as exc:
        raise _InvalidRow(f"linkedin_url {exc}.") from None
    cleaned["linkedin_normalized"] = normalise_linkedin(cleaned["linkedin_url"])
    return cleaned
