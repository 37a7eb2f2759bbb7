import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from app.auth.dependencies import Authorize
from app.auth.principal import Principal
from app.core.config import SettingsDep
from app.core.errors import problem_responses
from app.core.etags import IfMatchHeader, check_if_match, set_etag, with_etag
from app.core.pagination import Page, PageParamsDep
from app.core.responses import set_location
from app.core.routing import api_router
from app.db.session import SessionDep
from app.idempotency.service import IdempotencyKeyHeader, shows_secret_once
from app.models import DeliveryStatus, WebhookEndpoint
from app.models.enums import ADMIN_ROLES, Scope
from app.webhooks import service
from app.webhooks.schemas import (
    WebhookAttemptRead,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = api_router(tags=["webhooks"], responses=problem_responses(401, 403, 422))

WebhookReader = Annotated[Principal, Depends(Authorize(Scope.webhooks_read, ADMIN_ROLES))]
WebhookWriter = Annotated[Principal, Depends(Authorize(Scope.webhooks_write, ADMIN_ROLES))]


def _read(endpoint: WebhookEndpoint) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(endpoint)


def _with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret.model_validate(endpoint)


def _delivery(view: service.DeliveryView) -> WebhookDeliveryRead:
    delivery = view.delivery
    return WebhookDeliveryRead(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=view.event_type,
        message_id=delivery.message_id,
        status=delivery.status,
        attempt_count=delivery.attempt_count,
        next_attempt_at=(
            delivery.next_attempt_at if delivery.status == DeliveryStatus.pending else None
        ),
        last_status_code=delivery.last_status_code,
        created_at=delivery.created_at,
        attempts=[WebhookAttemptRead.model_validate(a) for a in view.attempts],
    )


@router.get(
    "/webhook-endpoints", operation_id="webhook_endpoints_list", summary="List webhook endpoints"
)
async def list_endpoints(
    session: SessionDep, _principal: WebhookReader, page: PageParamsDep
) -> Page[WebhookEndpointRead]:
    """The organization's webhook endpoints, with their subscriptions and whether delivery
    stopped on its own, cursor-paginated. Secrets are not shown. Owners and admins; API keys
    need `webhooks:read`.
    """
    endpoints, next_cursor = await service.list_endpoints(session, params=page)
    return Page(data=[_read(e) for e in endpoints], next_cursor=next_cursor)


@router.post(
    "/webhook-endpoints",
    status_code=status.HTTP_201_CREATED,
    operation_id="webhook_endpoints_create",
    summary="Register a webhook endpoint (the response shows its secret, once)",
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    session: SessionDep,
    principal: WebhookWriter,
    settings: SettingsDep,
    response: Response,
    request: Request,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> WebhookEndpointWithSecret:
    """Registers a receiver for the event types given (all when empty). The URL must be public
    http(s). The signing secret is in this response only (`Cache-Control: no-store`); a
    retry with the same `Idempotency-Key` answers 409. Owners and admins; API keys need
    `webhooks:write`.
    """
    endpoint = await service.create_endpoint(session, principal, settings, body)
    set_etag(response, endpoint.version)
    set_location(response, request, "webhook_endpoints_get", endpoint_id=endpoint.id)
    shows_secret_once(response)
    return _with_secret(endpoint)


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    operation_id="webhook_endpoints_get",
    name="webhook_endpoints_get",
    summary="Get a webhook endpoint",
    responses=problem_responses(404),
)
async def get_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, _principal: WebhookReader, response: Response
) -> WebhookEndpointRead:
    """One webhook endpoint with its subscriptions and delivery state, and its `ETag`. The
    secret is not shown. Owners and admins; API keys need `webhooks:read`.
    """
    endpoint = await service.get_endpoint(session, endpoint_id)
    return with_etag(response, endpoint.version, _read(endpoint))


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    operation_id="webhook_endpoints_update",
    summary="Update a webhook endpoint (partial)",
    responses=problem_responses(404, 412),
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    session: SessionDep,
    _principal: WebhookWriter,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> WebhookEndpointRead:
    """Changes only the fields sent; `url` may be left out but not sent as null, and a null
    `event_types` subscribes to every type. Re-enabling clears why delivery had stopped.
    With `If-Match`, refused with 412 when the endpoint changed since it was read. Owners
    and admins; API keys need `webhooks:write`.
    """
    endpoint = await service.get_endpoint(session, endpoint_id)
    check_if_match(if_match, endpoint.version)
    endpoint = await service.update_endpoint(session, settings, endpoint, body)
    return with_etag(response, endpoint.version, _read(endpoint))


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="webhook_endpoints_delete",
    summary="Delete a webhook endpoint and its delivery log",
    responses=problem_responses(404),
)
async def delete_endpoint(
    endpoint_id: uuid.UUID, session: SessionDep, _principal: WebhookWriter
) -> Response:
    """Deletes the endpoint with its delivery log; nothing more is sent to it. Owners and
    admins; API keys need `webhooks:write`.
    """
    endpoint = await service.get_endpoint(session, endpoint_id)
    await service.delete_endpoint(session, endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    operation_id="webhook_endpoints_rotate_secret",
    summary="Replace the signing secret; the old one keeps signing beside it for 24 h",
    responses=problem_responses(404),
)
async def rotate_secret(
    endpoint_id: uuid.UUID, session: SessionDep, _principal: WebhookWriter, response: Response
) -> WebhookEndpointWithSecret:
    """Issues a new signing secret, shown in this response only (`Cache-Control: no-store`).
    For 24 h deliveries are signed with both the new and the old one, so the receiver can
    switch without losing any. Owners and admins; API keys need `webhooks:write`.
    """
    endpoint = await service.get_endpoint(session, endpoint_id)
    endpoint = await service.rotate_secret(session, endpoint)
    set_etag(response, endpoint.version)
    shows_secret_once(response)
    return _with_secret(endpoint)


