"""The ASGI application: `app.main:app`."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from app import health
from app.activity.router import router as activity_router
from app.agenda.router import router as agenda_router
from app.api_docs.pages import install_api_docs
from app.audit_log.router import router as audit_router
from app.auth.mfa_router import router as auth_mfa_router
from app.auth.password_router import router as auth_password_router
from app.auth.rate_limit_http import RateLimitMiddleware
from app.auth.router import router as auth_router
from app.calendar.router import FEED_PATH
from app.calendar.router import router as calendar_router
from app.clients.router import router as clients_router
from app.companies.router import router as companies_router
from app.contacts.import_router import import_body_limit
from app.contacts.import_router import router as contacts_import_router
from app.contacts.router import router as contacts_router
from app.core.config import Settings, get_settings
from app.core.errors import Problem, install_problem_handlers
from app.core.logging import configure_logging
from app.core.metrics import Metrics, MetricsMiddleware
from app.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.core.rate_limit import RateLimiter
from app.core.security import configure_password_hashing
from app.core.version import package_version
from app.db.session import create_engine, create_sessionmaker
from app.digests.router import router as digests_router
from app.events.router import router as events_router
from app.idempotency.service import IdempotencyMiddleware, install_idempotent_answers
from app.interactions.router import router as interactions_router
from app.interviews.interactions_router import router as interview_interactions_router
from app.interviews.router import router as interviews_router
from app.jobs.worker import in_process_worker
from app.openapi.document import finish
from app.organizations.invitations_router import ACCEPT_PATH as INVITATION_ACCEPT_PATH
from app.organizations.invitations_router import router as invitations_router
from app.organizations.router import router as organizations_router
from app.outreach.router import router as outreach_router
from app.privacy.router import router as privacy_router
from app.questions.router import router as question_templates_router
from app.reports.router import router as reports_router
from app.traction.router import router as traction_router
from app.webhooks.backlog import read_backlog
from app.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"

DESCRIPTION = """
Coach API: career coaches run a caseload of job seekers: their contact trees,
interview pipelines and traction.

**Authentication.** `POST /api/v1/auth/token` (OAuth2 password form) returns an
access token (15 minutes) and a rotating refresh token. Send
`Authorization: Bearer <token>`. API keys (`ck_…`) go in the same header and
carry explicit scopes.

**Two-factor sign-in.** Members may enrol an authenticator app (TOTP) under
`/api/v1/me/mfa`; an organization may require it for owners, admins and
coaches. Sign-in then answers 403 `mfa-required` (or `mfa-enrolment-required`)
with an `mfa_token` for the second step: see `POST /api/v1/auth/token`.

**Conventions.** Errors are RFC 9457 problem details
(`application/problem+json`). Lists are cursor-paginated:
`?limit=` (≤ 200) and `?cursor=`, answered `{"data": [...], "next_cursor": ...}`.
Reads return an `ETag`; send it back as `If-Match` on `PATCH` (412 when stale).
`Idempotency-Key` on `POST` makes retries safe. Objects you may not see answer
404, exactly like missing ones.

**Rate limits.** Requests count per user or API key, and sign-up, sign-in and
refresh also per IP. Responses carry `RateLimit-Policy` and `RateLimit` (IETF
draft: quota `q`, window `w`, remaining `r`, seconds to reset `t`); over a limit
the answer is 429 with `Retry-After`, naming the limit. A saturated or
unreachable database answers 503 with `Retry-After`. The one 503 without it,
`commit-outcome-unknown`, means the connection to the database dropped while a
write was being saved: it may have been, so read before sending it again.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    configure_password_hashing(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.signing_secret()  # fail fast (and generate in development) at start-up
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.metrics.watch_pool(engine)
        app.state.webhook_gauges = app.state.metrics.watch_webhooks(
            partial(read_backlog, app.state.sessionmaker)
        )
        # What start-up built lives as long as the process: keep it out of the collector's
        # full passes, which otherwise rescan ~200,000 objects each time a large response
        # (a 5,000-node contact tree) promotes its objects (benchmarks/README.md).
        gc.collect()
        gc.freeze()
        async with in_process_worker(settings):
            yield
        await engine.dispose()
        await app.state.rate_limiter.close()

    app = FastAPI(
        title="Coach API",
        version=package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        # /docs and /redoc are served by install_api_docs, from the app's own files.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.metrics = Metrics()
    install_problem_handlers(app)
    install_idempotent_answers(app)

    install_api_docs(app, openapi_url=f"{API_PREFIX}/openapi.json")
    app.include_router(health.router)
    app.state.metrics.name_routes(health.router.routes)
    for router in (
        auth_router,
        auth_mfa_router,
        auth_password_router,
        organizations_router,
        invitations_router,
        clients_router,
        contacts_router,
        contacts_import_router,
        interactions_router,
        interview_interactions_router,
        companies_router,
        outreach_router,
        # Before the interviews: `/interviews/{interview_id}` would take `<id>.ics` for an id.
        calendar_router,
        interviews_router,
        question_templates_router,
        activity_router,
        traction_router,
        reports_router,
        agenda_router,
        events_router,
        webhooks_router,
        audit_router,
        privacy_router,
        digests_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
        app.state.metrics.name_routes(router.routes, prefix=API_PREFIX)

    # Outermost last: the request context wraps everything, so logs carry its id.
    app.add_middleware(
        IdempotencyMiddleware,
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        max_records_per_caller=settings.idempotency_max_records_per_caller,
    )
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        route_limits=[import_body_limit(settings, prefix=API_PREFIX)],
    )
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "ETag",
                "X-Request-ID",
                "Retry-After",
                "Location",
                "RateLimit",
                "RateLimit-Policy",
            ],
        )
    # URLs that are their own credential: the access log names the route, not the token.
    app.add_middleware(
        RequestContextMiddleware,
        secret_paths=[API_PREFIX + FEED_PATH, API_PREFIX + INVITATION_ACCEPT_PATH],
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for name, definition in components["Problem"].pop("$defs", {}).items():
            components.setdefault(name, definition)
        app.openapi_schema = finish(schema, app.routes)
    return app.openapi_schema


app = create_app()
