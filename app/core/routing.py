"""The route class every router uses: one commit, before the response is serialised.

A dependency's teardown runs after the response has been sent, so a commit
there could fail after a 200. Here the request's session is committed as soon
as the endpoint returns; if the commit fails, the client gets the error. A
write whose connection is lost during the commit is answered 503
`commit-outcome-unknown`, not "retry": the server may have committed it.

Before the endpoint runs (after authentication and parameter validation, so
errors come in the usual order), the route also refuses what pydantic lets
through but the contract does not:
- JSON of the wrong type: FastAPI validates the decoded body in pydantic's lax
  mode, which takes `0` for `false`, `true` for `1` and a number for a
  date-time; the raw body is validated once more as strict JSON.
- Control characters in any text (path, query, form, a JSON body that is not an
  `InputModel`, which checks its own): `app.core.text` has the rule.
"""

import email.message
import functools
import json
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import CommitOutcomeUnknown, problem_responses
from app.core.request_context import current_request_context
from app.core.text import control_character_errors

_current_request: ContextVar[Request | None] = ContextVar("coach_route_request", default=None)


class AutoCommitAPIRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.strict_body: TypeAdapter[Any] | None = None
        super().__init__(path, _committing(endpoint, self), **kwargs)
        if self.body_field is not None:
            # A body that cannot be decoded at all (not UTF-8, broken multipart) is a 400.
            self.responses.setdefault(400, problem_responses(400)[400])
            annotation = self.body_field.field_info.annotation
            if annotation is not None:
                self.strict_body = TypeAdapter(annotation)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle_remembering_request(request: Request) -> Response:
            token = _current_request.set(request)
            try:
                return await handler(request)
            finally:
                _current_request.reset(token)

        return handle_remembering_request


def _committing(
    endpoint: Callable[..., Coroutine[Any, Any, Any]], route: AutoCommitAPIRoute
) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(endpoint)
    async def endpoint_then_commit(*args: Any, **kwargs: Any) -> Any:
        request = _current_request.get()
        if request is not None:
            await _refuse_what_lax_validation_let_through(route, request)
        result = await endpoint(*args, **kwargs)
        context = current_request_context()
        if context is not None and context.session is not None:
            await _commit(context.session, request)
        return result

    return endpoint_then_commit


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _commit(session: AsyncSession, request: Request | None) -> None:
    try:
        await session.commit()
    except DBAPIError as exc:
        wrote = request is None or request.method not in _READ_METHODS
        if exc.connection_invalidated and wrote:
            raise CommitOutcomeUnknown from exc
        raise


async def _refuse_what_lax_validation_let_through(
    route: AutoCommitAPIRoute, request: Request
) -> None:
    texts: list[tuple[tuple[str | int, ...], Any]] = [
        *((("path", name), value) for name, value in request.path_params.items()),
        *((("query", name), value) for name, value in request.query_params.multi_items()),
    ]
    if route.body_field is not None and _is_form(request):
        form = await request.form()  # already parsed (and kept) by FastAPI
        texts += [(("body", name), value) for name, value in form.multi_items()]
    elif route.body_field is not None and _is_json(request):
        body = await request.body()  # already read (and kept) by FastAPI
        if body:
            if route.strict_body is not None:
                _validate_strictly(route.strict_body, body)
            texts.append((("body",), json.loads(body)))
    errors = [error for where, value in texts for error in control_character_errors(where, value)]
    if errors:
        raise RequestValidationError(errors)


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


def _is_json(request: Request) -> bool:
    """Whether FastAPI decoded this body as JSON (as it decides: by the media type)."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _validate_strictly(adapter: TypeAdapter[Any], body: bytes) -> None:
    try:
        adapter.validate_json(body, strict=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from exc


def api_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=AutoCommitAPIRoute, **kwargs)
