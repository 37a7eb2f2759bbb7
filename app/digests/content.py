"""What a digest says, read with the member's own door: a coach sees its clients, a
client itself, owners and admins the organization (capped).

* Staff: the top agenda items of each client (`ITEMS_PER_CLIENT`, for the
  `MAX_CLIENTS` clients whose best item ranks highest: the agenda's own ranking), the
  active clients stalled now, the clients whose contacts went cold since the previous
  period began, and the meetings of the next 7 days.
* A client: its own next steps (its agenda, which never shows it what is about it
  rather than for it), its meetings of the next 7 days, and its wins since the previous
  period began: replies to outreach, meetings held, referrals.

`None` when there is nothing to say: the period is settled without a message.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import service as agenda_service
from app.agenda.schemas import AgendaItem
from app.auth.principal import Principal
from app.digests import periods, repository
from app.models import Organization, User

ITEMS_PER_CLIENT = 3
MAX_CLIENTS = 10
CLIENT_STEPS = 5
MAX_STALLED = 10
MAX_COLD = 10
MAX_MEETINGS = 15
MEETINGS_AHEAD = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Digest:
    template: str
    subject: str
    context: dict[str, Any]


def _when(instant: datetime, schedule: periods.Schedule) -> str:
    local = instant.astimezone(periods.zone(schedule.timezone))
    return local.strftime("%a %d %b, %H:%M")


def _meeting(row: Any, schedule: periods.Schedule, *, for_client: bool) -> dict[str, Any]:
    kind = "job interview" if str(row.kind) == "job" else "informational interview"
    with_whom = ", ".join(n for n in (row.contact_name, row.company_name) if n)
    return {
        "when": _when(row.scheduled_at, schedule),
        "what": kind + (f" with {with_whom}" if with_whom else ""),
        "client": None if for_client else row.client_name,
    }


def _step(item: AgendaItem) -> dict[str, Any]:
    return {"reason": item.reason, "step": item.suggested_step, "overdue": item.overdue}


async def _top_items(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    *,
    now: datetime,
    per_client: int,
    max_clients: int,
) -> list[AgendaItem]:
    """The agenda's first items per client, for the clients ranked first."""
    ranked = await agenda_service.ranked_candidates(
        session, principal, organization, agenda_service.AgendaFilters(), now=now
    )
    taken: dict[Any, int] = defaultdict(int)
    chosen = []
    for candidate in ranked:
        client_id = candidate.row.client_id
        if client_id not in taken and len(taken) >= max_clients:
            continue
        if taken[client_id] < per_client:
            taken[client_id] += 1
            chosen.append(candidate)
    return await agenda_service.items(session, organization, chosen, now=now)


async def _staff(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    schedule: periods.Schedule,
    period: periods.Period,
    now: datetime,
) -> dict[str, Any] | None:
    items = await _top_items(
        session,
        principal,
        organization,
        now=now,
        per_client=ITEMS_PER_CLIENT,
        max_clients=MAX_CLIENTS,
    )
    clients: dict[Any, dict[str, Any]] = {}
    for item in items:
        entry = clients.setdefault(item.client.id, {"name": item.client.full_name, "items": []})
        entry["items"].append(_step(item))
    stalled = await repository.stalled_clients(
        session, principal, now=now, days=organization.stalled_after_days, limit=MAX_STALLED
    )
    cold = await repository.newly_cold(
        session,
        principal,
        since=period.previous_start,
        now=now,
        cold_after_days=organization.cold_after_days,
        limit=MAX_COLD,
    )
    meetings = await repository.meetings(
        session, principal, start=now, end=now + MEETINGS_AHEAD, limit=MAX_MEETINGS
    )
    if not (clients or stalled or cold or meetings):
        return None
    return {
        "clients": list(clients.values()),
        "stalled": [
            {"name": row.full_name, "days": max((now - row.quiet_since).days, 0)} for row in stalled
        ],
        "cold": [{"name": row.client_name, "count": int(row.count)} for row in cold],
        "meetings": [_meeting(row, schedule, for_client=False) for row in meetings],
        "stalled_after_days": organization.stalled_after_days,
        "cold_after_days": organization.cold_after_days,
    }


async def _client(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    schedule: periods.Schedule,
    period: periods.Period,
    now: datetime,
) -> dict[str, Any] | None:
    assert principal.client_id is not None
    items = await _top_items(
        session, principal, organization, now=now, per_client=CLIENT_STEPS, max_clients=1
    )
    meetings = await repository.meetings(
        session, principal, start=now, end=now + MEETINGS_AHEAD, limit=MAX_MEETINGS
    )
    replies, held, referrals = await repository.wins(
        session, principal.client_id, since=period.previous_start, now=now
    )
    if not (items or meetings or replies or held or referrals):
        return None
    return {
        "steps": [_step(item) for item in items],
        "meetings": [_meeting(row, schedule, for_client=True) for row in meetings],
        "wins": {"replies": replies, "held": held, "referrals": referrals},
        "has_wins": bool(replies or held or referrals),
    }


async def build(
    session: AsyncSession,
    principal: Principal,
    organization: Organization,
    user: User,
    schedule: periods.Schedule,
    period: periods.Period,
    *,
    now: datetime,
) -> Digest | None:
    """The member's digest for `period`, or None when it would be empty."""
    span = "today" if schedule.step == 1 else "this week"
    common = {
        "full_name": user.full_name,
        "organization_name": organization.name,
        "span": span,
        "since": _when(period.previous_start, schedule),
        "timezone": schedule.timezone,
    }
    if principal.is_client:
        context = await _client(session, principal, organization, schedule, period, now)
        template, subject = "digest_client", f"Your search {span}: next steps and wins"
    else:
        context = await _staff(session, principal, organization, schedule, period, now)
        template, subject = "digest_coach", f"Your caseload {span} at {organization.name}"
    if context is None:
        return None
    return Digest(template=template, subject=subject, context={**common, **context})
