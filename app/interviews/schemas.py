import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, model_validator

from app.agenda.kinds import AgendaKindName
from app.contacts.schemas import ChainLink
from app.core.schemas import InputModel, WebUrl, not_nullable
from app.models.enums import RoleAtCompany
from app.models.pipeline import (
    InterviewFormat,
    InterviewKind,
    InterviewStage,
)
from app.outreach.schemas import Questions, TemplateIds

Rating = Annotated[int, Field(ge=1, le=5, description="How it went, 1 (badly) to 5.")]
Duration = Annotated[int, Field(ge=5, le=600, description="Minutes.")]
LongText = Annotated[str, Field(max_length=20_000)]


class InterviewCreate(InputModel):
    kind: InterviewKind = Field(examples=[InterviewKind.informational])
    contact_id: uuid.UUID | None = Field(
        default=None,
        description="The person met (same client); required for informational interviews.",
    )
    company_id: uuid.UUID | None = Field(default=None, description="Same client.")
    outreach_id: uuid.UUID | None = Field(
        default=None, description="The outreach it came from (same client)."
    )
    stage: InterviewStage | None = Field(
        default=None,
        description="Where it is now: informational `requested` (default), `scheduled`, "
        "`held`, `followed_up`, `cancelled` or `no_show`; job `scheduled` (default), `held`, "
        "`offer`, `rejected` or `withdrawn`. A later stage is reached from the first one "
        "the shortest way, each step recorded in `stage_history` and doing what its "
        "transition does (held: a `meeting` interaction and the companies engaged; "
        "followed up: a `thank_you` interaction), so a meeting that already happened is "
        "one request. Later moves go through `POST /interviews/{id}/transitions`.",
    )
    held_at: AwareDatetime | None = Field(
        default=None,
        description="When it was held, for a stage at or after `held` (default: now; not "
        "in the future): every step of its history is dated then.",
    )
    scheduled_at: AwareDatetime | None = None
    duration_minutes: Duration | None = Field(
        default=None, description="Defaults to 20 minutes for informational interviews."
    )
    format: InterviewFormat | None = None
    location: str | None = Field(
        default=None, max_length=500, description="Address, phone number or video link."
    )
    agenda: LongText | None = None
    questions: Questions = Field(default_factory=list)
    question_template_ids: TemplateIds = Field(default_factory=list)
    notes: LongText | None = None
    advice: LongText | None = Field(default=None, description="Advice received.")
    rating: Rating | None = None
    coach_notes: LongText | None = Field(
        default=None, description="Coach-only; the client role may not set or see it."
    )


class InterviewUpdate(InputModel):
    """Partial update of everything but the stage (use transitions for that)."""

    model_config = ConfigDict(json_schema_extra=not_nullable(["questions"]))

    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    outreach_id: uuid.UUID | None = None
    scheduled_at: AwareDatetime | None = None
    duration_minutes: Duration | None = None
    format: InterviewFormat | None = None
    location: str | None = Field(default=None, max_length=500)
    agenda: LongText | None = None
    questions: Questions | None = None
    notes: LongText | None = None
    advice: LongText | None = None
    rating: Rating | None = None
    thank_you_sent_at: AwareDatetime | None = None
    coach_notes: LongText | None = None

    @model_validator(mode="after")
    def _questions_are_not_cleared(self) -> "InterviewUpdate":
        if "questions" in self.model_fields_set and self.questions is None:
            raise ValueError("questions cannot be null; send [] to clear them")
        return self


class StageChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_stage: InterviewStage | None = Field(description="Null for the first stage.")
    to_stage: InterviewStage
    occurred_at: datetime = Field(description="When the step happened (`at`, default now).")
    changed_at: datetime = Field(description="When it was recorded.")
    changed_by_user_id: uuid.UUID | None
    changed_by_api_key_id: uuid.UUID | None
    note: str | None


