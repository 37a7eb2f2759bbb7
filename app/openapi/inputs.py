"""Request bodies as client generators read them: a field the server defaults is optional.

Pydantic writes a field with a default as a property outside `required` that carries
`default`. JSON Schema calls that optional, but generators that read `default` as "the
server always has a value" (openapi-typescript 7's `defaultNonNullable`, on by default)
type such a property as required, so a client would have to send `status` with every
`ClientCreate`. In every schema a request body reaches (its component and the components
nested in it, not the responses), the default of a property outside `required` moves
into its description ("Default: `active`."): the reader still learns it, the server
still applies it, and no generator mistakes the field for one the caller must send.
"""

import json
from collections.abc import Iterator
from typing import Any

from app.openapi.names import SCHEMAS

_METHODS = ("get", "put", "post", "patch", "delete")


def request_body_components(document: dict[str, Any]) -> set[str]:
    """The components a request body of an operation reaches, nested ones included."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    found: set[str] = set()
    pending = [
        name
        for item in document.get("paths", {}).values()
        for method in _METHODS
        if method in item
        for name in _refs(item[method].get("requestBody", {}))
    ]
    while pending:
        name = pending.pop()
        if name in found or name not in schemas:
            continue
        found.add(name)
        pending.extend(_refs(schemas[name]))
    return found


def describe_input_defaults(document: dict[str, Any]) -> None:
    """Every optional property of a request body's schemas: its default in its description."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    for name in sorted(request_body_components(document)):
        for schema in _object_schemas(schemas[name]):
            required = set(schema.get("required", []))
            for key, field in schema.get("properties", {}).items():
                if key in required or not isinstance(field, dict) or "default" not in field:
                    continue
                default = field.pop("default")
                shown = default if isinstance(default, str) else json.dumps(default)
                said = field.get("description", "").rstrip()
                field["description"] = f"{said} Default: `{shown}`.".lstrip()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            yield ref.removeprefix(SCHEMAS)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _object_schemas(node: Any) -> Iterator[dict[str, Any]]:
    """`node` and every schema inside it that has properties (inline objects too)."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node
        for key, value in node.items():
            if key not in ("examples", "example", "default", "const", "enum"):
                yield from _object_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _object_schemas(value)
