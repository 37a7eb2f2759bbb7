"""A client's job-search activity, dated: the proof of effort a client hands to an
unemployment agency or an outplacement sponsor.

Rows come from three sources, three queries whatever the window holds: outreach (sent,
answered), interview stage changes, and hand-logged interactions (calls, meetings, …).
Descriptions are built from structured fields only: no free text (messages, summaries,
notes, coach notes) and no contact detail beyond a name, a role and a company.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import repository
from app.activity.schemas import (
    ACTIVITY_LABELS,
    HELD_LABELS,
    INTERACTION_ACTIVITIES,
    ActivityType,
)
from app.auth.principal import Principal
from app.core.time import utc_now
from app.models import Client
from app.models.enums import InteractionDirection, InteractionKind, RoleAtCompany
from app.models.pipeline import (
    InterviewKind,
    InterviewStage,
    OutreachChannel,
    OutreachPurpose,
    OutreachStatus,
)
from app.traction.dependencies import WindowQuery
from app.traction.service import Window, window_for


@dataclass(frozen=True, slots=True)
class ActivityRow:
    at: datetime
    day: date  # `at` in the window's time zone
    type: ActivityType
    company: str | None
    contact_name: str | None
    contact_role: RoleAtCompany | None
    description: str
    stage: InterviewStage | None = None  # the stage an interview row moved to


@dataclass(frozen=True, slots=True)
class ActivityReport:
    client_name: str
    window: Window
    generated_at: datetime
    rows: list[ActivityRow]


_CHANNELS: dict[OutreachChannel, str] = {
    OutreachChannel.email: "by email",
    OutreachChannel.phone: "by phone",
    OutreachChannel.linkedin: "on LinkedIn",
    OutreachChannel.in_person: "in person",
    OutreachChannel.introduction: "through an introduction",
}
_PURPOSES: dict[OutreachPurpose, str] = {
    OutreachPurpose.informational_interview: "informational interview request",
    OutreachPurpose.referral_request: "referral request",
    OutreachPurpose.follow_up: "follow-up",
    OutreachPurpose.application: "application",
}
_INTERACTIONS: dict[tuple[InteractionKind, InteractionDirection], str] = {
    (InteractionKind.meeting, InteractionDirection.outbound): "Met in person or by video",
    (InteractionKind.meeting, InteractionDirection.inbound): "Met in person or by video",
    (InteractionKind.call, InteractionDirection.outbound): "Called them",
    (InteractionKind.call, InteractionDirection.inbound): "They called",
    (InteractionKind.email, InteractionDirection.outbound): "Email sent",
    (InteractionKind.email, InteractionDirection.inbound): "Email received",
    (InteractionKind.linkedin_message, InteractionDirection.outbound): "Message sent",
    (InteractionKind.linkedin_message, InteractionDirection.inbound): "Message received",
    (InteractionKind.thank_you, InteractionDirection.outbound): "Thank-you sent",
    (InteractionKind.thank_you, InteractionDirection.inbound): "Thank-you received",
    (InteractionKind.intro_request, InteractionDirection.outbound): "Asked for an introduction",
    (InteractionKind.intro_request, InteractionDirection.inbound): "Asked to introduce someone",
}
_STAGES: dict[InterviewStage, str] = {
    InterviewStage.requested: "requested",
    InterviewStage.scheduled: "scheduled",
    InterviewStage.held: "held",
    InterviewStage.followed_up: "followed up",
    InterviewStage.cancelled: "cancelled",
    InterviewStage.no_show: "no-show",
    InterviewStage.offer: "offer received",
    InterviewStage.rejected: "rejected",
    InterviewStage.withdrawn: "withdrawn",
}
# Same instant: a step before its consequences (sent before answered, …).
_RANK: dict[str, int] = {"sent": 0, "answered": 1, "interview": 2, "interaction": 3}


async def activity_report(
    session: AsyncSession, principal: Principal, client: Client, *, window: WindowQuery
) -> ActivityReport:
    """Every activity of `client` in the window (the traction reports' window: whole days
    `[from, to)` in `tz`, by default the last 28 ending today), oldest first."""
    resolved = await window_for(
        session, principal, start=window.start, end=window.end, tz=window.tz
    )
    bounds = (resolved.starts_at, resolved.ends_at)
    ranked: list[tuple[datetime, int, ActivityRow]] = []

    def add(
        at: datetime,
        rank: str,
        row: Any,
        type_: ActivityType,
        description: str,
        stage: InterviewStage | None = None,
    ) -> None:
        ranked.append(
            (
                at,
                _RANK[rank],
                ActivityRow(
                    at=at,
                    day=at.astimezone(resolved.tz).date(),
                    type=type_,
                    company=row.company,
                    contact_name=row.contact_name,
                    contact_role=row.contact_role,
                    description=description,
                    stage=stage,
                ),
            )
        )

    for row in await repository.outreach_rows(session, principal, client.id, *bounds):
        purpose = _PURPOSES[row.purpose]
        if row.sent_at is not None and _within(row.sent_at, bounds):
            sent = f"Sent {_CHANNELS[row.channel]}: {purpose}"
            add(row.sent_at, "sent", row, ActivityType.outreach_sent, sent)
        if row.responded_at is not None and _within(row.responded_at, bounds):
            answer = "Declined" if row.status == OutreachStatus.declined else "Replied"
            add(
                row.responded_at,
                "answered",
                row,
                ActivityType.outreach_response,
                answer + ": " + purpose,
            )
    for row in await repository.stage_change_rows(session, principal, client.id, *bounds):
        kind = (
            ActivityType.job_interview
            if row.kind == InterviewKind.job
            else ActivityType.informational_interview
        )
        add(
            row.occurred_at,
            "interview",
            row,
            kind,
            _stage_description(row.from_stage, row.to_stage),
            row.to_stage,
        )
    for row in await repository.interaction_rows(session, principal, client.id, *bounds):
        described = _INTERACTIONS[(row.kind, row.direction)]
        add(row.occurred_at, "interaction", row, INTERACTION_ACTIVITIES[row.kind], described)

    # Stable: within a source and instant, the SQL order stands.
    ranked.sort(key=lambda item: (item[0], item[1]))
    return ActivityReport(
        client_name=client.full_name,
        window=resolved,
        generated_at=utc_now(),
        rows=[row for _, _, row in ranked],
    )


def summary(report: ActivityReport) -> list[tuple[str, int]]:
    """(label, count) by label: every row counts once, except an interview's steps, which
    count as one meeting when it was held (scheduled, held and followed up is 1)."""
    counts: Counter[str] = Counter()
    for row in report.rows:
        if row.type not in HELD_LABELS:
            counts[ACTIVITY_LABELS[row.type]] += 1
        elif row.stage == InterviewStage.held:  # stored stages read back as strings
            counts[HELD_LABELS[row.type]] += 1
    return sorted(counts.items())


def _within(moment: datetime, bounds: Sequence[datetime]) -> bool:
    return bounds[0] <= moment < bounds[1]


def _stage_description(from_stage: InterviewStage | None, to_stage: InterviewStage) -> str:
    now = _STAGES[to_stage]
    if from_stage is None:
        return now.capitalize()
    return f"{now.capitalize()} (was {_STAGES[from_stage]})"
