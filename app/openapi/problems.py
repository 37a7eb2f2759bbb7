"""The response headers every operation may carry, and one problem example per status."""

from typing import Any

from app.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

PROBLEM_REF = "#/components/schemas/Problem"
HEADERS = "#/components/headers/"

# One example per status of the problem every operation may answer; an operation adds
# its own (`problem_example`).
PROBLEM_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "Bad request", "The request body is not valid UTF-8 JSON."),
    401: (
        "unauthorized",
        "Authentication required",
        "Send `Authorization: Bearer <access token or API key>`.",
    ),
    403: ("forbidden", "Not allowed", "Your role may not do this."),
    404: ("not-found", "Not found", "No client with this id."),
    409: ("conflict", "Conflict", "The request conflicts with existing data."),
    410: ("gone", "Gone", "This invitation was already used or has expired."),
    412: (
        "precondition-failed",
        "Precondition failed",
        "The resource changed since you read it; fetch it again and retry.",
    ),
    413: ("payload-too-large", "Request body too large", "The request body exceeds 1048576 bytes."),
    422: (
        "validation-error",
        "Invalid request",
        "The request did not pass validation; see `errors`.",
    ),
    429: (
        "rate-limited",
        "Too many requests",
        "Rate limit `user` reached: 600 requests per 60 s per user; retry in 12 s.",
    ),
    503: (
        "database-busy",
        "Database busy",
        "No database connection became free within the 5 s pool timeout; retry shortly.",
    ),
}
_EXTENSIONS: dict[int, dict[str, Any]] = {
    412: {"current_etag": '"4"'},
    422: {"errors": [{"loc": ["body", "full_name"], "msg": "Field required", "type": "missing"}]},
    429: {"policy": "user", "quota": 600, "window_seconds": 60},
    503: {"pool_timeout_seconds": 5.0},
}


def response_headers() -> dict[str, Any]:
    def header(description: str, example: str, **schema: Any) -> dict[str, Any]:
        return {
            "description": description,
            "schema": {"type": "string", **schema},
            "example": example,
        }

    return {
        "X-Request-ID": header(
            "The request's id: the client's own `X-Request-ID` when it is 1 to 64 letters, "
            "digits, `-`, `_` or `.`, else a new one. Logged and kept in the audit log.",
            "3f9c2a7e5b1d4c8e9a6f0b2d4e6a8c01",
        ),
        "ETag": header("The resource's version; send it back as `If-Match` to update it.", '"3"'),
        "Location": header(
            "Where the created resource can be read (a path from the site's root).",
            "/api/v1/clients/5b1f3c1e-6a8e-4c55-9c43-2f6f0f3f6a01",
        ),
        "RateLimit-Policy": header(
            "The limits the request counted against (IETF draft): name, quota `q`, window "
            "`w` in seconds.",
            '"user";q=600;w=60',
        ),
        "RateLimit": header(
            "What is left of each limit (IETF draft): remaining `r`, seconds to reset `t`.",
            '"user";r=599;t=60',
        ),
        "Retry-After": {
            "description": "Seconds to wait before retrying. Absent from the 503 "
            "`commit-outcome-unknown`: read the resource before sending the write again.",
            "schema": {"type": "integer", "minimum": 0},
            "example": 2,
        },
        "Idempotent-Replayed": header(
            "`true` when this is the stored first response to the request's "
            "`Idempotency-Key`, replayed: the request did not run again.",
            "true",
            enum=["true"],
        ),
        "Cache-Control": header(
            "`no-store`: the response shows a secret once; no cache keeps it, and neither "
            "does the idempotency store.",
            "no-store",
        ),
        "WWW-Authenticate": header("The scheme to authenticate with (RFC 6750).", "Bearer"),
    }


def add_request_id(operation: dict[str, Any]) -> None:
    for response in operation.get("responses", {}).values():
        response.setdefault("headers", {}).setdefault(
            "X-Request-ID", {"$ref": HEADERS + "X-Request-ID"}
        )


def problem_media(response: dict[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = response.setdefault("content", {}).setdefault(PROBLEM_MEDIA_TYPE, {})
    media.setdefault("schema", {"$ref": PROBLEM_REF})
    return media


def problem_example(
    status: int, slug: str, title: str, detail: str, *, summary: str, **extensions: Any
) -> dict[str, Any]:
    return {
        "summary": summary,
        "value": {
            "type": PROBLEM_TYPE_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            **extensions,
        },
    }


def add_problem_examples(operation: dict[str, Any]) -> None:
    """Each problem response gets the example of its status, first among its own."""
    for status, response in operation.get("responses", {}).items():
        media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
        if media is None or not status.isdigit() or int(status) not in PROBLEM_EXAMPLES:
            continue
        slug, title, detail = PROBLEM_EXAMPLES[int(status)]
        own = media.pop("examples", {})
        media["examples"] = {
            slug: problem_example(
                int(status),
                slug,
                title,
                detail,
                summary=title,
                **_EXTENSIONS.get(int(status), {}),
            ),
            **own,
        }
