"""The contract's `webhooks:` (OpenAPI 3.1): one entry per event type of the catalogue
(`app.events.catalog`), with its payload's schema and example, the signing headers, and
the retry schedule of `app.webhooks.dispatch`, so none of it can drift from the code."""

from datetime import timedelta
from typing import Any

from app.events.catalog import EVENT_TYPES, EventType
from app.webhooks.dispatch import DISABLE_AFTER_FAILING_FOR, RETRY_DELAYS

# The read schema `data` is, by the resource an event is about (the part before the dot).
_DATA_SCHEMAS = {
    "client": "ClientRead",
    "contact": "ContactRead",
    "interaction": "InteractionRead",
    "company": "CompanyRead",
    "outreach": "OutreachRead",
    "interview": "InterviewRead",
    "member": "MemberRead",
    "webhook_endpoint": "WebhookEndpointRead",
}
# Events whose `data` adds fields to the resource (the value before the change).
_ADDED_FIELDS: dict[str, dict[str, Any]] = {
    "company.status_changed": {"previous_status": {"type": "string"}},
    "interview.stage_changed": {"previous_stage": {"type": "string"}},
}
# Events whose `data` is not one resource.
_OWN_SHAPES: dict[str, dict[str, Any]] = {
    "client.stalled": {
        "type": "object",
        "required": ["client", "last_moved_at", "stalled_after_days"],
        "properties": {
            "client": {"$ref": "#/components/schemas/ClientRead"},
            "last_moved_at": {"type": ["string", "null"], "format": "date-time"},
            "stalled_after_days": {"type": "integer"},
        },
    },
    "webhook.test": {
        "type": "object",
        "required": ["endpoint_id", "message"],
        "properties": {
            "endpoint_id": {"type": "string", "format": "uuid"},
            "message": {"type": "string"},
        },
    },
}

HEADERS: dict[str, dict[str, Any]] = {
    "WebhookId": {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The message's id: the same on every retry, so a receiver that keeps "
        "the ids it processed handles each message once.",
        "schema": {"type": "string"},
    },
    "WebhookTimestamp": {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "When this attempt was sent, in Unix seconds; refuse one far from now "
        "(a replay).",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "WebhookSignature": {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` "
        "with the endpoint's secret (Standard Webhooks); space-separated, one per secret "
        "while a rotated secret is still honoured.",
        "schema": {"type": "string"},
    },
}


def _spoken(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    for unit, size in (("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit[:-1] if count == 1 else unit}"
    return f"{seconds} seconds"


def delivery_rules() -> str:
    """How deliveries are signed and retried: once, for the document's description."""
    schedule = ", ".join(_spoken(delay) for delay in RETRY_DELAYS)
    return (
        "**Webhooks.** Each event is POSTed as JSON `{type, timestamp, data}` to every enabled "
        "endpoint subscribed to its type, signed with the endpoint's secret (headers "
        "`webhook-id`, `webhook-timestamp`, `webhook-signature`: Standard Webhooks). Any "
        "2xx answer is a delivery. Otherwise it is retried after "
        f"{schedule} (each ±10 %), {len(RETRY_DELAYS) + 1} attempts in all, then marked "
        "failed; a 410 answer disables the endpoint at once, and an endpoint failing for "
        f"{DISABLE_AFTER_FAILING_FOR.days} days is disabled. Delivery is at least once, in no "
        "guaranteed order: de-duplicate on `webhook-id`. The event types are the "
        "`webhooks` of this document."
    )


def _data_schema(event: EventType) -> dict[str, Any]:
    if event.name in _OWN_SHAPES:
        return _OWN_SHAPES[event.name]
    resource = {"$ref": f"#/components/schemas/{_DATA_SCHEMAS[event.name.split('.')[0]]}"}
    added = _ADDED_FIELDS.get(event.name)
    if added is None:
        return resource
    return {"allOf": [resource, {"type": "object", "properties": added}]}


def _entry(event: EventType) -> dict[str, Any]:
    body = {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "const": event.name},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": _data_schema(event),
        },
    }
    example = {"type": event.name, "timestamp": "2026-11-26T09:30:01Z", "data": event.example}
    return {
        "post": {
            "operationId": "webhook_" + event.name.replace(".", "_"),
            "summary": event.name,
            "description": event.description,
            "tags": ["webhooks"],
            "parameters": [{"$ref": f"#/components/parameters/{name}"} for name in HEADERS],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body, "example": example}},
            },
            "responses": {
                "2XX": {"description": "Received: the delivery is done."},
                "410": {"description": "Gone: the endpoint is disabled; nothing more is sent."},
                "default": {"description": "Anything else: retried on the schedule."},
            },
        }
    }


def add_webhooks(document: dict[str, Any]) -> None:
    """`webhooks:`, the signing headers as parameters, and the rules in the description."""
    document["webhooks"] = {event.name: _entry(event) for event in EVENT_TYPES}
    document.setdefault("components", {}).setdefault("parameters", {}).update(HEADERS)
    document["info"]["description"] = (
        document["info"].get("description", "").rstrip() + "\n\n" + delivery_rules() + "\n"
    )
