from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.auth.schemas import TokenRead
from app.core.schemas import InputModel, not_nullable, refuse_cleared

TotpCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{6}$",
        description="The 6-digit code your authenticator app shows now.",
        examples=["492039"],
    ),
]
RecoveryCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="One of your recovery codes; each works once.",
        examples=["k3xq-7pmd-2vna-q4rt"],
    ),
]


_FACTORS = ("code", "recovery_code")


def _exactly_one_factor(schema: JsonDict) -> None:
    """The contract of `_exactly_one`: one of the two fields, never both, never null."""
    not_nullable(_FACTORS)(schema)
    schema["oneOf"] = [{"required": [name]} for name in _FACTORS]


class SecondFactor(InputModel):
    """Exactly one of `code` and `recovery_code`."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_factor)

    code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "SecondFactor":
        refuse_cleared(self, _FACTORS)  # the one not sent is left out, never null
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("send exactly one of code and recovery_code")
        return self


class MfaTokenCreate(SecondFactor):
    mfa_token: str = Field(
        min_length=1,
        max_length=2048,
        description="From the `mfa-required` problem that `POST /auth/token` answered.",
    )


class MfaDisable(SecondFactor):
    pass


class MfaCode(InputModel):
    code: TotpCode


class MfaStatusRead(BaseModel):
    enabled: bool = Field(description="Sign-in asks for a code from the authenticator app.")
    enabled_at: datetime | None
    enrolment_pending: bool = Field(
        description="Enrolment was started and awaits `POST /me/mfa/confirm`."
    )
    recovery_codes_remaining: int
    required_by_organization: bool = Field(
        description="Your organization requires two-factor sign-in for your role."
    )


class MfaEnrolmentRead(BaseModel):
    secret: str = Field(description="Base32 TOTP secret, for typing into an authenticator app.")
    otpauth_uri: str = Field(
        description="`otpauth://totp/…` provisioning URI: show it as a QR code.",
        examples=[
            "otpauth://totp/Coach%20API:ada%40northstar.example"
            "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Coach%20API"
        ],
    )


class MfaRecoveryCodesRead(BaseModel):
    recovery_codes: list[str] = Field(
        description="Shown only in this response and stored as digests: keep them somewhere "
        "safe. Each signs in once in place of a code."
    )


class MfaConfirmedRead(MfaRecoveryCodesRead):
    tokens: TokenRead | None = Field(
        description="When enrolling with the `mfa_token` of an `mfa-enrolment-required` "
        "sign-in: the tokens of that sign-in, now complete. Otherwise null."
    )
