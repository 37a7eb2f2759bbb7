import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.schemas import InputModel, not_nullable, refuse_cleared
from app.models.pipeline import OutreachChannel, OutreachPurpose, OutreachStatus

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Questions = Annotated[
    list[Question],
    Field(
        max_length=30,
        description="The questions asked (copy them from the question bank if you like).",
        examples=[["What does a good first year look like on your team?"]],
    ),
]
TemplateIds = Annotated[
    list[uuid.UUID],
    Field(
        max_length=30,
        description="Question-bank templates whose text is appended to `questions`.",
    ),
]
StatusAt = Annotated[
    AwareDatetime | None,
    Field(
        description="When the status change happened (default: now); sets `sent_at` or "
        "`responded_at`. Back-dating is fine; the future is not.",
    ),
]


class OutreachCreate(InputModel):
    contact_id: uuid.UUID = Field(description="A contact of the same client.")
    company_id: uuid.UUID | None = Field(default=None, description="A company of the same client.")
    channel: OutreachChannel = Field(examples=[OutreachChannel.email])
    purpose: OutreachPurpose = Field(examples=[OutreachPurpose.informational_interview])
    subject: str | None = Field(default=None, max_length=300, examples=["20 minutes of advice?"])
    message: str | None = Field(default=None, max_length=20_000)
    questions: Questions = Field(default_factory=list)
    question_template_ids: TemplateIds = Field(default_factory=list)
    status: OutreachStatus = Field(
        default=OutreachStatus.draft,
        description="`draft`, or `sent` to record it as already sent.",
    )
    status_at: StatusAt = None


_NOT_NULLABLE = ("channel", "purpose", "questions", "status")


class OutreachUpdate(InputModel):
    """Partial update. `status` moves draft → sent → responded | declined | no_response
    (no_response → responded | declined for a late answer); anything else is a 409."""

    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE))

    company_id: uuid.UUID | None = None
    channel: OutreachChannel | None = None
    purpose: OutreachPurpose | None = None
    subject: str | None = Field(default=None, max_length=300)
    message: str | None = Field(default=None, max_length=20_000)
    questions: Questions | None = None
    status: OutreachStatus | None = None
    status_at: StatusAt = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> "OutreachUpdate":
        refuse_cleared(self, _NOT_NULLABLE)
        return self


class OutreachRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    contact_id: uuid.UUID
    company_id: uuid.UUID | None
    channel: OutreachChannel
    purpose: OutreachPurpose
    subject: str | None
    message: str | None
    questions: list[str]
    status: OutreachStatus
    sent_at: datetime | None = Field(description="Set when the status moves to `sent`.")
    responded_at: datetime | None = Field(
        description="Set when the status moves to `responded` or `declined`."
    )
    created_at: datetime
    updated_at: datetime
