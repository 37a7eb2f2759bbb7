"""What every request body shares: the base model, the web address type, and the
rule for partial updates."""

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
)
from pydantic.config import JsonDict
from pydantic_core import CoreSchema

from app.core.text import with_text_rule
from app.core.web_url import MAX_URL_LENGTH, optional_web_url


class InputModel(BaseModel):
    """Base for request bodies: unknown fields are refused, never ignored, and no text
    in them (nested lists, dicts and their keys included) may hold a control character
    (`app.core.text`): a 422 at the string's own `loc`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # Every `str` schema, wherever it sits, gets the check: pydantic then reports the
        # exact location (`tags.1`, `contacts.0.full_name`, a dict key) by itself.
        return with_text_rule(handler(source))


WebUrl = Annotated[
    str | None,
    Field(max_length=MAX_URL_LENGTH, description="An http(s) address; empty means none."),
    AfterValidator(optional_web_url),
]


# Partial updates (PATCH): a field may be left out, but a required one may not be nulled.
def refuse_cleared(update: BaseModel, required: Iterable[str]) -> None:
    """Raise ValueError (a 422) when the body sets one of `required` to null.

    Omitted fields stay as they are; a null would reach a NOT NULL column (or a list
    the reads promise) and fail there instead of at the door."""
    cleared = [n for n in required if n in update.model_fields_set and getattr(update, n) is None]
    if cleared:
        raise ValueError(f"{', '.join(cleared)} cannot be null")


def not_nullable(
    names: Iterable[str], *, examples: Iterable[dict[str, Any]] = ()
) -> Callable[[JsonDict], None]:
    """`json_schema_extra=` of a partial update: the fields `names` (those its validator or
    service refuses as null) are written without their null branch and default, so the
    contract says what the server does: they may be left out, never sent as null. With
    the model's `examples`, if any."""
    refused, shown = tuple(names), [dict(example) for example in examples]

    def extra(schema: JsonDict) -> None:
        properties = schema.get("properties")
        assert isinstance(properties, dict)
        for name in refused:
            field = properties[name]
            assert isinstance(field, dict)
            options = field.pop("anyOf", None)
            if isinstance(options, list):
                kept = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
                if len(kept) == 1 and isinstance(kept[0], dict):
                    field.update(kept[0])
                else:
                    field["anyOf"] = kept
            if field.get("default", ...) is None:
                del field["default"]
        if shown:
            schema["examples"] = shown  # type: ignore[assignment]

    return extra