class InterviewRead(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    outreach_id: uuid.UUID | None
    kind: InterviewKind
    stage: InterviewStage
    stage_changed_at: datetime
    allowed_next_stages: list[InterviewStage]
    scheduled_at: datetime | None
    duration_minutes: int | None
    format: InterviewFormat | None
    location: str | None
    agenda: str | None
    questions: list[str]
    notes: str | None
    advice: str | None
    rating: int | None
    held_at: datetime | None
    thank_you_sent_at: datetime | None
    coach_notes: str | None = Field(description="Coach-only; always null for the client role.")
    stage_history: list[StageChangeRead] = Field(description="Oldest first.")
    created_at: datetime
    updated_at: datetime


class OriginMeeting(BaseModel):
    """An informational interview held with someone on the chain."""

    id: uuid.UUID
    contact_id: uuid.UUID
    held_at: datetime


class InterviewOrigin(BaseModel):
    """Where an interview came from: the trail of introductions that led to its contact."""

    root: ChainLink = Field(description="The first-line contact the trail starts from.")
    chain: list[ChainLink] = Field(
        description="Root first, the interview's contact last (just the root when the "
        "contact is a root): the A → B → C → D trail of introductions."
    )
    informational_interviews: list[OriginMeeting] = Field(
        description="Informational interviews held with the people on the chain (this "
        "interview excepted), oldest first."
    )


class InterviewDetail(InterviewRead):
    """One interview as `GET /interviews/{interview_id}` returns it: with its origin."""

    origin: InterviewOrigin | None = Field(
        description="Attribution: null when the interview has no contact. Only the single "
        "read carries it; lists and writes leave it out, to stay cheap."
    )


class RootYield(BaseModel):
    """What one root contact's branch has produced (the root itself included)."""

    root_id: uuid.UUID
    full_name: str
    company_name: str | None
    descendants: int = Field(description="Contacts reached through this root.")
    informational_interviews_held: int = Field(
        description="Informational interviews held (or followed up) with anyone in the branch."
    )
    job_interviews: int = Field(
        description="Job interviews, at any stage, whose contact is in the branch."
    )
    offers: int = Field(description="Of those, the ones that reached `offer`.")


class ContactTreeYield(BaseModel):
    client_id: uuid.UUID
    roots: list[RootYield] = Field(
        description="Every root contact, most productive first: by offers, job interviews, "
        "informational interviews held, then descendants; ties by name."
    )


class TransitionCreate(InputModel):
    to_stage: InterviewStage = Field(examples=[InterviewStage.held])
    at: AwareDatetime | None = Field(
        default=None, description="When it happened (default: now); not in the future."
    )
    note: str | None = Field(default=None, max_length=2000)


class NewReferral(InputModel):
    full_name: str = Field(min_length=1, max_length=200, examples=["Sam Suggested"])
    email: EmailStr | None = None
    company_name: str | None = Field(default=None, max_length=200)
    company_id: uuid.UUID | None = Field(
        default=None, description="A target company of the same client."
    )
    role_at_company: RoleAtCompany | None = None
    title: str | None = Field(default=None, max_length=200)
    linkedin_url: WebUrl = None


class ReferralsCreate(InputModel):
    """People the interviewee suggested: new ones, existing contacts of the client, or both."""

    contacts: list[NewReferral] = Field(default_factory=list, max_length=50)
    existing_contact_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _at_least_one(self) -> "ReferralsCreate":
        if not self.contacts and not self.existing_contact_ids:
            raise ValueError("send at least one of `contacts` or `existing_contact_ids`")
        return self


ReferralResult = Literal["created", "reused", "moved", "already_referred"]


class ReferralOutcome(BaseModel):
    contact_id: uuid.UUID
    full_name: str
    depth: int
    outcome: ReferralResult = Field(
        description="`created`; `reused` (a new one matched an existing contact by email or "
        "LinkedIn and was moved under the interviewee); `moved` (an existing contact now "
        "hangs under the interviewee); `already_referred` (it already did)."
    )


class ReferralsRead(BaseModel):
    interview_id: uuid.UUID
    referred_by_id: uuid.UUID = Field(description="The interviewee: the new referrals' parent.")
    referrals: list[ReferralOutcome]


class BoardCard(BaseModel):
    id: uuid.UUID
    stage_changed_at: datetime
    scheduled_at: datetime | None
    contact_id: uuid.UUID | None
    contact_name: str | None
    company_id: uuid.UUID | None
    company_name: str | None


class BoardStage(BaseModel):
    stage: InterviewStage
    count: int
    oldest_since: datetime | None = Field(
        description="When the longest-waiting interview entered this stage."
    )
    oldest_age_hours: float | None = Field(description="Its age in this stage, in hours.")
    interviews: list[BoardCard] = Field(description="Longest-waiting first.")


class BoardLane(BaseModel):
    kind: InterviewKind
    stages: list[BoardStage] = Field(description="Every stage of this kind, in pipeline order.")


class PipelineBoard(BaseModel):
    client_id: uuid.UUID
    generated_at: datetime
    lanes: list[BoardLane]


class NextAction(BaseModel):
    id: str = Field(description="The agenda item's id (`PUT /agenda/items/{item_id}/state`).")
    rank: int = Field(description="1 is the most urgent.")
    kind: AgendaKindName
    reason: str
    suggested_step: str
    since: datetime = Field(description="What the action counts from (`basis_at` on the agenda).")
    due_at: datetime
    priority: int = Field(ge=0, le=100)
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    interview_id: uuid.UUID | None = None
    outreach_id: uuid.UUID | None = None


class NextActionThresholds(BaseModel):
    thank_you_after_hours: int
    outreach_follow_up_after_days: int
    cold_after_days: int
    stalled_after_days: int


class NextActions(BaseModel):
    client_id: uuid.UUID
    generated_at: datetime
    thresholds: NextActionThresholds
    actions: list[NextAction]
