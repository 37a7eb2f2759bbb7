"""The event log and the outbox: `record_event` is how every domain says what happened."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import utc_now
from app.events.catalog import is_known
from app.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint


def message_id_for(event_id: uuid.UUID) -> str:
    """The `webhook-id` of an event: the same on every retry and for every endpoint."""
    return f"msg_{event_id.hex}"


async def record_event(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    type: str,
    client_id: uuid.UUID | None,
    payload: BaseModel | Mapping[str, Any],
    only_endpoint_id: uuid.UUID | None = None,
) -> Event:
    """Write an event and a pending delivery for each endpoint that wants it.

    Both are added to the caller's transaction and flushed, never committed: if
    the change rolls back, the event and its deliveries vanish with it; once it
    commits, the worker will deliver them even if this process dies.
    `payload` is the resource as the API returns it (a read schema, or a dict).
    `only_endpoint_id` addresses one endpoint whatever its subscriptions
    (`webhook.test`). The session must be bound to `organization_id`.
    """
    if not is_known(type):
        raise ValueError(f"event type {type!r} is not in app/events/catalog.py")
    document = (
        payload.model_dump(mode="json")
        if isinstance(payload, BaseModel)
        else jsonable_encoder(dict(payload))
    )
    now = utc_now()
    event = Event(
        id=uuid.uuid4(),
        organization_id=organization_id,
        type=type,
        client_id=client_id,
        payload=document,
        occurred_at=now,
    )
    session.add(event)
    statement = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
        WebhookEndpoint.organization_id == organization_id, WebhookEndpoint.enabled.is_(True)
    )
    if only_endpoint_id is not None:
        statement = statement.where(WebhookEndpoint.id == only_endpoint_id)
    endpoints = (await session.execute(statement)).all()
    for endpoint_id, event_types in endpoints:
        if only_endpoint_id is None and event_types and type not in event_types:
            continue
        session.add(
            WebhookDelivery(
                organization_id=organization_id,
                endpoint_id=endpoint_id,
                event_id=event.id,
                message_id=message_id_for(event.id),
                status=DeliveryStatus.pending,
                next_attempt_at=now,
            )
        )
    await session.flush()
    return event


async def list_events(
    session: AsyncSession,
    *,
    params: PageParams,
    type: str | None,
    client_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[Event], str | None]:
    """The organization's events, newest first (the session's organization)."""
    statement = select(Event)
    if type is not None:
        statement = statement.where(Event.type == type)
    if client_id is not None:
        statement = statement.where(Event.client_id == client_id)
    if since is not None:
        statement = statement.where(Event.occurred_at >= since)
    if until is not None:
        statement = statement.where(Event.occurred_at < until)
    sort = SortKey((Event.occurred_at, Event.id), descending=True)
    events, next_cursor = await paginate(session, statement, sort=sort, params=params)
    return events, next_cursor
