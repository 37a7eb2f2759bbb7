import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.models.enums import ClientStatus
from app.traction.schemas import TractionWindow

CaseloadSort = Literal[
    "name",
    "-name",
    "score",
    "-score",
    "score_change",
    "-score_change",
    "days_since_movement",
    "-days_since_movement",
    "outreach_sent",
    "-outreach_sent",
    "referrals",
    "-referrals",
    "next_action_count",
    "-next_action_count",
]


class CaseloadRow(BaseModel):
    client_id: uuid.UUID
    full_name: str
    status: ClientStatus
    coach_ids: list[uuid.UUID]
    outreach_sent: int
    responses: int
    response_rate: float | None
    informational_held: int
    job_interviews_held: int
    referrals: int
    score: int = Field(description="The traction score of the window (see `traction_get`).")
    previous_score: int = Field(description="The score of the window of equal length before.")
    score_change: int = Field(description="score - previous_score.")
    stalled: bool
    last_moving_event_at: datetime | None
    days_since_movement: int = Field(
        description="Whole days since the last moving event (or since the client was added)."
    )
    next_action_count: int = Field(
        description="How many items the client has on the caller's agenda now (`agenda_list` "
        "with `client_id`, or `next_actions_list` unlimited: the same computation)."
    )
    offers: int = Field(description="Job interviews that reached `offer` in the window.")
    cold_contacts: int = Field(
        description="Contacts cold now: last touched more than the organization's "
        "`cold_after_days` ago (the network gone cold; traction's `contacts_gone_cold` "
        "counts the crossings of one window instead)."
    )
    next_meeting_at: datetime | None = Field(
        description="The earliest future `scheduled_at` of the client's interviews still "
        "`scheduled`; null when none is planned."
    )
    next_meeting_interview_id: uuid.UUID | None = Field(
        description="The interview of `next_meeting_at`."
    )


class CaseloadPage(Page[CaseloadRow]):
    window: TractionWindow
    previous_window: TractionWindow
    generated_at: datetime


class HeadlineTotals(BaseModel):
    outreach_sent: int
    responses: int
    informational_held: int
    job_interviews_held: int
    referrals: int
    offers: int


class HeadlineMedians(BaseModel):
    """Medians over the group's active clients; null when it has none."""

    outreach_sent: float | None
    responses: float | None
    informational_held: float | None
    job_interviews_held: float | None
    referrals: float | None
    offers: float | None
    score: float | None


FunnelStepName = Literal[
    "outreach_sent",
    "responses",
    "informational_held",
    "referrals",
    "job_interviews_held",
    "offers",
]


class FunnelStep(BaseModel):
    step: FunnelStepName
    count: int
    conversion: float | None = Field(
        description="count ÷ the previous step's count (both counted in the window); null "
        "for the first step or when the previous step is 0."
    )


class GroupReport(BaseModel):
    clients: int = Field(description="Clients in the group, whatever their status.")
    active_clients: int
    stalled_clients: int
    totals: HeadlineTotals = Field(description="Over every client of the group.")
    medians: HeadlineMedians
    funnel: list[FunnelStep] = Field(
        description="outreach → response → informational interview held → referral → job "
        "interview held → offer."
    )


class CoachReport(GroupReport):
    coach_id: uuid.UUID
    full_name: str


class OrganizationReport(BaseModel):
    window: TractionWindow
    generated_at: datetime
    organization: GroupReport = Field(description="Every client of the organization.")
    coaches: list[CoachReport] = Field(
        description="Per coach (every member with the coach role, and anyone assigned to a "
        "client), over the clients assigned to them; by name."
    )
    unassigned: GroupReport = Field(description="Clients without a coach.")
