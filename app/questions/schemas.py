"""The question bank: templates a coach and client pick from for informational interviews."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.schemas import InputModel, not_nullable, refuse_cleared
from app.models.pipeline import QuestionCategory


class QuestionTemplateCreate(InputModel):
    category: QuestionCategory = Field(examples=[QuestionCategory.culture])
    text: str = Field(
        min_length=1, max_length=1000, examples=["How would you describe the team's culture?"]
    )


_NOT_NULLABLE = ("category", "text")


class QuestionTemplateUpdate(InputModel):
    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE))

    category: QuestionCategory | None = None
    text: str | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _not_cleared(self) -> "QuestionTemplateUpdate":
        refuse_cleared(self, _NOT_NULLABLE)
        return self


class QuestionTemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    category: QuestionCategory
    text: str
    created_at: datetime
    updated_at: datetime
