"""What the OpenAPI document says beyond what FastAPI writes: read from the routes.

FastAPI documents each route's parameters, bodies and declared responses. What the
middleware and the shared dependencies do around every route is invisible to it, so
`finish()` adds it, finding each fact by walking the route rather than from a list:

- who may call: a route whose dependency tree holds the bearer scheme
  (`app/auth/dependencies.py`) is authenticated (OAuth2 password flow or a bearer API
  key); any other is public (`security: []`); `/metrics` has its own token;
- what authentication brings: 401, 429 (per caller), and `RateLimit` headers; a route
  with the auth-attempt limit also counts per address; a route with a database session
  may answer 503 with `Retry-After`;
- `Idempotency-Key` on every authenticated POST (the middleware's limits, its 409 and
  422 answers, `Idempotent-Replayed` on a replay);
- response headers the endpoint's own code sets (`with_etag` / `set_etag`,
  `set_location`, `shows_secret_once`), found in the names its code calls;
- names client generators can use (`ClientPage`, `SignInForm`), request bodies' defaults
  in descriptions (`app/openapi/inputs.py`), the package version,
  servers, tag descriptions, one problem example per status.

It changes the document only: no route behaves differently for it.
"""

import copy
import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security import HTTPBearer
from starlette.routing import BaseRoute

from app.auth.rate_limit_http import AuthAttemptLimit
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.etags import set_etag, with_etag
from app.core.responses import set_location
from app.core.version import package_version
from app.db.session import get_session
from app.idempotency.service import MAX_KEY_LENGTH, shows_secret_once
from app.openapi.examples import add_request_examples
from app.openapi.inputs import describe_input_defaults
from app.openapi.names import add_page_examples, rename_components
from app.openapi.problems import (
    HEADERS,
    PROBLEM_EXAMPLES,
    PROBLEM_REF,
    add_problem_examples,
    add_request_id,
    problem_example,
    problem_media,
    response_headers,
)
from app.openapi.webhooks import add_webhooks

SIGN_IN_URL = "/api/v1/auth/token"
REFRESH_URL = "/api/v1/auth/refresh"
METRICS_PATH = "/metrics"

OAUTH2 = "OAuth2Password"
BEARER = "BearerToken"
METRICS = "MetricsToken"
API_SECURITY: list[dict[str, list[str]]] = [{OAUTH2: []}, {BEARER: []}]

_METHODS = ("get", "put", "post", "patch", "delete")


TAG_DESCRIPTIONS = {
    "operations": "Liveness, readiness and Prometheus metrics, for the platform running the API.",
    "auth": "Sign-up, sign-in (OAuth2 password form), token refresh and two-factor sign-in.",
    "organization": "The organization's settings, its members, invitations and API keys.",
    "clients": "The job seekers of the caseload, and the coaches assigned to each.",
    "contacts": "A client's network: contacts, referral chains, the contact tree, CSV import.",
    "interactions": "Touches logged with a contact: emails, calls, meetings, messages.",
    "companies": "The companies a client targets, and the warm paths into each.",
    "outreach": "Asks sent to contacts (for a meeting, a referral, advice) and their outcomes.",
    "interviews": "Informational and job interviews through their stages, and referrals.",
    "question-templates": "The organization's reusable questions for interviews and outreach.",
    "reports": "The caseload, the organization's figures and each client's activity report.",
    "traction": "A client's traction: score, weekly figures, goals and the chart.",
    "agenda": "The coach's agenda: what needs doing across the caseload, and its states.",
    "events": "The catalogue of event types and the organization's event log.",
    "webhooks": "Webhook endpoints receiving events, their secrets and deliveries.",
    "calendar": "Calendar feeds (.ics) of a member's meetings and follow-ups, and one "
    "meeting's event.",
    "audit": "Who changed what, and when: the organization's audit log.",
    "privacy": "A client's data export and erasure.",
    "digests": "A member's email digest: how often it comes, and its one-click unsubscribe.",
}


