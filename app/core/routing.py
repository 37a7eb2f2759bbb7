"""The route class every router uses (`api_router()`): one commit, before the response
is serialised, after the checks lax validation leaves to do.

A dependency's teardown runs after the response has been sent, so a commit
there could fail after a 200. Here the request's session is committed as soon
as the endpoint returns; if the commit fails, the client gets the error. A
write whose connection is lost during the commit is answered 503
`commit-outcome-unknown`, not "retry": the server may have committed it.

Before the endpoint runs (after authentication and parameter validation, so
errors come in the usual order), the route refuses what pydantic lets through
but the contract does not, and a JSON body is parsed once, strictly, before
FastAPI's handler reads it: app/core/request_checks.py.
"""

import functools
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError

from app.core.errors import CommitOutcomeUnknown, problem_responses
from app.core.request_checks import RequestChecks
from app.core.request_context import current_request_context

Endpoint = Callable[..., Coroutine[Any, Any, Any]]

# FastAPI calls an endpoint with its declared parameters only, and the wrapper around
# it (`_checked_then_committed`) must see the request: its text to check, its method
# to judge a lost commit. The route's handler, which does get the request, leaves it
# here for the wrapper. Declaring a `Request` parameter on the wrapper instead would
# take the place of an endpoint's own (FastAPI fills one per endpoint); a dependency
# would run before parameter validation and change which error comes first.
_current_request: ContextVar[Request | None] = ContextVar("coach_route_request", default=None)


class AutoCommitAPIRoute(APIRoute):
    """An `APIRoute` whose endpoint is checked before and committed after (see the
    module docstring); everything else is FastAPI's."""

    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        super().__init__(path, _checked_then_committed(endpoint, self), **kwargs)
        self.checks = RequestChecks(self)
        if self.body_field is not None:
            # A body that cannot be decoded at all (not UTF-8, broken multipart) is a 400.
            self.responses.setdefault(400, problem_responses(400)[400])

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle_remembering_request(request: Request) -> Response:
            await self.checks.decode_json_body(request)
            token = _current_request.set(request)
            try:
                return await handler(request)
            finally:
                _current_request.reset(token)

        return handle_remembering_request


def _checked_then_committed(endpoint: Endpoint, route: AutoCommitAPIRoute) -> Endpoint:
    """`endpoint`, run only once the request passes the route's checks, and followed by
    the commit: FastAPI serialises (and sends) what this returns, so a failed commit is
    the client's answer, not a 200 for a lost write."""

    @functools.wraps(endpoint)
    async def endpoint_then_commit(*args: Any, **kwargs: Any) -> Any:
        request = _current_request.get()
        if request is not None:
            await route.checks.refuse_what_lax_validation_let_through(request)
        result = await endpoint(*args, **kwargs)
        await _commit_request_session(request)
        return result

    return endpoint_then_commit


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _commit_request_session(request: Request | None) -> None:
    """Commit the session the request opened, if it opened one (app/db/session.py
    registers it). A connection lost while committing a write is `CommitOutcomeUnknown`:
    the server may have committed, so the client must not simply retry."""
    context = current_request_context()
    if context is None or context.session is None:
        return
    try:
        await context.session.commit()
    except DBAPIError as exc:
        wrote = request is None or request.method not in _READ_METHODS
        if exc.connection_invalidated and wrote:
            raise CommitOutcomeUnknown from exc
        raise


def api_router(**kwargs: Any) -> APIRouter:
    """The one way to make a router: its routes are `AutoCommitAPIRoute`s."""
    return APIRouter(route_class=AutoCommitAPIRoute, **kwargs)
