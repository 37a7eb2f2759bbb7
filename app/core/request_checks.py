"""What pydantic's lax validation lets through but the contract refuses.

`AutoCommitAPIRoute` (app/core/routing.py) runs these once FastAPI has authenticated the
caller and validated the parameters, so errors come in the usual order, and before the
endpoint, so nothing is written:
- JSON of the wrong type: FastAPI validates the decoded body in pydantic's lax mode,
  which takes `0` for `false`, `true` for `1` and a number for a date-time; the raw body
  is validated once more as strict JSON (`refuse_loose_json_types`).
- Control characters in any text (path, query, form, a JSON body that is not an
  `InputModel`, which checks its own): `app.core.text` has the rule.

Bodies are read as FastAPI left them on the request: the bytes, the form and the
decoded JSON are each kept there, so none is read or parsed twice here. The one decode
of its own is the strict check's: pydantic's strict JSON mode (ISO strings for
date-times, UUIDs and enum values taken, numbers and booleans held to their types) is
only available over JSON text, and strict validation of the decoded Python value
refuses what the contract allows (a date-time string, a UUID string, an enum value).
"""

import email.message
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from app.core.text import control_character_errors

Location = tuple[str | int, ...]


class RequestChecks:
    """The checks one route's requests get, built once with the route (a `TypeAdapter`
    is costly to build): its body, if it takes one, is held to strict JSON types."""

    def __init__(self, route: APIRoute) -> None:
        self.takes_body = route.body_field is not None
        annotation = route.body_field.field_info.annotation if route.body_field else None
        self.strict_body: TypeAdapter[Any] | None = (
            TypeAdapter(annotation) if annotation is not None else None
        )

    async def refuse_what_lax_validation_let_through(self, request: Request) -> None:
        """Raise `RequestValidationError` (a 422) for a JSON value of the wrong type or
        for a control character anywhere in the request's text."""
        texts = [*_parameter_texts(request), *await self._body_texts(request)]
        refuse_control_characters(texts)

    async def _body_texts(self, request: Request) -> list[tuple[Location, Any]]:
        """The body's text, each value at its place; a JSON body is first held to its
        strict types (the strict errors come before any control character's)."""
        if not self.takes_body:
            return []
        if is_form(request):
            form = await request.form()  # already parsed (and kept) by FastAPI
            return [(("body", name), value) for name, value in form.multi_items()]
        if is_json(request):
            body = await request.body()  # already read (and kept) by FastAPI
            if not body:
                return []
            if self.strict_body is not None:
                refuse_loose_json_types(self.strict_body, body)
            # Decoded by FastAPI already (`Request.json` keeps it): what it validated.
            return [(("body",), await request.json())]
        return []


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


def refuse_loose_json_types(adapter: TypeAdapter[Any], body: bytes) -> None:
    """A 422 for what lax validation took but strict JSON does not (`0` for `false`, a
    number for a date-time), each error at its place in the body."""
    try:
        adapter.validate_json(body, strict=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from exc


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
