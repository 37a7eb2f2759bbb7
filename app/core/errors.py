"""Domain errors and their one rendering: RFC 9457 problem details.

Services raise these; `install_problem_handlers` turns them (and framework
errors) into `application/problem+json`. Nothing else builds error bodies.
"""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.methods import allowed_methods

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://coach-api.dev/problems/"


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is: body, query, path…")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["No client with this id."])
    instance: str | None = None
    errors: list[FieldProblem] | None = None
    model_config = {"extra": "allow"}


class AppError(Exception):
    """Base of every error a client can cause; rendered as a problem."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(AppError):
    """A one-time token (invitation, password reset) already used or expired."""

    status, slug, title = 410, "gone", "Gone"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class Unprocessable(AppError):
    status, slug, title = 422, "unprocessable", "Unprocessable request"


class TooManyRequests(AppError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **ext: Any) -> None:
        super().__init__(detail, **ext)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    status, slug, title = 503, "unavailable", "Service unavailable"


class DatabaseUnreachable(Exception):
    """No new connection to the database could be made: it is down, starting up, full,
    or refuses us (app/db/session.py). Not the client's doing: answered 503."""


class CommitOutcomeUnknown(AppError):
    """The connection to the database was lost while a write was being committed: the
    server may have committed it or not, so a blind retry could do it twice."""

    status, slug, title = 503, "commit-outcome-unknown", "Outcome unknown"

    def __init__(self) -> None:
        super().__init__(
            "The connection to the database was lost while your change was being saved, "
            "so it may or may not have been. Read the resource before sending the request "
            "again."
        )


# IntegrityError → 409 by constraint name; unknown constraints are still a 409
# because only a conflicting client request can violate them.
CONSTRAINT_MESSAGES: dict[str, str] = {}


def register_constraint(name: str, message: str) -> None:
    CONSTRAINT_MESSAGES[name] = message


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    410: ("gone", "Gone"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-error", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}


def _constraint_name(exc: IntegrityError) -> str | None:
    orig = exc.orig
    name = getattr(orig, "constraint_name", None)  # asyncpg
    if name is None and orig is not None:
        diag = getattr(getattr(orig, "__cause__", None), "constraint_name", None)
        name = diag
    if name is None:
        text = str(orig)
        for known in CONSTRAINT_MESSAGES:
            if known in text:
                return known
    return name if isinstance(name, str) else None


# When the database is saturated, clients are told to come back rather than given a 500.
POOL_EXHAUSTED_RETRY_AFTER_SECONDS = 2
QUERY_TIMEOUT_RETRY_AFTER_SECONDS = 10
CONNECTION_LOST_RETRY_AFTER_SECONDS = 1
DATABASE_UNREACHABLE_RETRY_AFTER_SECONDS = 5
_QUERY_CANCELED_SQLSTATE = "57014"  # PostgreSQL: statement_timeout (or a cancel request)


def _is_query_canceled(exc: DBAPIError) -> bool:
    # asyncpg's QueryCanceledError arrives wrapped in the driver adapter's error.
    return any(
        getattr(cause, "sqlstate", None) == _QUERY_CANCELED_SQLSTATE
        for cause in (exc.orig, getattr(exc.orig, "__cause__", None))
    )


def database_unavailable_response(request: Request, exc: Exception) -> JSONResponse | None:
    """503 + Retry-After for an exhausted pool, a statement timeout (naming the limit), a
    database that cannot be reached, or a lost connection (the server restarted: the
    pool reconnects); None for any other error."""
    settings = request.app.state.settings
    if isinstance(exc, PoolTimeoutError):
        waited = settings.database_pool_timeout_seconds
        return problem_response(
            503,
            "database-busy",
            "Database busy",
            f"No database connection became free within the {waited:g} s pool timeout; "
            "retry shortly.",
            headers={"Retry-After": str(POOL_EXHAUSTED_RETRY_AFTER_SECONDS)},
            pool_timeout_seconds=waited,
        )
    if isinstance(exc, DBAPIError) and _is_query_canceled(exc):
        limit_ms = settings.database_statement_timeout_ms
        return problem_response(
            503,
            "query-timeout",
            "Query timed out",
            f"The request's database work exceeded the {limit_ms} ms statement timeout.",
            headers={"Retry-After": str(QUERY_TIMEOUT_RETRY_AFTER_SECONDS)},
            statement_timeout_ms=limit_ms,
        )
    if isinstance(exc, DatabaseUnreachable):
        return problem_response(
            503,
            "database-unavailable",
            "Database unavailable",
            "The database cannot be reached at the moment; retry shortly.",
            headers={"Retry-After": str(DATABASE_UNREACHABLE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return problem_response(
            503,
            "database-connection-lost",
            "Database connection lost",
            "The connection to the database was lost during the request; retry.",
            headers={"Retry-After": str(CONNECTION_LOST_RETRY_AFTER_SECONDS)},
        )
    return None


def _internal_error(exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(500, "internal", "Internal server error", None)


def _json_safe_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(err.get("loc", ())),
            "msg": str(err.get("msg", "")),
            "type": err.get("type", ""),
        }
        for err in raw
    ]


def error_response(exc: AppError) -> JSONResponse:
    """The problem response for an error; routes that must commit first return it."""
    headers = None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}  # RFC 6750 section 3
    return problem_response(
        exc.status, exc.slug, exc.title, exc.detail, headers=headers, **exc.extensions
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422,
            "validation-error",
            "Invalid request",
            "The request did not pass validation; see `errors`.",
            errors=_json_safe_errors(exc.errors()),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allow = ", ".join(allowed_methods(request, (headers or {}).get("Allow")))
            if request.method == "OPTIONS":
                # What may be done here, asked without a CORS preflight: answered, not refused.
                return Response(status_code=204, headers={"Allow": allow})
            headers = {**(headers or {}), "Allow": allow}
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("error", "Error"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        return problem_response(exc.status_code, slug, title, detail, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        name = _constraint_name(exc)
        detail = CONSTRAINT_MESSAGES.get(name or "", "The request conflicts with existing data.")
        logger.info("integrity conflict on %s", name)
        return problem_response(409, "conflict", "Conflict", detail)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        # A concurrent write bumped the row's version between our read and our UPDATE.
        return problem_response(
            412,
            "precondition-failed",
            "Precondition failed",
            "The resource changed while you were writing it; fetch it again and retry.",
        )

    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(DatabaseUnreachable)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        response = database_unavailable_response(request, exc)
        if response is None:
            return _internal_error(exc)
        cause = exc.__cause__ or exc
        logger.warning("database unavailable: %s", type(cause).__name__)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Also reached by errors raised in middleware (outside the handlers above).
        response = database_unavailable_response(request, exc) or _internal_error(exc)
        # Answered outside every middleware, so what RequestContextMiddleware adds is set here.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error statuses."""
    return {
        status: {
            "description": _STATUS_SLUGS.get(status, ("error", "Error"))[1],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
