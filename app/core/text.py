"""Which characters text from a client may hold: the one rule, used by request bodies
(`InputModel`), path and query parameters and forms (`app.core.request_checks`), and cursors
(`app.core.pagination`).

No person types a control character, and some cannot even be stored: PostgreSQL
refuses NUL in text, and a lone surrogate (which JSON's `\\ud800` escapes can carry)
is not UTF-8 at all. Tab, line feed and carriage return are text (notes, messages).
"""

import re
from typing import Any

from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# C0 controls but tab, LF and CR; DEL; C1 controls; lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# What the database cannot store at all: NUL and lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

CONTROL_CHARACTER = "string_control_character"


def control_character_problem(value: str) -> str | None:
    """Why `value` is refused (naming the first offending character), or None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return "Text may not contain NUL (U+0000) characters."
    if 0xD800 <= code <= 0xDFFF:
        return f"Text may not contain a lone surrogate (U+{code:04X})."
    return f"Text may not contain control characters (U+{code:04X})."


def refuse_control_characters(value: str) -> str:
    """`value` unchanged, or ValueError (a 422 wherever pydantic validates)."""
    problem = control_character_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def refuse_unstorable(value: str) -> str:
    """`value` unchanged if the database can store it, else ValueError. For text we
    wrote ourselves and get back (cursors): stored rows may predate the stricter rule."""
    if _UNSTORABLE.search(value) is not None:
        raise ValueError("Text may not contain NUL characters or lone surrogates.")
    return value


def control_character_errors(where: tuple[str | int, ...], value: Any) -> list[dict[str, Any]]:
    """Validation errors (`loc`, `msg`, `type`) for every string in a decoded value
    (dict keys included) that holds a refused character."""
    if isinstance(value, str):
        problem = control_character_problem(value)
        return [] if problem is None else [_error(where, problem)]
    if isinstance(value, dict):
        errors: list[dict[str, Any]] = []
        for key, item in value.items():
            # A refused key is reported once, at its own place, instead of its value.
            key_problem = control_character_problem(key) if isinstance(key, str) else None
            if key_problem is not None:
                errors.append(_error((*where, key), key_problem))
            else:
                errors += control_character_errors((*where, key), item)
        return errors
    if isinstance(value, list):
        return [
            error
            for i, item in enumerate(value)
            for error in control_character_errors((*where, i), item)
        ]
    return []


def _error(where: tuple[str | int, ...], problem: str) -> dict[str, Any]:
    return {"loc": where, "msg": problem, "type": CONTROL_CHARACTER}


def with_text_rule(schema: CoreSchema) -> CoreSchema:
    """`schema` with every `str` schema in it (in lists, dicts, keys, unions, nested
    models) refusing control characters, so pydantic reports each at its own `loc`."""
    guarded: CoreSchema = _guard_text(schema)
    return guarded


def _refuse_in_validation(value: str) -> str:
    problem = control_character_problem(value)
    if problem is not None:
        raise PydanticCustomError(CONTROL_CHARACTER, problem)
    return value


# Not validation: where a serializer or a JSON-schema hook keeps a schema of its own.
_NOT_VALIDATION = frozenset({"metadata", "serialization"})


def _guard_text(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_guard_text(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "str":
        return core_schema.no_info_after_validator_function(_refuse_in_validation, schema)
    function = schema.get("function")
    if isinstance(function, dict) and function.get("function") is _refuse_in_validation:
        return schema  # already guarded (a nested model's own schema)
    return {
        key: value if key in _NOT_VALIDATION else _guard_text(value)
        for key, value in schema.items()
    }
