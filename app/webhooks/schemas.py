import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    UrlConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from app.core.schemas import InputModel, not_nullable, refuse_cleared
from app.events.catalog import EVENT_TYPES, is_known
from app.models import DeliveryStatus

WebhookUrl = Annotated[
    AnyHttpUrl,
    UrlConstraints(max_length=2048, allowed_schemes=["http", "https"]),
    Field(examples=["https://hooks.example.com/coach"]),
]
# Checked by `_known_types` (its own message); the contract lists the catalogue.
EventTypeName = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [event.name for event in EVENT_TYPES]})
]
EventTypes = Annotated[
    list[EventTypeName],
    Field(
        max_length=100,
        description="Event types to receive (see `GET /event-types`); empty for all.",
        examples=[["client.created", "contact.went_cold"]],
    ),
]


def _known_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = sorted({t for t in value if not is_known(t)})
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(value))


class WebhookEndpointCreate(InputModel):
    url: WebhookUrl
    description: str | None = Field(default=None, max_length=500, examples=["CRM sync"])
    event_types: EventTypes = Field(default_factory=list)
    enabled: bool = True

    _check_types = field_validator("event_types")(_known_types)


class WebhookEndpointUpdate(InputModel):
    """Partial update: only the fields sent change. A null `url` is refused (422) whatever
    `If-Match` says; a null `event_types` subscribes to every type again."""

    model_config = ConfigDict(json_schema_extra=not_nullable(["url"]))

    url: WebhookUrl | None = None
    description: str | None = Field(default=None, max_length=500)
    event_types: EventTypes | None = None
    enabled: bool | None = Field(
        default=None, description="Re-enabling clears `disabled_reason` and `failing_since`."
    )

    _check_types = field_validator("event_types")(_known_types)

    @model_validator(mode="after")
    def _url_not_cleared(self) -> "WebhookEndpointUpdate":
        refuse_cleared(self, ["url"])
        return self


class WebhookEndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str] = Field(description="Subscribed event types; empty means all.")
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why delivery stopped on its own: `gone` (the receiver answered 410) or "
        "`failing` (every attempt failed for 5 days); null if enabled or disabled by hand."
    )
    failing_since: datetime | None = Field(
        description="Start of the current run of failed attempts."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until then, deliveries are also signed with the rotated-out secret."
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointRead):
    secret: str = Field(
        description="The `whsec_` signing secret. Shown only now: store it.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    attempted_at: datetime
    status_code: int | None = Field(description="Null when no response arrived (see `error`).")
    duration_ms: int
    response_headers: dict[str, str] | None = Field(
        default=None,
        description="The receiver's `Content-Type`, `Content-Length`, `Retry-After`, `Date` "
        "and `Server` headers, where sent.",
    )
    response_body: str | None = Field(
        description="The first 256 characters of the receiver's answer, with every value "
        "the delivery sent, and any e-mail address, replaced by `[redacted]`; cleared when "
        "the client the event was about is erased."
    )
    error: str | None = Field(examples=["timed out", "blocked address"])


class WebhookDeliveryRead(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    message_id: str = Field(description="The `webhook-id` header; the same on every retry.")
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="When pending: the next try.")
    last_status_code: int | None
    created_at: datetime
    attempts: list[WebhookAttemptRead] = Field(description="Oldest first.")
