"""Instants and days taken from query strings: written out, offset required, in range in UTC.

Pydantic also reads a number (or a numeric string) as a Unix timestamp, so `?to=0`
would quietly mean 1970-01-01; the contract says RFC 3339 text, and only text is taken.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

_WRITTEN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_out(example: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not _WRITTEN_DATE.match(value):
            raise ValueError(f"expected RFC 3339 text such as {example}, not a number")
        return value

    return BeforeValidator(check)


def _in_utc(value: datetime) -> datetime:
    # 9999-12-31T23:59-23:59 is a valid RFC 3339 instant that no datetime can hold in UTC:
    # refused here (422) rather than overflowing when bound to a query (500).
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is out of range once converted to UTC") from exc


UtcInstant = Annotated[AwareDatetime, _written_out("2030-01-07T10:00:00Z"), AfterValidator(_in_utc)]
CalendarDay = Annotated[date, _written_out("2030-01-07")]
