"""Reports across clients: the caseload (one row per client) and the organization view,
as JSON or CSV.

Both call `app.traction.service.compute` once for all their clients, so they run the same
fixed number of queries for 3 clients or 400 (the caseload adds one statement each for
the contacts cold now, the next meetings and the agenda's count).
"""

import csv
import io
import statistics
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import service as agenda_service
from app.auth.principal import Principal
from app.clients.repository import coach_ids_by_client
from app.core.csv import cell
from app.core.errors import Unprocessable
from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.core.time import utc_now
from app.models import Organization
from app.models.enums import ClientStatus
from app.reports import repository
from app.reports.schemas import (
    CaseloadRow,
    CaseloadSort,
    CoachReport,
    FunnelStep,
    FunnelStepName,
    GroupReport,
    HeadlineMedians,
    HeadlineTotals,
    OrganizationReport,
)
from app.traction.service import TractionResult, Window, compute


@dataclass(frozen=True, slots=True)
class Caseload:
    rows: list[CaseloadRow]  # sorted
    generated_at: datetime


async def caseload(
    session: AsyncSession,
    principal: Principal,
    *,
    window: Window,
    settings: Organization,
    coach_id: uuid.UUID | None,
    status: ClientStatus | None,
    sort: CaseloadSort,
) -> Caseload:
    """One row per client the caller may see (optionally one coach's, or of one status),
    sorted by `sort` then by client id. `settings`: the caller's organization."""
    clients = repository.client_ids(principal, coach_id=coach_id, status=status)
    results = await compute(session, principal, clients, window, detail=False, settings=settings)
    ids = list(results)
    coaches = await coach_ids_by_client(session, ids)
    now = utc_now()
    actions = await agenda_service.counts_by_client(
        session, principal, settings, coach_id=coach_id, status=status, now=now
    )
    # The network as it stands (cold now), not traction's crossings in the window: those
    # need every touch of the window sorted per contact, which for a caseload of 400
    # clients cost more than the rest of the report together.
    cold = await repository.cold_contacts(
        session, principal, clients, cold_before=now - timedelta(days=settings.cold_after_days)
    )
    meetings = await repository.next_meetings(session, principal, clients, now=now)
    rows = [
        _row(
            results[cid],
            coaches[cid],
            actions.get(cid, 0),
            cold=cold.get(cid, 0),
            next_meeting=meetings.get(cid),
        )
        for cid in ids
    ]
    rows.sort(key=_sort_key(sort), reverse=sort.startswith("-"))
    return Caseload(rows=rows, generated_at=now)


def _row(
    result: TractionResult,
    coach_ids: list[uuid.UUID],
    actions: int,
    *,
    cold: int,
    next_meeting: tuple[datetime, uuid.UUID] | None,
) -> CaseloadRow:
    figures = result.current
    meeting_at, meeting_id = next_meeting or (None, None)
    return CaseloadRow(
        client_id=result.client_id,
        full_name=result.full_name,
        status=result.status,
        coach_ids=coach_ids,
        outreach_sent=figures.outreach_sent,
        responses=figures.responses,
        response_rate=figures.response_rate,
        informational_held=figures.informational_held,
        job_interviews_held=figures.job_interviews_held,
        referrals=figures.referrals,
        score=result.score,
        previous_score=result.previous_score,
        score_change=result.score - result.previous_score,
        stalled=result.stalled,
        last_moving_event_at=result.last_moved_at,
        days_since_movement=result.days_since_movement,
        next_action_count=actions,
        offers=figures.offers,
        cold_contacts=cold,
        next_meeting_at=meeting_at,
        next_meeting_interview_id=meeting_id,
    )


def _sort_value(row: CaseloadRow, field: str) -> Any:
    return row.full_name.casefold() if field == "name" else getattr(row, field)


def _sort_key(sort: CaseloadSort) -> Any:
    field = sort.removeprefix("-")
    return lambda row: (_sort_value(row, field), row.client_id)


def page(
    rows: list[CaseloadRow], *, sort: CaseloadSort, params: PageParams
) -> tuple[list[CaseloadRow], str | None]:
    """A keyset page of sorted rows: the cursor is the last row's sort value and id,
    encoded like every other list's (`app.core.pagination`)."""
    key = _sort_key(sort)
    descending = sort.startswith("-")
    if params.cursor is not None:
        value, client_id = decode_cursor(params.cursor, 2)
        expected = str if sort.removeprefix("-") == "name" else int
        if type(value) is not expected or not isinstance(client_id, uuid.UUID):
            raise Unprocessable("The cursor is not valid for this list.", parameter="cursor")
        after = (value, client_id)
        rows = [r for r in rows if (key(r) < after if descending else key(r) > after)]
    chosen = rows[: params.limit]
    more = len(rows) > params.limit
    return chosen, encode_cursor(list(key(chosen[-1]))) if more and chosen else None


