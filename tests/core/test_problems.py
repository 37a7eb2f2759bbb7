"""Every error is an RFC 9457 problem, including the framework's own."""

import json
from collections.abc import AsyncIterator

import httpx

from app.core.config import Settings
from tests.factories.identity import signup

PROBLEM = "application/problem+json"


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"].startswith("https://")
    assert body["title"]
    return body


async def test_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = _assert_problem(await client.get("/api/v1/no-such-thing"), 404)
    assert str(body["type"]).endswith("/not-found")


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    body = _assert_problem(response, 405)
    assert str(body["type"]).endswith("/method-not-allowed")
    assert "GET" in response.headers["allow"]
    _assert_problem(await client.put("/api/v1/clients"), 405)


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/clients",
        content=b"{not json",
        headers={**owner.headers, "content-type": "application/json"},
    )
    body = _assert_problem(response, 422)
    assert body["errors"]


async def test_oversized_body_is_refused_with_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    oversized = json.dumps({"full_name": "Big", "notes": "x" * 1_100_000}).encode()
    assert len(oversized) > settings.max_body_bytes
    response = await client.post(
        "/api/v1/clients",
        content=oversized,
        headers={**owner.headers, "content-type": "application/json"},
    )
    body = _assert_problem(response, 413)
    assert body["limit_bytes"] == settings.max_body_bytes
    listed = await client.get("/api/v1/clients", headers=owner.headers)
    assert listed.json()["data"] == []


async def test_oversized_streamed_body_without_length_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"full_name": "Big", "notes": "'
        for _ in range(12):
            yield b"x" * 100_000
        yield b'"}'

    response = await client.post(
        "/api/v1/clients",
        content=chunks(),
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    _assert_problem(response, 413)


async def test_streamed_body_within_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    owner = await signup(client)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"full_name": '
        yield b'"Small Stream"}'

    response = await client.post(
        "/api/v1/clients",
        content=chunks(),
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
