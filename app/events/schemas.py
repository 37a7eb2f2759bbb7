import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EventTypeRead(BaseModel):
    name: str = Field(examples=["client.created"])
    description: str
    example: dict[str, Any] = Field(description="An example of the event's `data`.")


class EventRead(BaseModel):
    id: uuid.UUID
    type: str = Field(examples=["client.created"])
    client_id: uuid.UUID | None = Field(description="The client the event concerns, if any.")
    occurred_at: datetime
    data: dict[str, Any] = Field(
        description="The resource as the API returned it when the event happened."
    )
