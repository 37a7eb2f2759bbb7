"""Webhook endpoints, their secrets, and the deliveries log. Owner/admin only (routes say so)."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.config import Environment, Settings
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams, SortKey, paginate
from app.core.time import utc_now
from app.events.service import record_event
from app.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from app.webhooks.signing import new_webhook_secret
from app.webhooks.ssrf import (
    BlockedAddress,
    NeverAllowedAddress,
    UnresolvableHost,
    resolve_public,
)

# How long a rotated-out secret keeps signing beside the new one.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDelivery
    event_type: str
    attempts: list[WebhookAttempt]


async def check_url(settings: Settings, url: str) -> None:
    """422 unless the URL may receive webhooks: https in production, a public host."""
    parsed = httpx.URL(url)
    if settings.env is Environment.production and parsed.scheme != "https":
        raise Unprocessable("Webhook URLs must use https.", parameter="url")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        await resolve_public(parsed.host, port, allow_private=settings.webhook_allow_private_urls)
    except NeverAllowedAddress as exc:
        raise Unprocessable(
            "The URL's host resolves to a link-local or cloud metadata address, "
            "never allowed (even where private addresses are).",
            parameter="url",
        ) from exc
    except BlockedAddress as exc:
        raise Unprocessable(
            "The URL's host resolves to a private, loopback or reserved address.", parameter="url"
        ) from exc
    except UnresolvableHost as exc:
        raise Unprocessable("The URL's host does not resolve.", parameter="url") from exc


async def list_endpoints(
    session: AsyncSession, *, params: PageParams
) -> tuple[list[WebhookEndpoint], str | None]:
    sort = SortKey((WebhookEndpoint.created_at, WebhookEndpoint.id))
    endpoints, next_cursor = await paginate(
        session, select(WebhookEndpoint), sort=sort, params=params
    )
    return endpoints, next_cursor


async def get_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The endpoint in the session's organization, or 404."""
    endpoint = (
        await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
    ).scalar_one_or_none()
    if endpoint is None:
        raise NotFound("No webhook endpoint with this id.")
    return endpoint


async def create_endpoint(
    session: AsyncSession, principal: Principal, settings: Settings, body: WebhookEndpointCreate
) -> WebhookEndpoint:
    """Create an endpoint with a fresh secret, after the URL passed the SSRF check."""
    fields = body.model_dump()
    url = str(fields.pop("url"))
    await check_url(settings, url)
    endpoint = WebhookEndpoint(
        organization_id=principal.organization_id,
        url=url,
        secret=new_webhook_secret(),
        **fields,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    settings: Settings,
    endpoint: WebhookEndpoint,
    body: WebhookEndpointUpdate,
) -> WebhookEndpoint:
    """Apply a partial update: only the fields set in `body` change."""
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:  # never null: `WebhookEndpointUpdate` refuses it
        changes["url"] = str(changes["url"])
        await check_url(settings, changes["url"])
    if changes.get("event_types", []) is None:
        changes["event_types"] = []
    if changes.get("enabled") is None:
        changes.pop("enabled", None)
    elif changes["enabled"] and not endpoint.enabled:
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    for name, value in changes.items():
        setattr(endpoint, name, value)
    await session.flush()
    return endpoint


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its deliveries and attempts; pending ones are dropped."""
    await session.delete(endpoint)
    await session.flush()


async def rotate_secret(session: AsyncSession, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for 24 h so receivers can switch."""
    now = utc_now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_GRACE
    endpoint.secret = new_webhook_secret()
    await session.flush()
    return endpoint


async def send_test(session: AsyncSession, endpoint: WebhookEndpoint) -> DeliveryView:
    """Emit `webhook.test` to this endpoint only; 409 if it is disabled."""
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it before sending a test.")
    event = await record_event(
        session,
        organization_id=endpoint.organization_id,
        type="webhook.test",
        client_id=None,
        payload={"endpoint_id": endpoint.id, "message": "This is a test event from Coach API."},
        only_endpoint_id=endpoint.id,
    )
    delivery = (
        await session.execute(
            select(WebhookDelivery).where(
                WebhookDelivery.event_id == event.id, WebhookDelivery.endpoint_id == endpoint.id
            )
        )
    ).scalar_one()
    return DeliveryView(delivery=delivery, event_type=event.type, attempts=[])


async def list_deliveries(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    params: PageParams,
    status: DeliveryStatus | None,
) -> tuple[list[DeliveryView], str | None]:
    """An endpoint's deliveries, newest first, each with its attempts (two queries)."""
    statement = (
        select(WebhookDelivery, Event.type)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    sort = SortKey((WebhookDelivery.created_at, WebhookDelivery.id), descending=True)
    rows, next_cursor = await paginate(session, statement, sort=sort, params=params)
    attempts = await _attempts_by_delivery(session, [delivery.id for delivery, _ in rows])
    views = [DeliveryView(d, event_type, attempts[d.id]) for d, event_type in rows]
    return views, next_cursor


async def _attempts_by_delivery(
    session: AsyncSession, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    grouped: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
    if delivery_ids:
        attempts = await session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
        )
        for attempt in attempts.scalars():
            grouped[attempt.delivery_id].append(attempt)
    return grouped


async def retry_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> DeliveryView:
    """Make a delivery due now (again, if it already succeeded or failed)."""
    row = (
        await session.execute(
            select(WebhookDelivery, Event.type, WebhookEndpoint.enabled)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No webhook delivery with this id.")
    delivery, event_type, enabled = row
    if not enabled:
        raise Conflict("The endpoint is disabled; enable it before retrying.")
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = utc_now()
    await session.flush()
    attempts = await _attempts_by_delivery(session, [delivery.id])
    return DeliveryView(delivery, event_type, attempts[delivery.id])
