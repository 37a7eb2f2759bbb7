from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.core.instants import CalendarDay
from app.models.enums import ADMIN_ROLES, STAFF_ROLES, Scope
from app.organizations.schemas import Timezone

# A client's own traction is theirs to see; reports across clients are for staff.
TractionReader = Annotated[Principal, Depends(Authorize(Scope.reports_read))]
CaseloadReader = Annotated[Principal, Depends(Authorize(Scope.reports_read, STAFF_ROLES))]
OrganizationReportReader = Annotated[Principal, Depends(Authorize(Scope.reports_read, ADMIN_ROLES))]


@dataclass(frozen=True, slots=True)
class WindowQuery:
    start: date | None
    end: date | None
    tz: str | None


async def window_query(
    start: Annotated[
        CalendarDay | None,
        Query(
            alias="from",
            description="First day of the window (a date in `tz`); default: 28 days before `to`.",
        ),
    ] = None,
    end: Annotated[
        CalendarDay | None,
        Query(
            alias="to",
            description="The day after the last one (`[from, to)`); default: tomorrow in `tz`, "
            "so the window ends with today.",
        ),
    ] = None,
    tz: Annotated[
        Timezone | None,
        Query(
            description="IANA time zone for days and weeks (weeks start on Monday); default: "
            "the organization's.",
            examples=["Europe/Berlin"],
        ),
    ] = None,
) -> WindowQuery:
    return WindowQuery(start=start, end=end, tz=tz)


WindowQueryDep = Annotated[WindowQuery, Depends(window_query)]
