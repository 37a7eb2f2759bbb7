"""The pipeline board and the ranked next actions: read-only views over a client's search.

Both are built from a fixed number of queries whatever the client's size; next actions
are the client's part of the agenda (`app.agenda`).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.agenda import service as agenda_service
from app.auth.principal import Principal
from app.core.time import utc_now
from app.interviews import repository
from app.interviews.schemas import (
    BoardCard,
    BoardLane,
    BoardStage,
    NextAction,
    NextActions,
    NextActionThresholds,
    PipelineBoard,
)
from app.interviews.stages import TRANSITIONS
from app.models import Client
from app.models.pipeline import InterviewKind, InterviewStage
from app.organizations.service import get_organization


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
    """The client's items of the caller's agenda (`app.agenda`), in the agenda's order:
    the same computation as `GET /agenda?client_id=`, its first `limit` items."""
    now = utc_now()
    settings = await get_organization(session, principal)
    filters = agenda_service.AgendaFilters(client_id=client.id)
    ranked = await agenda_service.ranked_candidates(session, principal, settings, filters, now=now)
    items = await agenda_service.items(session, settings, ranked[:limit], now=now)
    limits = agenda_service.thresholds(settings)
    return NextActions(
        client_id=client.id,
        generated_at=now,
        thresholds=NextActionThresholds(
            thank_you_after_hours=int(limits.thank_you_after.total_seconds() // 3600),
            outreach_follow_up_after_days=limits.outreach_follow_up_after.days,
            cold_after_days=settings.cold_after_days,
            stalled_after_days=settings.stalled_after_days,
        ),
        actions=[
            NextAction(
                id=item.id,
                rank=item.rank,
                kind=item.kind,
                reason=item.reason,
                suggested_step=item.suggested_step,
                since=item.basis_at,
                due_at=item.due_at,
                priority=item.priority,
                contact_id=item.contact_id,
                company_id=item.company_id,
                interview_id=item.interview_id,
                outreach_id=item.outreach_id,
            )
            for item in items
        ],
    )
