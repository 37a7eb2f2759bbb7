"""Where a hostile string can go in each operation of the OpenAPI document, and the
exact request that puts it there.

For every operation: every string in the request body (nested objects, array items
and dict keys included, read from the schema), every field of a form, every cell
column and the file name of a CSV upload, every query and path parameter, and a few
headers. Each request is otherwise a valid one (required fields filled from the
schema's examples, path ids naming the caller's objects), so a value that passes
validation reaches the service and the database.
"""

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.factories.identity import PASSWORD, unique_email
from tests.fuzz.hostile import BODY, HEADER, PATH, QUERY, Hostile
from tests.fuzz.world import RECEIVER_URL

METHODS = ("get", "put", "post", "patch", "delete")
MARKER = "FUZZ-MARKER-6b1f0c"
BOUNDARY = "fuzzboundary7d3a"

# Path parameters no world names: a value of the right shape.
DEFAULT_PATH_VALUES = {"item_id": f"follow_up_due.{uuid.UUID(int=1)}"}
# Required values the schema alone does not make valid for the caller's world.
BODY_OVERRIDES: dict[str, dict[str, Any]] = {
    "members_update": {"role": "coach"},
    "invitations_create": {"role": "coach"},
    "interviews_create": {"kind": "informational", "contact_id": "{contact_id}"},
    "agenda_item_state_set": {"status": "done"},
    "interviews_transition": {"to_stage": "scheduled"},
    "interviews_add_referrals": {"contacts": [{"full_name": "Sam Suggested"}]},
    # Never the client's real name: the erasure must not happen.
    "clients_erase": {"confirm_name": "Not The Name"},
}
# CSV import template columns (app/contacts/import_csv.py).
CSV_COLUMNS = (
    "full_name",
    "email",
    "phone",
    "linkedin_url",
    "company_name",
    "title",
    "relationship",
    "source",
    "tags",
    "notes",
)


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    operation_id: str
    spec: dict[str, Any]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return list(self.spec.get("parameters", []))

    @property
    def body_media(self) -> str | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        return next(iter(content), None)

    def body_schema(self, document: dict[str, Any]) -> dict[str, Any] | None:
        media = self.body_media
        if media is None:
            return None
        return resolve(document, self.spec["requestBody"]["content"][media]["schema"])


@dataclass(frozen=True, slots=True)
class Target:
    """One place a hostile value goes: `kind` and, for a body, the JSON path."""

    kind: str  # body, body-key, form, csv, filename, query, cursor, path, header
    name: str
    location: tuple[str | int, ...] = ()
    # Text the app takes as it is (no UUID, date, number, enum or pattern to parse first):
    # every value of the catalogue means something different there.
    free_text: bool = True

    @property
    def where(self) -> str:
        return {
            "query": QUERY,
            "cursor": QUERY,
            "path": PATH,
            "header": HEADER,
        }.get(self.kind, BODY)

    def label(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(slots=True)
class Request:
    method: str
    target: str  # the request target as sent: percent-encoded path and query
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def describe(self, secrets: dict[str, str] | None = None) -> str:
        headers = []
        for name, value in self.headers:
            shown = value.decode("latin-1")
            for secret, placeholder in (secrets or {}).items():
                shown = shown.replace(secret, placeholder)
            headers.append(f"    {name.decode('latin-1')}: {_short(repr(shown), 200)}")
        return "\n".join(
            [
                f"  {self.method} {_short(self.target, 300)}",
                *headers,
                f"    body ({len(self.body)} bytes): {_short(repr(self.body), 400)}",
            ]
        )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec["operationId"], spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def requires_login(document: dict[str, Any], operation: Operation) -> bool:
    """Whether the operation takes the API's credentials (an access token or an API key):
    a scheme of its `security` (the document's when it has none) is one of the document's
    own. `security: []` is public; `/metrics`' own token is no login."""
    api_schemes = {name for requirement in document.get("security", []) for name in requirement}
    requirements = operation.spec.get("security", document.get("security", []))
    return any(api_schemes.intersection(requirement) for requirement in requirements)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        extra = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**document["components"]["schemas"][name], **extra}
    return schema


