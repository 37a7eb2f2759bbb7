from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.schemas import InputModel, not_nullable, refuse_cleared
from app.digests.periods import WEEKDAY_NAMES, is_timezone
from app.models import DigestFrequency

WeekdayNumber = Annotated[int, Field(ge=0, le=6)]
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Hour = Annotated[int, Field(ge=0, le=23)]

_NOT_NULLABLE = ("frequency", "weekday", "hour", "timezone")
_EXAMPLE = {"frequency": "weekly", "weekday": "fri", "hour": 16, "timezone": "Europe/Stockholm"}


class DigestPreferencesUpdate(InputModel):
    """Partial update: only the fields sent change; none may be null."""

    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE, examples=[_EXAMPLE]))

    frequency: DigestFrequency | None = None
    weekday: WeekdayNumber | WeekdayName | None = Field(
        default=None,
        description="For `weekly`: 0 (Monday) to 6 (Sunday), or `mon` … `sun`.",
    )
    hour: Hour | None = Field(default=None, description="0-23, in `timezone`.")
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="An IANA time zone name (`Europe/Berlin`).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and not is_timezone(value):
            raise ValueError("not a known IANA time zone name")
        return value

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> "DigestPreferencesUpdate":
        refuse_cleared(self, _NOT_NULLABLE)
        return self

    def weekday_number(self) -> int | None:
        if isinstance(self.weekday, str):
            return WEEKDAY_NAMES.index(self.weekday)
        return self.weekday


class DigestPreferencesRead(BaseModel):
    frequency: DigestFrequency
    weekday: WeekdayNumber = Field(description="0 (Monday) to 6 (Sunday); used when weekly.")
    weekday_name: WeekdayName
    hour: Hour
    timezone: str = Field(description="The zone `hour` is in: yours, or the organization's.")
    timezone_is_organization_default: bool = Field(
        description="True while you have not chosen a zone: the organization's applies, "
        "and follows it when it changes."
    )
    next_digest_at: datetime | None = Field(
        description="When the next period starts (null: never). A digest is sent at the "
        "worker's first pass after it, and skipped when it would be empty."
    )
    last_period_start: datetime | None = Field(
        description="The start of the latest period settled (sent or skipped as empty)."
    )
