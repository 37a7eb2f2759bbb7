import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from app.agenda.kinds import AgendaKindName, SubjectType
from app.core.schemas import InputModel
from app.models.agenda import AgendaItemStatus

ITEM_ID_DESCRIPTION = (
    "Stable while the item's condition holds: `<kind>.<subject id>`, e.g. "
    "`send_thank_you.3f1c…` (the interview), `client_stalled.<client id>`."
)


class AgendaClient(BaseModel):
    id: uuid.UUID
    full_name: str


class AgendaSubject(BaseModel):
    """What the item is about."""

    type: SubjectType
    id: uuid.UUID
    name: str | None = Field(description="The contact's, company's or client's name.")


class AgendaItem(BaseModel):
    id: str = Field(description=ITEM_ID_DESCRIPTION, examples=["follow_up_due.0b0f…"])
    rank: int = Field(description="1 is the first thing to do (see the list's ranking).")
    kind: AgendaKindName
    client: AgendaClient
    subject: AgendaSubject
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    interview_id: uuid.UUID | None
    outreach_id: uuid.UUID | None
    basis_at: datetime = Field(
        description="What the item counts from: the meeting (held or planned), the last "
        "touch, the send, the planned follow-up, the contact's or company's creation, the "
        "client's last movement."
    )
    due_at: datetime
    overdue: bool
    priority: int = Field(ge=0, le=100, description="How much it matters, 0 to 100.")
    reason: str = Field(description="Why it is on the agenda, in one line.")
    suggested_step: str
    questions: list[str] | None = Field(
        default=None, description="For meetings: the questions prepared for it."
    )


class AgendaPage(BaseModel):
    data: list[AgendaItem]
    next_cursor: str | None
    generated_at: datetime


class AgendaItemStateUpdate(InputModel):
    """What the caller did with an item: it leaves their agenda until its condition
    arises again (`done`), until `snoozed_until` (`snoozed`), or for good (`dismissed`)."""

    status: AgendaItemStatus = Field(examples=[AgendaItemStatus.done])
    snoozed_until: AwareDatetime | None = Field(
        default=None,
        description="Required with `snoozed`, in the future and within a year; refused otherwise.",
    )

    @model_validator(mode="after")
    def _until_goes_with_snoozed(self) -> "AgendaItemStateUpdate":
        snoozed = self.status is AgendaItemStatus.snoozed
        if snoozed and self.snoozed_until is None:
            raise ValueError("`snoozed` needs `snoozed_until`")
        if not snoozed and self.snoozed_until is not None:
            raise ValueError("`snoozed_until` goes only with `snoozed`")
        return self


class AgendaItemStateRead(BaseModel):
    item_id: str = Field(description=ITEM_ID_DESCRIPTION)
    kind: AgendaKindName
    subject_id: uuid.UUID
    client_id: uuid.UUID
    status: AgendaItemStatus
    basis_at: datetime | None = Field(description="The item's `basis_at` when answered.")
    snoozed_until: datetime | None
    updated_at: datetime