def _branches(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (anyOf / oneOf), resolved."""
    schema = resolve(document, schema)
    if "properties" in schema:
        return [schema]  # an object's `oneOf` says which of its fields it holds
    options = schema.get("anyOf") or schema.get("oneOf")
    if not options:
        return [schema]
    resolved = [resolve(document, option) for option in options]
    return [option for option in resolved if option.get("type") != "null"] or resolved


def _takes_string(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    return any(branch.get("type") == "string" for branch in _branches(document, schema))


# --- which targets an operation has -------------------------------------------------


def free_text(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a value of `schema` is text as it is: a string without a format (but an
    email address or a URL, which are parsed as text), an enum or a pattern."""
    return any(
        branch.get("type") == "string"
        and branch.get("format") in (None, "email", "uri")
        and "enum" not in branch
        and "pattern" not in branch
        for branch in _branches(document, schema)
    )


def body_targets(
    document: dict[str, Any], schema: dict[str, Any], where: tuple[str | int, ...] = ()
) -> Iterator[Target]:
    """Every string place in a JSON body schema: properties, array items, dict keys."""
    for branch in _branches(document, schema):
        kind = branch.get("type")
        if kind == "string":
            label = ".".join(map(str, where)) or "(body)"
            yield Target("body", label, where, free_text=free_text(document, branch))
            return
        if kind == "array" and "items" in branch:
            yield from body_targets(document, branch["items"], (*where, 0))
            return
        if kind == "object":
            for name, prop in branch.get("properties", {}).items():
                yield from body_targets(document, prop, (*where, name))
            if isinstance(branch.get("additionalProperties"), dict):
                # A dict's keys are strings too (keep_in_touch_defaults).
                yield Target("body-key", ".".join(map(str, (*where, "<key>"))), where)
            elif where == ():
                # An unknown top-level field, named with the value.
                yield Target("body-key", "<unknown field>", where)
            return


def targets(document: dict[str, Any], operation: Operation) -> list[Target]:
    found: list[Target] = []
    schema = operation.body_schema(document)
    media = operation.body_media
    if schema is not None and media == "application/json":
        found += body_targets(document, schema)
    elif schema is not None and media == "application/x-www-form-urlencoded":
        found += [Target("form", name) for name in schema.get("properties", {})]
    elif schema is not None and media == "multipart/form-data":
        found += [Target("csv", column) for column in CSV_COLUMNS]
        found.append(Target("filename", "file"))
    for parameter in operation.parameters:
        where, name = parameter["in"], parameter["name"]
        text = free_text(document, parameter["schema"])
        if where == "query":
            found.append(Target("query", name, free_text=text))
            if name == "cursor":
                found.append(Target("cursor", name))
        elif where == "path":
            found.append(Target("path", name, free_text=text))
    # X-Forwarded-For: the rate limiter reads the client address from it (behind proxies).
    headers = ["Authorization", "Authorization: Bearer", "X-Request-ID", "Accept"]
    headers.append("X-Forwarded-For")
    if operation.method == "POST":
        headers.append("Idempotency-Key")
    if operation.method == "PATCH" or any(
        p["in"] == "header" and p["name"] == "If-Match" for p in operation.parameters
    ):
        headers.append("If-Match")
    if media is not None:
        headers.append("Content-Type")
    found += [Target("header", name) for name in headers]
    return found


# --- baseline values ----------------------------------------------------------------


@dataclass
class Context:
    """What a request is built from: the caller's credentials and object ids."""

    authorization: str | None
    parameters: dict[str, str]


def baseline(document: dict[str, Any], schema: dict[str, Any], name: str, ctx: Context) -> Any:
    """A valid value for `schema`: its examples, else a value of its type and format."""
    schema = resolve(document, schema)
    branches = _branches(document, schema)
    branch = branches[0]
    kind, fmt = branch.get("type"), branch.get("format")
    # A model's example names objects of the demo's world, not the caller's: a model is
    # built from its fields' values instead.
    model = kind == "object" and "properties" in branch
    examples = None if model else schema.get("examples") or branch.get("examples")
    if fmt == "uuid":
        return ctx.parameters.get(name, str(uuid.uuid4()))
    if name == "username" and "username" in ctx.parameters:
        return ctx.parameters["username"]  # a real login: the request gets past the password
    if fmt == "email" or name == "username":
        return unique_email("fuzz")
    if fmt == "date-time":
        return (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    if fmt == "date":
        return (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    if fmt == "uri":
        return RECEIVER_URL
    if examples:
        return examples[0]
    if "enum" in branch:
        return branch["enum"][0]
    if "default" in schema:
        return schema["default"]
    if kind == "string":
        if branch.get("pattern") == "^[0-9]{6}$":
            return "123456"
        if branch.get("pattern") == "^password$":
            return "password"
        if branch.get("minLength", 0) >= 10 or name == "password":
            return PASSWORD
        return "Fuzz value"
    if kind == "integer":
        return int(branch.get("minimum", 1))
    if kind == "number":
        return float(branch.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        if branch.get("minItems", 0) > 0:
            return [baseline(document, branch["items"], name, ctx)]
        return []
    if kind == "object":
        return {
            key: baseline(document, branch["properties"][key], key, ctx)
            for key in branch.get("required", [])
        }
    return None


def _with_value(
    document: dict[str, Any],
    schema: dict[str, Any],
    location: tuple[str | int, ...],
    leaf: Any,
    ctx: Context,
    name: str = "",
) -> Any:
    """The baseline for `schema`, with `leaf` at `location` (building what leads there)."""
    if not location:
        return leaf
    branch = next(
        (
            b
            for b in _branches(document, schema)
            if b.get("type") in ("object", "array") or "properties" in b
        ),
        resolve(document, schema),
    )
    head, rest = location[0], location[1:]
    if isinstance(head, int):
        return [_with_value(document, branch["items"], rest, leaf, ctx, name)]
    value = baseline(document, branch, name, ctx)
    value = dict(value) if isinstance(value, dict) else {}
    value[head] = _with_value(document, branch["properties"][head], rest, leaf, ctx, str(head))
    return value


def _filled(value: Any, ctx: Context) -> Any:
    """`"{contact_id}"` → the world's contact id; anything else as it is."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ctx.parameters[value[1:-1]]
    return value


def _json_body(
    document: dict[str, Any], operation: Operation, ctx: Context, target: Target | None, hostile
) -> bytes:
    schema = operation.body_schema(document)
    assert schema is not None
    wanted = BODY_OVERRIDES.get(operation.operation_id, {})
    overrides = {key: _filled(value, ctx) for key, value in wanted.items()}
    if target is not None and target.kind == "body":
        body = _with_value(document, schema, target.location, MARKER, ctx)
    else:
        body = baseline(document, schema, "", ctx)
    if isinstance(body, dict):
        for key, value in overrides.items():
            if target is None or target.location[:1] != (key,):
                body[key] = value
        if target is not None and target.kind == "body-key":
            container = body
            for step in target.location:
                container = container.setdefault(step, {})
            container[MARKER] = 1
    encoded = json.dumps(body, separators=(",", ":")).encode()
    if target is None or target.kind not in ("body", "body-key"):
        return encoded
    return encoded.replace(json.dumps(MARKER).encode()[1:-1], hostile)


def json_escaped(value: Hostile) -> bytes:
    """The value inside a JSON string literal: `\\u` escapes for text, raw for octets."""
    if value.raw is not None:
        return value.raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    assert value.text is not None
    return json.dumps(value.text).encode()[1:-1]


def json_raw_utf8(value: Hostile) -> bytes:
    """The value inside a JSON string literal as raw UTF-8 (only `"` and `\\` escaped):
    raw control characters and surrogates' 3-byte forms, which JSON does not allow."""
    return value.encoded().replace(b"\\", b"\\\\").replace(b'"', b'\\"')


def _form_body(
    document: dict[str, Any], operation: Operation, ctx: Context, target: Target | None, hostile
) -> bytes:
    schema = operation.body_schema(document)
    assert schema is not None
    fields = {
        key: str(baseline(document, schema["properties"][key], key, ctx)).encode()
        for key in schema.get("required", [])
    }
    if target is not None and target.kind == "form":
        fields[target.name] = hostile
    return b"&".join(
        quote(key, safe="").encode() + b"=" + quote(value, safe="").encode()
        for key, value in fields.items()
    )


def _csv_cell(value: bytes) -> bytes:
    return b'"' + value.replace(b'"', b'""') + b'"'


def _multipart_body(target: Target | None, hostile: bytes) -> bytes:
    filename = b"contacts.csv"
    if target is not None and target.kind == "csv":
        if target.name == "full_name":
            csv_bytes = b"full_name\r\n" + _csv_cell(hostile) + b"\r\n"
        else:
            csv_bytes = (
                b"full_name," + target.name.encode() + b"\r\nAda Import," + _csv_cell(hostile)
            ) + b"\r\n"
    else:
        csv_bytes = b"full_name,email\r\nAda Import,\r\n"
        if target is not None and target.kind == "filename":
            filename = hostile.replace(b'"', b"%22")
    return (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + csv_bytes + b"\r\n--" + BOUNDARY.encode() + b"--\r\n"
    )


def cursor_shapes(value: Hostile) -> list[bytes]:
    """Cursors shaped like `encode_cursor`'s (base64url JSON lists), holding the value."""
    text: Any = value.text if value.text is not None else value.raw.decode("latin-1")  # type: ignore[union-attr]
    shapes = [
        [text, {"uuid": str(uuid.uuid4())}],
        [{"dt": text}, {"uuid": str(uuid.uuid4())}],
        [{"uuid": text}],
        [text, text, {"uuid": str(uuid.uuid4())}],
    ]
    encoded = []
    for shape in shapes:
        raw = json.dumps(shape).encode()
        encoded.append(base64.urlsafe_b64encode(raw).rstrip(b"="))
    return encoded


# Cursors of the right shape whose values are of the wrong type or out of range.
CURSOR_CONFUSIONS: tuple[Any, ...] = (
    [1, {"uuid": str(uuid.UUID(int=0))}],
    [1.5e308, {"uuid": str(uuid.UUID(int=0))}],
    [True, {"uuid": str(uuid.UUID(int=0))}],
    [None, {"uuid": str(uuid.UUID(int=0))}],
    [[], {"uuid": str(uuid.UUID(int=0))}],
    [{"dt": "0001-01-01T00:00:00+14:00"}, {"uuid": str(uuid.UUID(int=0))}],
    [{"dt": "9999-12-31T23:59:59-14:00"}, {"uuid": str(uuid.UUID(int=0))}],
    [{"dt": "2024-01-01T00:00:00"}, {"uuid": str(uuid.UUID(int=0))}],
    [{"dt": "2024-01-01T00:00:00Z"}, "not-a-uuid"],
    [{"dt": "2024-01-01T00:00:00Z"}, 12345678901234567890123],
    [{"dt": "2024-01-01T00:00:00Z"}, {"uuid": str(uuid.UUID(int=0))}],
    ["a", {"dt": "2024-01-01T00:00:00Z"}, {"uuid": str(uuid.UUID(int=0))}],
    [1, 2, {"uuid": str(uuid.UUID(int=0))}],
    ["x" * 400],
    [9223372036854775808, {"uuid": str(uuid.UUID(int=0))}],
    [-9223372036854775809, {"uuid": str(uuid.UUID(int=0))}],
)


def confusion_cursor(index: int) -> bytes:
    raw = json.dumps(CURSOR_CONFUSIONS[index]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def build_request(
    document: dict[str, Any],
    operation: Operation,
    ctx: Context,
    target: Target | None = None,
    value: bytes = b"",
    *,
    query: dict[str, str] | None = None,
) -> Request:
    """The request for `operation` with `value` (already encoded for the target) at
    `target`; the plain valid request without one."""
    path = operation.path
    for parameter in operation.parameters:
        if parameter["in"] != "path":
            continue
        name = parameter["name"]
        if target is not None and target.kind == "path" and target.name == name:
            segment = quote(value, safe="")
        else:
            segment = quote(ctx.parameters.get(name, DEFAULT_PATH_VALUES.get(name, "x")), safe="")
        path = path.replace("{" + name + "}", segment)
    pairs = [
        (quote(key, safe="").encode(), quote(item, safe="").encode())
        for key, item in (query or {}).items()
    ]
    if target is not None and target.kind in ("query", "cursor"):
        pairs.append((target.name.encode(), quote(value, safe="").encode()))
    if pairs:
        path += "?" + b"&".join(k + b"=" + v for k, v in pairs).decode("ascii")

    headers: list[tuple[bytes, bytes]] = []
    if ctx.authorization is not None:
        headers.append((b"authorization", ctx.authorization.encode()))
    media, body = operation.body_media, b""
    if media == "application/json":
        body = _json_body(document, operation, ctx, target, value)
    elif media == "application/x-www-form-urlencoded":
        body = _form_body(document, operation, ctx, target, value)
    elif media == "multipart/form-data":
        body = _multipart_body(target, value)
        media = f"multipart/form-data; boundary={BOUNDARY}"
    if media is not None:
        headers.append((b"content-type", media.encode()))
    if target is not None and target.kind == "header":
        name = target.name.lower()
        if name == "authorization: bearer":
            headers = [h for h in headers if h[0] != b"authorization"]
            headers.append((b"authorization", b"Bearer " + value))
        else:
            headers = [h for h in headers if h[0] != name.encode()]
            headers.append((name.encode(), value))
    return Request(operation.method, path, headers, body)


def encodings(target: Target, value: Hostile, *, full: bool) -> list[tuple[str, bytes]]:
    """The octets a value is sent as at `target`, each with a name for the report."""
    if target.kind in ("body", "body-key"):
        found = [("json escape", json_escaped(value))]
        text = value.text
        if full and text is not None and (not text.isascii() or any(ord(c) < 0x20 for c in text)):
            # The same text unescaped: raw controls and surrogate forms JSON does not allow.
            found.append(("raw utf-8 in json", json_raw_utf8(value)))
        return found
    if target.kind == "cursor":
        # The first shape puts the value where a sort key's value goes (into the SQL);
        # the others only for the short list.
        shapes = cursor_shapes(value)
        return [
            (f"cursor shape {i}", shape) for i, shape in enumerate(shapes) if i == 0 or value.short
        ]
    return [("utf-8", value.encoded())]


def applies(target: Target, value: Hostile) -> bool:
    return target.where in value.where


__all__ = [
    "BODY",
    "HEADER",
    "PATH",
    "QUERY",
    "Context",
    "Operation",
    "Request",
    "Target",
    "applies",
    "build_request",
    "confusion_cursor",
    "encodings",
    "operations",
    "requires_login",
    "targets",
]
