"""Liveness and readiness probes and Prometheus metrics (no prefix, no user authentication)."""

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.errors import NotFound, Unauthorized, problem_response, problem_responses
from app.core.metrics import Metrics, WebhookGauges

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="health_live", summary="The process is up")
async def healthz() -> dict[str, str]:
    """Liveness: answers 200 while the process serves requests, without touching the database.
    For the platform's restart probe.
    """
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="health_ready",
    summary="The database is reachable",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: runs `SELECT 1` on the database and answers 200 when it answers, 503 when it
    cannot be reached. For the load balancer's traffic probe.
    """
    engine: AsyncEngine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return problem_response(503, "unavailable", "Service unavailable", "Database unreachable.")
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get(
    "/metrics",
    operation_id="metrics_scrape",
    summary="Prometheus metrics",
    description="Request counts and latency by route template and status, database pool "
    "usage and the webhook delivery backlog, in the Prometheus text format. With "
    "`COACH_METRICS_TOKEN` set, send it as `Authorization: Bearer <token>`; without one "
    "the endpoint is open in development and absent in production.",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        **problem_responses(401, 404),
    },
)
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    _authorize_scrape(settings, request.headers.get("authorization"))
    collected: Metrics = request.app.state.metrics
    webhooks: WebhookGauges = request.app.state.webhook_gauges
    await webhooks.refresh()
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)


def _authorize_scrape(settings: Settings, authorization: str | None) -> None:
    if settings.metrics_token is None:
        if settings.metrics_open_without_token:
            return
        raise NotFound("Not Found")
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected):
        raise Unauthorized("A valid metrics token is required.")