CSV_COLUMNS = (
    "client_id",
    "full_name",
    "status",
    "coach_ids",
    "outreach_sent",
    "responses",
    "response_rate",
    "informational_held",
    "job_interviews_held",
    "referrals",
    "score",
    "previous_score",
    "score_change",
    "stalled",
    "last_moving_event_at",
    "days_since_movement",
    "next_action_count",
    "offers",
    "cold_contacts",
    "next_meeting_at",
    "next_meeting_interview_id",
    "window_from",
    "window_to",
)


def _cell(value: Any) -> str:
    # The one CSV-injection rule (`app.core.csv`); lists (coach ids) read as "id id".
    return cell(value, list_separator=" ")


# Rows a streamed chunk holds: one chunk per line cost more than writing the lines.
CSV_ROWS_PER_CHUNK = 200
_ROW_COLUMNS = CSV_COLUMNS[:-2]  # the window's days come last


def _csv_chunks(header: Sequence[str], lines: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header line, then the lines, `CSV_ROWS_PER_CHUNK` a chunk (CRLF line ends,
    every cell through `_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def written() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([_cell(name) for name in header])
    for count, line in enumerate(lines, start=1):
        writer.writerow([_cell(value) for value in line])
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield written()
    if text := written():
        yield text


def _days(window: Window) -> tuple[str, str]:
    return window.start.isoformat(), window.end.isoformat()


def csv_lines(rows: Iterable[CaseloadRow], window: Window) -> Iterator[str]:
    """The caseload: the header line, then one line per row."""
    days = _days(window)
    return _csv_chunks(
        CSV_COLUMNS, ([*(getattr(row, name) for name in _ROW_COLUMNS), *days] for row in rows)
    )


ORGANIZATION_CSV_COLUMNS = (
    "group",
    "coach_id",
    "full_name",
    "clients",
    "active_clients",
    "stalled_clients",
    *HeadlineTotals.model_fields,
    "window_from",
    "window_to",
)


def organization_csv_lines(
    report: OrganizationReport, window: Window, organization_name: str
) -> Iterator[str]:
    """The organization report: the header line, then one line per group (the whole
    organization, each coach, the clients without a coach) with its headline totals;
    the medians and the funnel stay in the JSON."""
    days = _days(window)
    groups: list[tuple[str, uuid.UUID | None, str, GroupReport]] = [
        ("organization", None, organization_name, report.organization),
        *(("coach", c.coach_id, c.full_name, c) for c in report.coaches),
        ("unassigned", None, "", report.unassigned),
    ]
    return _csv_chunks(
        ORGANIZATION_CSV_COLUMNS,
        (
            [
                kind,
                coach_id,
                name,
                group.clients,
                group.active_clients,
                group.stalled_clients,
                *group.totals.model_dump().values(),
                *days,
            ]
            for kind, coach_id, name, group in groups
        ),
    )


# Funnel steps in order (as the schema lists them), each a figure of the window.
FUNNEL: tuple[FunnelStepName, ...] = get_args(FunnelStepName)


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 2) if values else None


def _group(results: Sequence[TractionResult]) -> GroupReport:
    active = [r for r in results if r.status == ClientStatus.active]
    totals = {step: sum(getattr(r.current, step) for r in results) for step in FUNNEL}
    medians = {step: _median([getattr(r.current, step) for r in active]) for step in FUNNEL}
    funnel = []
    for index, step in enumerate(FUNNEL):
        before = totals[FUNNEL[index - 1]] if index else 0
        funnel.append(
            FunnelStep(
                step=step,
                count=totals[step],
                conversion=round(totals[step] / before, 4) if before else None,
            )
        )
    return GroupReport(
        clients=len(results),
        active_clients=len(active),
        stalled_clients=sum(r.stalled for r in results),
        totals=HeadlineTotals(**totals),
        medians=HeadlineMedians(**medians, score=_median([r.score for r in active])),
        funnel=funnel,
    )


async def organization_report(
    session: AsyncSession, principal: Principal, *, window: Window, settings: Organization
) -> OrganizationReport:
    """The whole organization, each coach's clients, and the clients without a coach.
    `settings`: the caller's organization."""
    results = await compute(
        session,
        principal,
        repository.client_ids(principal),
        window,
        detail=False,
        settings=settings,
    )
    assignments = await coach_ids_by_client(session, list(results))
    by_coach: dict[uuid.UUID, list[TractionResult]] = {}
    for client_id, coach_ids in assignments.items():
        for coach_id in coach_ids:
            by_coach.setdefault(coach_id, []).append(results[client_id])
    coaches = [
        CoachReport(
            coach_id=coach.id,
            full_name=coach.full_name,
            **_group(by_coach.get(coach.id, [])).model_dump(),
        )
        for coach in await repository.coaches(session, principal)
    ]
    return OrganizationReport(
        window=window.read(),
        generated_at=utc_now(),
        organization=_group(list(results.values())),
        coaches=coaches,
        unassigned=_group([results[c] for c, assigned in assignments.items() if not assigned]),
    )
