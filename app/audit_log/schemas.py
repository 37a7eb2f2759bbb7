import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models import AuditAction
from app.models.enums import Role


class AuditEntryRead(BaseModel):
    """One action on one object. Names fields, never their values: no personal data."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    action: AuditAction = Field(
        description="`create`, `update`, `delete`; `role_change` (a member's role was "
        "updated); `login` (tokens issued for a new sign-in); `export` and `erase` (a "
        "client's data); `api_key_use` (an API key authenticated requests: at most one "
        "entry a minute per key)."
    )
    object_type: str = Field(
        examples=["contact"],
        description="What the object is: `member` and `client_coach` are named by user id.",
    )
    object_id: uuid.UUID | None = Field(description="The id the API addresses the object by.")
    client_id: uuid.UUID | None = Field(description="The client the object is under, if any.")
    actor_user_id: uuid.UUID | None = Field(
        description="The member who acted; null for an API key, or for an unauthenticated "
        "request (sign-up, accepting an invitation)."
    )
    actor_api_key_id: uuid.UUID | None = Field(description="The API key that acted, if any.")
    actor_role: Role | None = Field(description="The member's role at the time.")
    changes: list[str] = Field(
        description="Names of the fields set (`create`) or changed (`update`); never values."
    )
    request_id: str | None = Field(description="The request's `X-Request-ID`.")
