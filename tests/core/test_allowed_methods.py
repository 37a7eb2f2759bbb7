"""`Allow` names every method a path answers, whichever route serves it."""

import re
import uuid

import httpx
import pytest

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _documented(document: dict[str, object]) -> list[tuple[str, list[str]]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return [(path, [m for m in METHODS if m.lower() in item]) for path, item in paths.items()]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^/]+\}", str(uuid.uuid4()), path)


async def test_options_and_405_list_every_documented_method_of_every_path(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    for path, methods in _documented(document):
        expected = ", ".join([*methods, "OPTIONS"])
        options = await client.options(_concrete(path))
        assert (options.status_code, options.headers.get("allow")) == (204, expected), path
        missing = next((m for m in METHODS if m not in methods), None)
        if missing is None:
            continue
        refused = await client.request(missing, _concrete(path))
        assert refused.status_code == 405, (path, missing, refused.text)
        assert refused.headers["allow"] == expected, path
        assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # A GET and a POST declared in two routers (interactions, interviews).
        ("/api/v1/contacts/{id}/interactions", "GET, POST, OPTIONS"),
        ("/api/v1/clients/{id}", "GET, PATCH, DELETE, OPTIONS"),
    ],
)
async def test_a_path_served_by_several_routes_allows_all_their_methods(
    client: httpx.AsyncClient, path: str, expected: str
) -> None:
    response = await client.put(_concrete(path), json={})
    assert response.status_code == 405
    assert response.headers["allow"] == expected


async def test_options_of_an_unknown_path_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/v1/no-such-thing")
    assert response.status_code == 404