@dataclass(frozen=True, slots=True)
class RouteFacts:
    """What a route does that FastAPI's document does not say."""

    authenticated: bool
    address_limited: bool
    uses_database: bool
    sets_etag: bool
    sets_location: bool
    shows_secret: bool

    @classmethod
    def of(cls, route: RouteContext) -> "RouteFacts":
        calls = {dependant.call for dependant in _dependants(route.dependant)}
        endpoint = route.endpoint
        called = _called(inspect.unwrap(endpoint)) if endpoint is not None else set()
        return cls(
            authenticated=any(isinstance(call, HTTPBearer) for call in calls),
            address_limited=AuthAttemptLimit.dependency in calls,
            uses_database=get_session in calls,
            sets_etag=bool({with_etag, set_etag} & called),
            sets_location=set_location in called,
            shows_secret=shows_secret_once in called,
        )


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _called(function: Callable[..., Any]) -> set[Any]:
    """The module-level objects `function`'s code names (nested functions included)."""
    namespace = getattr(function, "__globals__", {})
    found: set[Any] = set()
    codes = [getattr(function, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        for name in code.co_names:
            value = namespace.get(name)
            if callable(value):
                found.add(value)
        codes += [const for const in code.co_consts if inspect.iscode(const)]
    return found


def finish(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The finished document: FastAPI's `document` plus what `routes` show."""
    document = copy.deepcopy(document)
    facts = {
        (route.path_format, method.lower()): RouteFacts.of(route)
        for route in iter_route_contexts(routes)
        if isinstance(route.original_route, APIRoute) and route.include_in_schema
        for method in route.methods or ()
    }
    document["info"]["version"] = package_version()
    # The problem types' namespace (`PROBLEM_TYPE_BASE`) is the project's address too.
    document["info"]["contact"] = {"name": "Coach API", "url": "https://coach-api.dev"}
    document["info"]["license"] = {
        "name": "Proprietary: all rights reserved",
        "identifier": "LicenseRef-Proprietary",
    }
    document["servers"] = [{"url": "/", "description": "The API itself, wherever it is served."}]
    components = document.setdefault("components", {})
    components["securitySchemes"] = _security_schemes()
    components["headers"] = response_headers()
    document["security"] = API_SECURITY
    for path, method, operation in _operations(document):
        found = facts.get((path, method))
        if found is not None:
            _finish_operation(path, method, operation, found)
        _drop_null_from_optional_parameters(operation)
        add_problem_examples(operation)
        add_request_id(operation)
    rename_components(document)
    describe_input_defaults(document)
    add_webhooks(document)
    add_request_examples(document)
    add_page_examples(document)
    used = sorted({tag for _, _, op in _operations(document) for tag in op.get("tags", [])})
    document["tags"] = [
        {"name": tag, "description": TAG_DESCRIPTIONS[tag]}
        if tag in TAG_DESCRIPTIONS
        else {"name": tag}
        for tag in used
    ]
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


# --- security -------------------------------------------------------------------------


def _security_schemes() -> dict[str, Any]:
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": "Sign in with a member's email (`username`) and password: "
            f"`POST {SIGN_IN_URL}` answers an access token (15 minutes, sent as "
            "`Authorization: Bearer <token>`) and a refresh token. The refresh endpoint "
            f'`{REFRESH_URL}` takes the refresh token as JSON (`{{"refresh_token": …}}`), '
            "not as an OAuth2 form. An account with two-factor sign-in answers 403 "
            "`mfa-required` first (see the sign-in operation).",
            "flows": {
                "password": {"tokenUrl": SIGN_IN_URL, "refreshUrl": REFRESH_URL, "scopes": {}}
            },
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <credential>`: a member's access token "
            "(a JWT from the sign-in), or an API key (`ck_…`, created under `/api/v1/api-keys`) "
            "that carries explicit scopes and may use only the routes its scopes open. "
            "The two-factor enrolment routes under `/api/v1/me/mfa` also take the `mfa_token` "
            "of an `mfa-enrolment-required` sign-in.",
        },
        METRICS: {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <COACH_METRICS_TOKEN>`, for `GET /metrics` "
            "only. Without the token configured, the endpoint is open in development and "
            "absent (404) in production.",
        },
    }


def _finish_operation(path: str, method: str, operation: dict[str, Any], facts: RouteFacts) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if path == METRICS_PATH:
        operation["security"] = [{METRICS: []}]
    elif facts.authenticated:
        operation["security"] = copy.deepcopy(API_SECURITY)
    else:
        operation["security"] = []
    if facts.authenticated:
        _add_problem(responses, 401)
    if facts.authenticated or facts.address_limited:
        _add_problem(responses, 429)
    if facts.uses_database:
        _add_problem(responses, 503)
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        if status.startswith("2"):
            if facts.authenticated or facts.address_limited:
                headers.setdefault("RateLimit", {"$ref": HEADERS + "RateLimit"})
                headers.setdefault("RateLimit-Policy", {"$ref": HEADERS + "RateLimit-Policy"})
            if facts.sets_etag:
                headers.setdefault("ETag", {"$ref": HEADERS + "ETag"})
            if facts.sets_location and status == "201":
                headers.setdefault("Location", {"$ref": HEADERS + "Location"})
            if facts.shows_secret:
                headers.setdefault("Cache-Control", {"$ref": HEADERS + "Cache-Control"})
        if status in ("429", "503"):
            headers.setdefault("Retry-After", {"$ref": HEADERS + "Retry-After"})
        if status == "429":
            headers.setdefault("RateLimit", {"$ref": HEADERS + "RateLimit"})
            headers.setdefault("RateLimit-Policy", {"$ref": HEADERS + "RateLimit-Policy"})
        if status == "401":
            headers.setdefault("WWW-Authenticate", {"$ref": HEADERS + "WWW-Authenticate"})
    if method == "post" and facts.authenticated:
        _declare_idempotency(operation, facts)


def _add_problem(responses: dict[str, Any], status: int) -> None:
    responses.setdefault(
        str(status),
        {
            "description": PROBLEM_EXAMPLES[status][1],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        },
    )


# --- idempotency ----------------------------------------------------------------------

IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: within 24 h, the same key with the same request "
    "answers the first response again (with `Idempotent-Replayed: true`) instead of running "
    "it twice; the same key with a different request answers 422 "
    "`idempotency-key-reused`; while the first is still running, 409 "
    "`idempotency-in-flight`. A first response that showed a secret is not kept: a retry "
    f"answers 409 with its `Location`. 1 to {MAX_KEY_LENGTH} characters after trimming "
    "spaces, no control characters (else 422); keys belong to the member or API key "
    "sending them.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "example": "5f2b8c1e-create-client-sven-lindgren",
}


