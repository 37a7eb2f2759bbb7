"""The pipeline board and the ranked next actions: read-only views over a client's search.

Both are built from a fixed number of queries whatever the client's size.
"""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.contacts.repository import organization
from app.core.time import utc_now
from app.interviews import repository
from app.interviews.repository import OUTREACH_FOLLOW_UP_AFTER, THANK_YOU_AFTER, ActionCutoffs
from app.interviews.schemas import (
    BoardCard,
    BoardLane,
    BoardStage,
    NextAction,
    NextActionKind,
    NextActions,
    NextActionThresholds,
    PipelineBoard,
)
from app.interviews.service import TRANSITIONS
from app.models import Client
from app.models.pipeline import InterviewKind, InterviewStage

# Most urgent first: a late thank-you costs the impression the meeting made; a company
# without a contact is the start of a long road.
URGENCY: tuple[NextActionKind, ...] = (
    "send_thank_you",
    "follow_up_due",
    "follow_up_outreach",
    "ask_for_referral",
    "contact_turning_cold",
    "ask_root_for_people",
    "find_person_at_company",
)


async def pipeline(session: AsyncSession, client: Client) -> PipelineBoard:
    """Interviews by kind and stage (every stage listed, in pipeline order), each stage
    with its count, its longest-waiting interview's age and its cards; two queries."""
    now = utc_now()
    counts = {
        (kind, stage): (count, oldest)
        for kind, stage, count, oldest in await repository.board_counts(session, client.id)
    }
    cards: dict[tuple[InterviewKind, InterviewStage], list[BoardCard]] = {}
    for row in await repository.board_cards(session, client.id):
        cards.setdefault((row.kind, row.stage), []).append(
            BoardCard(
                id=row.id,
                stage_changed_at=row.stage_changed_at,
                scheduled_at=row.scheduled_at,
                contact_id=row.contact_id,
                contact_name=row.full_name,
                company_id=row.company_id,
                company_name=row.name,
            )
        )
    lanes = []
    for kind, stages in TRANSITIONS.items():
        lane = []
        for stage in stages:
            count, oldest = counts.get((kind, stage), (0, None))
            lane.append(
                BoardStage(
                    stage=stage,
                    count=count,
                    oldest_since=oldest,
                    oldest_age_hours=None
                    if oldest is None
                    else round((now - oldest).total_seconds() / 3600, 1),
                    interviews=cards.get((kind, stage), []),
                )
            )
        lanes.append(BoardLane(kind=kind, stages=lane))
    return PipelineBoard(client_id=client.id, generated_at=now, lanes=lanes)


async def next_actions(
    session: AsyncSession, principal: Principal, client: Client, *, limit: int
) -> NextActions:
    """What to do now, most urgent kind first and, within a kind, longest overdue first;
    each action says why and which objects it concerns. One query per kind of action."""
    now = utc_now()
    cold_after_days = (await organization(session, principal)).cold_after_days
    at = ActionCutoffs.at(now, cold_after_days)
    found: dict[NextActionKind, list[NextAction]] = {kind: [] for kind in URGENCY}

    def add(
        kind: NextActionKind,
        reason: str,
        since: datetime | None,
        *,
        contact_id: uuid.UUID | None = None,
        company_id: uuid.UUID | None = None,
        interview_id: uuid.UUID | None = None,
        outreach_id: uuid.UUID | None = None,
    ) -> None:
        found[kind].append(
            NextAction(
                rank=0,
                kind=kind,
                reason=reason,
                since=since,
                contact_id=contact_id,
                company_id=company_id,
                interview_id=interview_id,
                outreach_id=outreach_id,
            )
        )

    cid = client.id
    for row in await repository.thank_yous_due(session, cid, at, limit):
        add(
            "send_thank_you",
            f"You met {row.full_name or 'them'} more than 24 hours ago and have not "
            "sent a thank-you yet.",
            row.held_at,
            interview_id=row.id,
            contact_id=row.contact_id,
        )
    for row in await repository.follow_ups_due(session, cid, at, limit):
        add(
            "follow_up_due",
            f"The follow-up you planned with {row.full_name} is due.",
            row.next_follow_up_at,
            contact_id=row.id,
        )
    follow_up_days = OUTREACH_FOLLOW_UP_AFTER.days
    for row in await repository.unanswered_outreach(session, cid, at, limit):
        add(
            "follow_up_outreach",
            f"{row.full_name} has not answered in more than {follow_up_days} days; follow up.",
            row.sent_at,
            outreach_id=row.id,
            contact_id=row.contact_id,
        )
    for row in await repository.meetings_without_referrals(session, cid, at, limit):
        add(
            "ask_for_referral",
            f"Your meeting with {row.full_name} has not yielded a name yet; ask whom else "
            "you should talk to.",
            row.held_at,
            interview_id=row.id,
            contact_id=row.contact_id,
        )
    for row in await repository.contacts_cooling(session, cid, at, limit):
        add(
            "contact_turning_cold",
            f"{row.full_name} is turning cold; get back in touch before {cold_after_days} "
            "days pass.",
            row.last_contacted_at,
            contact_id=row.id,
        )
    for row in await repository.warm_roots_without_referrals(session, cid, at, limit):
        add(
            "ask_root_for_people",
            f"{row.full_name} knows you well and has introduced no one yet; ask for people "
            "they know.",
            row.last_contacted_at,
            contact_id=row.id,
        )
    for row in await repository.companies_without_people(session, cid, at, limit):
        add(
            "find_person_at_company",
            f"No contact at {row.name} yet; find the person to talk to (a potential boss "
            "or a would-be colleague).",
            row.created_at,
            company_id=row.id,
        )
    ranked = [action for kind in URGENCY for action in found[kind]][:limit]
    for rank, action in enumerate(ranked, start=1):
        action.rank = rank
    return NextActions(
        client_id=client.id,
        generated_at=now,
        thresholds=NextActionThresholds(
            thank_you_after_hours=int(THANK_YOU_AFTER.total_seconds() // 3600),
            outreach_follow_up_after_days=follow_up_days,
            cold_after_days=cold_after_days,
        ),
        actions=ranked,
    )
