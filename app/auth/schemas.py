import uuid
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from app.core.schemas import InputModel
from app.models.enums import Role

# Taken exactly as typed: the sign-in form does not strip, so neither may sign-up.
Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    Field(min_length=10, max_length=128, description="10 to 128 characters."),
]


class SignupCreate(InputModel):
    organization_name: str = Field(min_length=1, max_length=200, examples=["Northstar Coaching"])
    full_name: str = Field(min_length=1, max_length=200, examples=["Ada Lovelace"])
    email: EmailStr = Field(examples=["ada@northstar.example"])
    password: Password


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from `IssuedTokens`

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str
    organization_id: uuid.UUID
    role: Role


class RefreshCreate(InputModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str


class MeRead(BaseModel):
    user: UserRead
    organization_id: uuid.UUID
    organization_name: str
    role: Role
    client_id: uuid.UUID | None = Field(description="For the client role: your client record.")


class PasswordResetCreate(InputModel):
    email: EmailStr = Field(examples=["ada@northstar.example"])


class PasswordResetConfirm(InputModel):
    token: str = Field(
        min_length=1, max_length=512, description="The `token` of the link the email carried."
    )
    password: Password


class PasswordChange(InputModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password
