import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.core.schemas import InputModel
from app.models.enums import InteractionDirection, InteractionKind

MAX_SUMMARY_LENGTH = 5000


class InteractionCreate(InputModel):
    kind: InteractionKind = Field(examples=[InteractionKind.call])
    direction: InteractionDirection = InteractionDirection.outbound
    occurred_at: AwareDatetime | None = Field(
        default=None,
        description="When it happened (RFC 3339 with offset); defaults to now. Back-dating "
        "is fine; more than 5 minutes in the future is refused.",
    )
    summary: str | None = Field(
        default=None,
        max_length=MAX_SUMMARY_LENGTH,
        examples=["20 minutes on their team's hiring plans; suggested I talk to Sam."],
    )


class InteractionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    contact_id: uuid.UUID
    kind: InteractionKind
    direction: InteractionDirection
    occurred_at: datetime
    summary: str | None
    created_by_id: uuid.UUID | None = Field(description="The member who logged it, if any.")
    created_at: datetime