def _declare_idempotency(operation: dict[str, Any], facts: RouteFacts) -> None:
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    parameters[:] = [p for p in parameters if p.get("name", "").lower() != "idempotency-key"]
    parameters.append(copy.deepcopy(IDEMPOTENCY_KEY_PARAMETER))
    responses = operation["responses"]
    for status, response in responses.items():
        if status.startswith("2"):
            response["headers"].setdefault(
                "Idempotent-Replayed", {"$ref": HEADERS + "Idempotent-Replayed"}
            )
    conflict = responses.setdefault(
        "409",
        {
            "description": "Conflict",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
            "headers": {},
        },
    )
    conflict.setdefault("headers", {}).setdefault("Retry-After", {"$ref": HEADERS + "Retry-After"})
    examples = problem_media(conflict).setdefault("examples", {})
    examples["idempotency-in-flight"] = problem_example(
        409,
        "idempotency-in-flight",
        "Request in progress",
        "A request with this Idempotency-Key is still being processed.",
        summary="The first request with this Idempotency-Key is still running (Retry-After: 1)",
    )
    if facts.shows_secret:
        examples["idempotency-secret-not-replayable"] = problem_example(
            409,
            "idempotency-secret-not-replayable",
            "Already created",
            "The first request with this Idempotency-Key succeeded; its response held a "
            "secret that is shown only once, so it cannot be replayed.",
            summary="A retry of a request whose response showed a secret",
        )
    else:
        examples["idempotency-not-replayable"] = problem_example(
            409,
            "idempotency-not-replayable",
            "Already created",
            "The first request with this Idempotency-Key succeeded; its response was too "
            "large to keep, so it cannot be replayed.",
            summary="A retry of a request whose response was not kept",
        )
    invalid = responses.setdefault(
        "422",
        {
            "description": "Invalid request",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        },
    )
    problem_media(invalid).setdefault("examples", {})["idempotency-key-reused"] = problem_example(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        "This Idempotency-Key was used with a different request.",
        summary="The Idempotency-Key was used before with another request",
    )
    problem_media(responses["429"]).setdefault("examples", {})["idempotency-records-exhausted"] = (
        problem_example(
            429,
            "idempotency-records-exhausted",
            "Too many idempotent requests",
            "This caller holds 10000 Idempotency-Key records of the last 24 h, the most "
            "kept; send the request without a key, or later.",
            summary="The caller holds the most Idempotency-Key records kept",
        )
    )


# --- parameters -----------------------------------------------------------------------


def _drop_null_from_optional_parameters(operation: dict[str, Any]) -> None:
    """An optional query or header parameter is left out, never sent as null: its schema
    is the non-null branch (FastAPI writes `anyOf: [X, null]` for `X | None`)."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        options = schema.get("anyOf")
        if parameter.get("required") or not options:
            continue
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1 and len(kept) < len(options):
            rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            parameter["schema"] = {**kept[0], **rest}
