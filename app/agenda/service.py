"""The coach's week: every open item across the caller's clients, ranked, and the
caller's answers to them (done, snoozed, dismissed).

**Ranking.** Each item has a priority (`app.agenda.kinds.priority`). Within a client,
items are ordered by priority; each item then loses `FAIR_SHARE_STEP` points for every
item of the same client ranked before it, so the busiest client's tenth item does not
push an idle client's only item (a stall, no first-line contacts) off the first page.
The list is ordered by that share-adjusted priority, then by due date, then by id.

The per-client next actions and the caseload's count are this same computation,
narrowed to one client or counted per client (`counts_by_client`).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import repository
from app.agenda.kinds import KINDS, AgendaKindName, Thresholds, Wording, priority
from app.agenda.schemas import AgendaClient, AgendaItem, AgendaItemStateRead, AgendaSubject
from app.agenda.scope import (
    OUTREACH_FOLLOW_UP_AFTER,
    THANK_YOU_AFTER,
    Asked,
    Cutoffs,
)
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound, Unprocessable
from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.core.time import utc_now
from app.models import AgendaItemState, AgendaItemStatus, Organization
from app.models.enums import ClientStatus

FAIR_SHARE_STEP = 10
MAX_SNOOZE = timedelta(days=366)
ALL_KINDS: tuple[AgendaKindName, ...] = get_args(AgendaKindName)


def kinds_for(
    principal: Principal, asked: Sequence[AgendaKindName] | None = None
) -> tuple[AgendaKindName, ...]:
    """The kinds asked for (all by default) that the caller may see: the client role
    never sees what is about them rather than for them."""
    chosen = ALL_KINDS if not asked else tuple(k for k in ALL_KINDS if k in asked)
    if principal.is_client:
        chosen = tuple(k for k in chosen if not KINDS[k].staff_only)
    return chosen


def thresholds(organization: Organization) -> Thresholds:
    return Thresholds(
        thank_you_after=THANK_YOU_AFTER,
        outreach_follow_up_after=OUTREACH_FOLLOW_UP_AFTER,
        cold_after=timedelta(days=organization.cold_after_days),
        stalled_after=timedelta(days=organization.stalled_after_days),
    )


def item_id(kind: str, subject_id: uuid.UUID) -> str:
    return f"{kind}.{subject_id}"


@dataclass(slots=True)
class Candidate:
    """An open item before it is worded: what ranking needs (building every item's
    response model for a long agenda cost more than the query)."""

    row: Any  # `repository.open_items`' columns
    id: str
    due_at: datetime
    priority: int
    share: int = 0  # priority less the fair-share step per earlier item of its client
    rank: int = 0

    def key(self) -> tuple[int, datetime, str]:
        return (-self.share, self.due_at, self.id)


def _candidate(row: Any, due_after: dict[AgendaKindName, timedelta], now: datetime) -> Candidate:
    kind: AgendaKindName = row.kind
    due_at = row.basis_at + due_after[kind]
    return Candidate(
        row=row,
        id=f"{kind}.{row.subject_id}",
        due_at=due_at,
        priority=priority(kind, due_at, now, row.rank_hint),
    )


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """The agenda's order (see the module docstring), with `rank` set from 1."""
    by_client: dict[uuid.UUID, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_client[candidate.row.client_id].append(candidate)
    for client_candidates in by_client.values():
        client_candidates.sort(key=lambda c: (-c.priority, c.due_at, c.id))
        for position, candidate in enumerate(client_candidates):
            candidate.share = candidate.priority - FAIR_SHARE_STEP * position
    ranked = sorted(candidates, key=Candidate.key)
    for position, candidate in enumerate(ranked, start=1):
        candidate.rank = position
    return ranked


@dataclass(frozen=True, slots=True)
class AgendaFilters:
    client_id: uuid.UUID | None = None
    coach_id: uuid.UUID | None = None
    kinds: tuple[AgendaKindName, ...] = ()
    due_after: datetime | None = None
    due_before: datetime | None = None


async def ranked_candidates(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    filters: AgendaFilters,
    *,
    now: datetime,
) -> list[Candidate]:
    """Every open item the filters select, ranked: one statement."""
    asked = Asked(
        principal,
        kinds_for(principal, filters.kinds),
        client_id=filters.client_id,
        coach_id=filters.coach_id,
        # The caseload's agenda is the active clients'; one client's is always its own.
        status=ClientStatus.active if filters.client_id is None else None,
    )
    limits = thresholds(organization)
    rows = await repository.open_items(session, asked, Cutoffs.at(now, organization))
    due_after = {kind: KINDS[kind].due_after(limits) for kind in asked.kinds}
    candidates = [_candidate(row, due_after, now) for row in rows]
    return rank(
        [
            c
            for c in candidates
            if (filters.due_after is None or c.due_at >= filters.due_after)
            and (filters.due_before is None or c.due_at < filters.due_before)
        ]
    )


async def items(
    session: AsyncSession,
    organization: Organization,
    candidates: Sequence[Candidate],
    *,
    now: datetime,
) -> list[AgendaItem]:
    """The candidates worded as the API returns them, with the questions prepared for
    the meetings among them (one query)."""
    meetings = [c.row.interview_id for c in candidates if c.row.kind == "prepare_for_meeting"]
    questions = await repository.meeting_questions(session, meetings)
    return [_item(c, organization, now, questions) for c in candidates]


def _item(
    candidate: Candidate,
    organization: Organization,
    now: datetime,
    questions: dict[uuid.UUID, list[str]],
) -> AgendaItem:
    row = candidate.row
    kind: AgendaKindName = row.kind
    spec = KINDS[kind]
    client_name = row.client_name
    subject_name = client_name if spec.subject == "client" else row.subject_name
    wording = Wording(
        subject=subject_name or "them",
        client=client_name,
        basis_at=row.basis_at,
        due_at=candidate.due_at,
        now=now,
        cold_after_days=organization.cold_after_days,
    )
    return AgendaItem(
        id=candidate.id,
        rank=candidate.rank,
        kind=kind,
        client=AgendaClient(id=row.client_id, full_name=client_name),
        subject=AgendaSubject(type=spec.subject, id=row.subject_id, name=subject_name),
        contact_id=row.contact_id,
        company_id=row.company_id,
        interview_id=row.interview_id,
        outreach_id=row.outreach_id,
        basis_at=row.basis_at,
        due_at=candidate.due_at,
        overdue=candidate.due_at < now,
        priority=candidate.priority,
        reason=spec.reason(wording),
        suggested_step=spec.step(wording),
        questions=questions.get(row.interview_id, []) if kind == "prepare_for_meeting" else None,
    )


def page(ranked: list[Candidate], params: PageParams) -> tuple[list[Candidate], str | None]:
    """A keyset page of the ranked list: the cursor is the last item's ordering values."""
    if params.cursor is not None:
        share, due_at, last_id = decode_cursor(params.cursor, 3)
        if not (
            type(share) is int
            and isinstance(due_at, datetime)
            and due_at.tzinfo is not None
            and isinstance(last_id, str)
        ):
            raise Unprocessable("The cursor is not valid for this list.", parameter="cursor")
        after = (-share, due_at, last_id)
        ranked = [c for c in ranked if c.key() > after]
    chosen = ranked[: params.limit]
    if len(ranked) <= params.limit or not chosen:
        return chosen, None
    last = chosen[-1]
    return chosen, encode_cursor([last.share, last.due_at, last.id])


async def counts_by_client(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    *,
    coach_id: uuid.UUID | None,
    status: ClientStatus | None,
    now: datetime,
) -> dict[uuid.UUID, int]:
    """How many open items each client the caller may see (one coach's, of one status)
    has on the caller's agenda: the agenda's statement, counted in the database."""
    asked = Asked(principal, kinds_for(principal), coach_id=coach_id, status=status)
    return await repository.count_by_client(session, asked, Cutoffs.at(now, organization))


def _parse_item_id(value: str) -> tuple[AgendaKindName, uuid.UUID]:
    kind, _, subject = value.partition(".")
    try:
        subject_id = uuid.UUID(subject)
    except ValueError:
        subject_id = None
    if kind not in KINDS or subject_id is None:
        raise NotFound("No agenda item with this id.")
    return kind, subject_id


def state_read(answer: AgendaItemState) -> AgendaItemStateRead:
    return AgendaItemStateRead(
        item_id=item_id(answer.kind, answer.subject_id),
        kind=answer.kind,
        subject_id=answer.subject_id,
        client_id=answer.client_id,
        status=answer.status,
        basis_at=answer.basis_at,
        snoozed_until=answer.snoozed_until,
        updated_at=answer.updated_at,
    )


def _require_member(principal: Principal) -> uuid.UUID:
    if principal.user_id is None:  # the route refuses API keys first; this is for mypy
        raise Forbidden("Agenda answers belong to a member's login.")
    return principal.user_id


async def set_state(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    raw_item_id: str,
    *,
    status: AgendaItemStatus,
    snoozed_until: datetime | None,
) -> AgendaItemState:
    """Record the caller's answer to an item on their agenda now (answered before or
    not); 404 for an item that is not on it. One answer per user and item: a new one
    replaces it. The audit log records it (an audited model)."""
    user_id = _require_member(principal)
    kind, subject_id = _parse_item_id(raw_item_id)
    now = utc_now()
    if snoozed_until is not None and not now < snoozed_until <= now + MAX_SNOOZE:
        raise Unprocessable(
            "`snoozed_until` must be in the future and within a year.",
            errors=[{"loc": ["body", "snoozed_until"], "msg": "out of range", "type": "snooze"}],
        )
    asked = Asked(principal, tuple(k for k in kinds_for(principal) if k == kind))
    row = await repository.one_item(session, asked, Cutoffs.at(now, organization), subject_id)
    if row is None:
        raise NotFound("No agenda item with this id (its condition may have passed).")
    state = await repository.get_answer(session, principal, kind, subject_id)
    if state is None:
        state = AgendaItemState(
            organization_id=principal.organization_id,
            user_id=user_id,
            client_id=row.client_id,
            kind=kind,
            subject_id=subject_id,
        )
        session.add(state)
    state.status = status
    state.basis_at = row.basis_at
    state.snoozed_until = snoozed_until
    await session.flush()
    return state


async def clear_state(session: AsyncSession, principal: Principal, raw_item_id: str) -> None:
    """Forget the caller's answer, so the item shows again if its condition holds; 404
    when the caller has none for it."""
    _require_member(principal)
    kind, subject_id = _parse_item_id(raw_item_id)
    state = await repository.get_answer(session, principal, kind, subject_id)
    if state is None:
        raise NotFound("You have not answered this agenda item.")
    await session.delete(state)
    await session.flush()
