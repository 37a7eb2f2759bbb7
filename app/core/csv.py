"""CSV that is safe to open in a spreadsheet (no CSV injection), RFC 4180 line ends."""

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# some read the fullwidth forms as the ASCII ones.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
# Skipped before looking for a formula start: spreadsheets drop (or never show)
# format characters (BOM, zero-width, direction marks) and whitespace, so
# "\u200b=cmd" runs like "=cmd".
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})


def _starts_like_a_formula(value: str) -> bool:
    for character in value:
        if character in FORMULA_STARTS:
            return True
        if not (character.isspace() or unicodedata.category(character) in _INVISIBLE_CATEGORIES):
            return False
    return False


def defused(value: str) -> str:
    """The text, with a leading `'` when a spreadsheet would run it as a formula, once
    any invisible start is skipped."""
    return "'" + value if _starts_like_a_formula(value) else value


def cell(value: Any, *, list_separator: str | None = None) -> str:
    """Any value as a cell: empty for None, ISO 8601 for dates, JSON for lists (or their
    items joined by `list_separator`) and objects, and text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list) and list_separator is not None:
        return defused(list_separator.join(str(item) for item in value))
    if isinstance(value, list | dict):
        return defused(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, str):
        return defused(value)
    return str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document: the header line, then one line per row (CRLF, fields quoted
    when they hold a comma, quote or line break)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()
