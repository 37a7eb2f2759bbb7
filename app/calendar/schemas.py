from datetime import datetime

from pydantic import BaseModel, Field


class CalendarFeedRead(BaseModel):
    """Whether the caller has a feed; its URL is never shown again after issue."""

    active: bool = Field(description="Whether a feed URL is issued and working.")
    created_at: datetime | None = Field(
        description="When the current URL was issued (a rotation issues a new one); "
        "null without a feed."
    )


class CalendarFeedCreated(BaseModel):
    url: str = Field(
        description="The secret subscription URL (`…/api/v1/calendar/<token>.ics`): "
        "anyone holding it reads the calendar, without signing in. Shown only once, "
        "stored hashed; issuing again rotates it, and the previous URL stops at once.",
        examples=["https://coach.example.com/api/v1/calendar/5f0c…_Vx9….ics"],
    )
    created_at: datetime = Field(description="When this URL was issued.")
