import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from app.core.schemas import InputModel, not_nullable, refuse_cleared
from app.models.enums import ClientStatus

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TextList = Annotated[list[ShortText], Field(max_length=50)]
WeeklyGoal = Annotated[int, Field(ge=0, le=1000)]


class ClientCreate(InputModel):
    full_name: str = Field(min_length=1, max_length=200, examples=["Grace Hopper"])
    email: EmailStr | None = None
    headline: str | None = Field(default=None, max_length=300)
    target_roles: TextList = Field(default_factory=list, examples=[["Engineering manager"]])
    target_industries: TextList = Field(default_factory=list, examples=[["Fintech"]])
    locations: TextList = Field(default_factory=list, examples=[["Berlin", "Remote"]])
    status: ClientStatus = ClientStatus.active
    weekly_outreach_goal: WeeklyGoal | None = Field(default=None, examples=[10])
    weekly_informational_goal: WeeklyGoal | None = Field(default=None, examples=[2])
    notes: str | None = Field(default=None, max_length=20_000, description="Coach-only.")


_NOT_NULLABLE = ("full_name", "target_roles", "target_industries", "locations", "status")


class ClientUpdate(InputModel):
    """Partial update: only the fields sent change."""

    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE))

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    headline: str | None = Field(default=None, max_length=300)
    target_roles: TextList | None = None
    target_industries: TextList | None = None
    locations: TextList | None = None
    status: ClientStatus | None = None
    weekly_outreach_goal: WeeklyGoal | None = None
    weekly_informational_goal: WeeklyGoal | None = None
    notes: str | None = Field(default=None, max_length=20_000)

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> "ClientUpdate":
        refuse_cleared(self, _NOT_NULLABLE)
        return self


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    email: str | None
    headline: str | None
    target_roles: list[str]
    target_industries: list[str]
    locations: list[str]
    status: ClientStatus
    weekly_outreach_goal: int | None
    weekly_informational_goal: int | None
    notes: str | None = Field(description="Coach-only notes; always null for the client role.")
    coach_ids: list[uuid.UUID] = Field(description="Members coaching this client.")
    created_at: datetime
    updated_at: datetime