@router.post(
    "/webhook-endpoints/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="webhook_endpoints_test",
    summary="Send a webhook.test event to this endpoint",
    responses=problem_responses(404, 409),
)
async def send_test(
    endpoint_id: uuid.UUID, session: SessionDep, _principal: WebhookWriter
) -> WebhookDeliveryRead:
    """Queues a `webhook.test` event for this endpoint alone and answers 202 with the delivery;
    its attempts show under the endpoint's deliveries. 409 when the endpoint is disabled.
    Owners and admins; API keys need `webhooks:write`.
    """
    endpoint = await service.get_endpoint(session, endpoint_id)
    return _delivery(await service.send_test(session, endpoint))


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    operation_id="webhook_endpoints_list_deliveries",
    summary="An endpoint's deliveries, newest first, with every attempt",
    responses=problem_responses(404),
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    session: SessionDep,
    _principal: WebhookReader,
    page: PageParamsDep,
    status_filter: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
) -> Page[WebhookDeliveryRead]:
    """What was sent to the endpoint, newest first, each delivery with its status and every
    attempt (status code, duration, error), filtered by status, cursor-paginated. Owners and
    admins; API keys need `webhooks:read`.
    """
    endpoint = await service.get_endpoint(session, endpoint_id)
    views, next_cursor = await service.list_deliveries(
        session, endpoint, params=page, status=status_filter
    )
    return Page(data=[_delivery(v) for v in views], next_cursor=next_cursor)


@router.post(
    "/webhook-deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="webhook_deliveries_retry",
    summary="Send a delivery again now",
    responses=problem_responses(404, 409),
)
async def retry_delivery(
    delivery_id: uuid.UUID, session: SessionDep, _principal: WebhookWriter
) -> WebhookDeliveryRead:
    """Makes the delivery due now, again if it already succeeded or failed, and answers 202
    with it. 409 when its endpoint is disabled. Owners and admins; API keys need
    `webhooks:write`.
    """
    return _delivery(await service.retry_delivery(session, delivery_id))
