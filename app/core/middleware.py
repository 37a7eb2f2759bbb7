"""Pure ASGI middleware: request id, security headers and access log, body size limit."""

import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response
from app.core.request_context import open_request_context

logger = logging.getLogger("coach_api.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")

# On every response: a browser must never guess a type other than the one declared
# (an uploaded name rendered as HTML, a CSV or SVG run as script).
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"x-content-type-options", b"nosniff"),)


class RequestContextMiddleware:
    """Opens the request context, echoes `X-Request-ID`, adds `SECURITY_HEADERS`, logs one
    line per request.

    A path matching one of `secret_paths` (full templates, `/api/v1/x/{token}`: a URL
    that is itself a credential) is logged as its template, never as sent."""

    def __init__(self, app: ASGIApp, secret_paths: Sequence[str] = ()) -> None:
        self.app = app
        self.secret_paths = [(compile_path(path)[0], path) for path in secret_paths]

    def _logged_path(self, scope: Scope) -> str:
        path: str = scope["path"]
        for pattern, template in self.secret_paths:
            if pattern.match(_below_root(scope)):
                return template
        return path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        open_request_context(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = [
                    *headers,
                    *(header for header in SECURITY_HEADERS if header[0] not in present),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": self._logged_path(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _below_root(scope: Scope) -> str:
    """The path as routing sees it: below the mount point."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path + "/"):
        path = path[len(root_path) :]
    return path


class _BodyTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class RouteBodyLimit:
    """A route with its own body limit (a file upload) in place of the global one.

    `path` is the full template (`/api/v1/clients/{client_id}/...`): the middleware
    runs before routing. `max_bytes` is the limit a refusal names; the body may carry
    `framing_bytes` more (multipart boundaries and part headers around the file), so
    that a file of exactly `max_bytes` fits and the route can check the file itself.
    """

    method: str
    path: str
    max_bytes: int
    framing_bytes: int = 0


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413, by header or while streaming.

    The limit is `max_bytes`, or that of the first `route_limits` entry matching the
    request's method and path."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, route_limits: Sequence[RouteBodyLimit] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = [(compile_path(limit.path)[0], limit) for limit in route_limits]

    def _limit(self, scope: Scope) -> tuple[int, int]:
        """(bytes allowed, the limit to name) for this request."""
        path = _below_root(scope)
        for pattern, limit in self.route_limits:
            if scope["method"] == limit.method and pattern.match(path):
                return limit.max_bytes + limit.framing_bytes, limit.max_bytes
        return self.max_bytes, self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed, named = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await _refuse(scope, receive, send, named)
            return
        received = 0
        exceeded = response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Once the limit trips, the app's answer (FastAPI turns the error into
            # a 400 "error parsing the body") is dropped for the 413 below.
            nonlocal response_started
            if not exceeded:
                response_started |= message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            if response_started:
                raise
        if exceeded and not response_started:
            await _refuse(scope, receive, send, named)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(
        413,
        "payload-too-large",
        "Request body too large",
        f"The request body exceeds the limit of {limit:,} bytes.",
        limit_bytes=limit,
    )
    await response(scope, receive, send)
