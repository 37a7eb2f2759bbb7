"""What pydantic's lax validation lets through but the contract refuses.

`AutoCommitAPIRoute` (app/core/routing.py) runs these once FastAPI has authenticated the
caller and validated the parameters, so errors come in the usual order, and before the
endpoint, so nothing is written:
- JSON of the wrong type: FastAPI validates a decoded body in pydantic's lax mode,
  which takes `0` for `false`, `true` for `1` and a number for a date-time. Every JSON
  body is an `InputModel` and is validated in pydantic's strict JSON mode instead
  (ISO strings for date-times, UUIDs and enum values taken, numbers and booleans held
  to their types; strict validation of a decoded Python value would refuse the strings).
- Control characters in any text (path, query, form; an `InputModel` checks its own):
  `app.core.text` has the rule.

One parse per body: `decode_json_body` runs before FastAPI's handler and validates the
body's bytes strictly, once. A valid body is handed to FastAPI as the model it became,
through the cache `Request.json()` reads from, so FastAPI neither decodes it again nor
builds a second model (pydantic takes an instance of the model as it is). An invalid one
is left for FastAPI to decode and validate as usual, so its errors and their order are
unchanged; the strict errors are kept and answered only if lax validation passes.
"""

import email.message
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.requests import ClientDisconnect

from app.core.schemas import InputModel
from app.core.text import control_character_errors

Location = tuple[str | int, ...]


class RequestChecks:
    """The checks one route's requests get, built once with the route (a `TypeAdapter`
    is costly to build): its JSON body, if it takes one, validated strictly."""

    def __init__(self, route: APIRoute) -> None:
        self.takes_body = route.body_field is not None
        annotation = route.body_field.field_info.annotation if route.body_field else None
        # Forms (sign-in, CSV import) are the only bodies that are not `InputModel`s.
        self.strict_body: TypeAdapter[InputModel] | None = (
            TypeAdapter(annotation)
            if isinstance(annotation, type) and issubclass(annotation, InputModel)
            else None
        )

    async def decode_json_body(self, request: Request) -> None:
        """Validate a JSON body strictly from its bytes and leave the model where FastAPI
        reads the decoded body from; or keep the strict errors for later."""
        if self.strict_body is None or not is_json(request):
            return
        try:
            body = await request.body()  # kept on the request: FastAPI reads it from there
        except ClientDisconnect:
            return  # FastAPI's handler meets the same and answers as it always has
        if not body:
            return
        try:
            # Starlette's cache of `Request.json()`, which FastAPI calls for the body.
            request._json = self.strict_body.validate_json(body, strict=True)
        except ValidationError as exc:
            request.state.strict_body_errors = [
                {**error, "loc": ("body", *error["loc"])} for error in exc.errors()
            ]

    async def refuse_what_lax_validation_let_through(self, request: Request) -> None:
        """Raise `RequestValidationError` (a 422) for a JSON value of the wrong type or
        for a control character anywhere in the request's text."""
        strict_errors = getattr(request.state, "strict_body_errors", None)
        if strict_errors:
            raise RequestValidationError(strict_errors)
        texts = [*_parameter_texts(request), *await self._form_texts(request)]
        refuse_control_characters(texts)

    async def _form_texts(self, request: Request) -> list[tuple[Location, Any]]:
        """A form body's values, each at its place (a JSON body's model checked its own)."""
        if not self.takes_body or not is_form(request):
            return []
        form = await request.form()  # already parsed (and kept) by FastAPI
        return [(("body", name), value) for name, value in form.multi_items()]


def _parameter_texts(request: Request) -> Iterable[tuple[Location, Any]]:
    """Path and query parameters as sent, each at its place (`loc`)."""
    yield from ((("path", name), value) for name, value in request.path_params.items())
    yield from ((("query", name), value) for name, value in request.query_params.multi_items())


def refuse_control_characters(texts: Iterable[tuple[Location, Any]]) -> None:
    """One 422 naming every refused character among `texts` (`app.core.text` has the
    rule), or nothing."""
    errors = [error for where, value in texts for error in control_character_errors(where, value)]
    if errors:
        raise RequestValidationError(errors)


def is_form(request: Request) -> bool:
    """Whether FastAPI parsed this body as a form."""
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


def is_json(request: Request) -> bool:
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
