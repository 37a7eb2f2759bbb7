import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from app.auth.schemas import Password
from app.core.schemas import InputModel, not_nullable
from app.models.enums import Relationship, Role, Scope

Days = Annotated[int, Field(ge=1, le=365)]


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("Unknown time zone; use an IANA name such as Europe/Berlin.") from exc
    return name


Timezone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_timezone)]


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    timezone: str = Field(description="IANA time zone used for weekly goals and reports.")
    cold_after_days: int = Field(description="Days without contact after which a contact is cold.")
    stalled_after_days: int = Field(
        description="Days without movement after which a client counts as stalled."
    )
    keep_in_touch_defaults: dict[str, int] = Field(
        description="Default keep-in-touch cadence in days per contact relationship."
    )
    require_mfa_for_staff: bool = Field(
        description="Owners, admins and coaches must sign in with a second factor (TOTP)."
    )
    created_at: datetime
    updated_at: datetime


_NOT_NULLABLE = (
    "name",
    "timezone",
    "cold_after_days",
    "stalled_after_days",
    "keep_in_touch_defaults",
    "require_mfa_for_staff",
)


class OrganizationUpdate(InputModel):
    """Partial update: only the fields sent change; none may be null."""

    model_config = ConfigDict(json_schema_extra=not_nullable(_NOT_NULLABLE))

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: Timezone | None = Field(default=None, examples=["Europe/Berlin"])
    cold_after_days: Days | None = Field(default=None, examples=[30])
    stalled_after_days: Days | None = Field(default=None, examples=[14])
    keep_in_touch_defaults: dict[Relationship, Days] | None = Field(
        default=None,
        description="Replaces the whole mapping.",
        examples=[{"work": 45, "family": 90}],
    )
    require_mfa_for_staff: bool | None = Field(
        default=None,
        description="Require two-factor sign-in of owners, admins and coaches. Members not "
        "enrolled yet are asked to enrol at their next sign-in or token refresh.",
    )

    @field_validator(*_NOT_NULLABLE)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only sees an explicit null.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    client_id: uuid.UUID | None = Field(description="For the client role: their client record.")
    joined_at: datetime


class MemberUpdate(InputModel):
    role: Role
    client_id: uuid.UUID | None = Field(
        default=None, description="Required for role `client`: the client record this login is."
    )

    @model_validator(mode="after")
    def _client_id_iff_client_role(self) -> "MemberUpdate":
        if (self.role is Role.client) != (self.client_id is not None):
            raise ValueError("client_id is required for role client and only for it")
        return self


class InvitationCreate(InputModel):
    email: EmailStr = Field(examples=["grace@example.com"])
    role: Role
    client_id: uuid.UUID | None = Field(
        default=None, description="Required for role `client`: the client record to link."
    )

    @model_validator(mode="after")
    def _client_id_iff_client_role(self) -> "InvitationCreate":
        if (self.role is Role.client) != (self.client_id is not None):
            raise ValueError("client_id is required for role client and only for it")
        return self


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: Role
    client_id: uuid.UUID | None
    invited_by_id: uuid.UUID | None
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


class InvitationCreated(InvitationRead):
    token: str = Field(
        description="Send this to the invitee; it is shown only once. "
        "Accept with `POST /invitations/{token}/accept`."
    )


class InvitationAccept(InputModel):
    full_name: str = Field(min_length=1, max_length=200, examples=["Grace Hopper"])
    password: Password


class ApiKeyCreate(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["CRM sync"])
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope), examples=[["clients:read"]])


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The start of the key, to recognise it; not a secret.")
    scopes: list[Scope]
    last_used_at: datetime | None
    created_by_id: uuid.UUID | None
    created_at: datetime


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(
        description="Send as `Authorization: Bearer <key>`; shown only once, stored hashed."
    )
