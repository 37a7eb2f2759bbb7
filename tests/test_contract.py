"""The OpenAPI document is the contract for the SPA, reports and integrations.

The committed `openapi/openapi.json` must match the app, and every operation
must be documented well enough to generate a client from it.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from app.core.config import Environment, Settings
from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_MEDIA_TYPE = "application/problem+json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    # The document does not depend on the database; build it as `make openapi` does.
    secret = SecretStr("contract-test-only-" + "x" * 40)
    app = create_app(Settings(env=Environment.test, jwt_secret=secret))
    return dict(app.openapi())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def documents_problem(operation: dict[str, Any], status: str) -> bool:
    response = operation.get("responses", {}).get(status)
    if response is None:
        return False
    schema = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("schema", {})
    return bool(schema.get("$ref") == PROBLEM_REF)


def test_committed_openapi_matches_the_app(document: dict[str, Any]) -> None:
    if not COMMITTED.exists():
        pytest.fail("openapi/openapi.json is missing: run `make openapi` and commit it")
    committed = json.loads(COMMITTED.read_text())
    # Round-trip through JSON so the app's document compares as it would be written.
    current = json.loads(json.dumps(document))
    if committed != current:
        changed = "\n".join(differences(committed, current)[:20])
        pytest.fail(
            "openapi/openapi.json is stale: run `make openapi` and commit it. "
            f"First differences:\n{changed}",
            pytrace=False,
        )


def differences(committed: Any, current: Any, where: str = "") -> list[str]:
    """JSON pointers (shortened) where the two documents disagree."""
    if isinstance(committed, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(committed) | set(current)):
            if key not in current:
                found.append(f"{where}/{key}: only in the committed file")
            elif key not in committed:
                found.append(f"{where}/{key}: only in the app")
            else:
                found += differences(committed[key], current[key], f"{where}/{key}")
        return found
    return [] if committed == current else [f"{where}: changed"]


def test_every_operation_has_an_id_a_summary_and_a_tag(document: dict[str, Any]) -> None:
    missing = [
        f"{name}: {field}"
        for name, operation in operations(document)
        for field in ("operationId", "summary", "tags")
        if not operation.get(field)
    ]
    assert missing == [], "operations lacking documentation:\n" + "\n".join(missing)


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for name, operation in operations(document):
        operation_id = operation.get("operationId", "")
        if operation_id in seen:
            duplicates.append(f"{operation_id}: {seen[operation_id]} and {name}")
        seen[operation_id] = name
    assert duplicates == [], "duplicate operationIds:\n" + "\n".join(duplicates)


def test_operations_with_a_path_id_document_404_as_a_problem(document: dict[str, Any]) -> None:
    undocumented = [
        name
        for name, operation in operations(document)
        if any(p.get("in") == "path" for p in operation.get("parameters", []))
        and not documents_problem(operation, "404")
    ]
    assert undocumented == [], (
        "operations with a path parameter must document 404 with the Problem schema "
        f"({PROBLEM_MEDIA_TYPE}):\n" + "\n".join(undocumented)
    )


def test_authenticated_operations_document_401_as_a_problem(document: dict[str, Any]) -> None:
    undocumented = [
        name
        for name, operation in operations(document)
        if operation.get("security") and not documents_problem(operation, "401")
    ]
    assert undocumented == [], (
        "authenticated operations must document 401 with the Problem schema "
        f"({PROBLEM_MEDIA_TYPE}):\n" + "\n".join(undocumented)
    )


def test_documented_errors_use_the_problem_schema(document: dict[str, Any]) -> None:
    wrong = [
        f"{name}: {status}"
        for name, operation in operations(document)
        for status in operation.get("responses", {})
        if status[0] in "45" and not documents_problem(operation, status)
    ]
    assert wrong == [], (
        f"error responses must be {PROBLEM_MEDIA_TYPE} with the Problem schema:\n"
        + "\n".join(wrong)
    )


def test_request_body_properties_outside_required_carry_no_default(
    document: dict[str, Any],
) -> None:
    """A generator reading `default` as "always present" (openapi-typescript 7 with its
    default settings) would make the caller send such a field: the default is said in
    the description instead (app/openapi/inputs.py), and the server still applies it."""
    schemas = document["components"]["schemas"]
    pending = [
        ref
        for _, operation in operations(document)
        for ref in _schema_refs(operation.get("requestBody", {}))
    ]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending += _schema_refs(schemas[name])
    defaulted = [
        f"{name}.{key}"
        for name in sorted(reached)
        for key, field in schemas[name].get("properties", {}).items()
        if key not in schemas[name].get("required", []) and "default" in field
    ]
    assert defaulted == []
    assert {"ClientCreate", "ContactCreate", "CompanyCreate"} <= reached
    said = schemas["ClientCreate"]["properties"]["status"]["description"]
    assert "Default: `active`." in said
    said = schemas["ContactCreate"]["properties"]["relationship"]["description"]
    assert "Default: `other`." in said


def _schema_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        found = [ref.rsplit("/", 1)[-1]] if ref.startswith("#/components/schemas/") else []
        return found + [name for value in node.values() for name in _schema_refs(value)]
    if isinstance(node, list):
        return [name for value in node for name in _schema_refs(value)]
    return []
