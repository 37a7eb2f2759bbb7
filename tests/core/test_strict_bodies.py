"""Requests are held to the JSON types and formats the contract documents.

Pydantic's lax mode would take `0` for `false`, `false` for `0` and a number for a
date-time; a SPA sending those has a bug we should tell it about, not guess around.
"""

import logging
from typing import Any

import httpx
import pytest
import starlette.requests

from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup
from tests.interviews.pipeline_factories import create_interview


def _error_locations(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["loc"] for error in response.json()["errors"]]


async def test_a_number_is_not_a_date_time(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=contact["id"])

    response = await client.patch(
        f"/api/v1/interviews/{interview['id']}",
        json={"thank_you_sent_at": 0},
        headers=owner.headers,
    )

    assert _error_locations(response) == [["body", "thank_you_sent_at"]]


async def test_zero_is_not_false_and_false_is_not_zero(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    goal = await client.patch(
        f"/api/v1/clients/{seeker['id']}",
        json={"weekly_outreach_goal": False},
        headers=owner.headers,
    )
    setting = await client.patch(
        "/api/v1/organization", json={"require_mfa_for_staff": 0}, headers=owner.headers
    )

    assert _error_locations(goal) == [["body", "weekly_outreach_goal"]]
    assert _error_locations(setting) == [["body", "require_mfa_for_staff"]]


async def test_the_right_types_still_pass(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await client.patch(
        f"/api/v1/clients/{seeker['id']}",
        json={"weekly_outreach_goal": 5, "status": "paused", "locations": ["Berlin"]},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["weekly_outreach_goal"] == 5


async def test_a_number_is_not_an_instant_in_a_query_string(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    url = f"/api/v1/clients/{seeker['id']}/interactions"

    refused = await client.get(url, params={"until": "0.5"}, headers=owner.headers)
    accepted = await client.get(
        url, params={"until": "2030-01-07T10:00:00Z"}, headers=owner.headers
    )

    assert _error_locations(refused) == [["query", "until"]]
    assert accepted.status_code == 200


async def test_a_body_that_cannot_be_decoded_is_a_documented_400(
    app: Any, client: httpx.AsyncClient
) -> None:
    owner = await signup(client)

    response = await client.post(
        "/api/v1/clients",
        content=b'{"full_name": "\xff\xfe"}',
        headers={**owner.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    documented = app.openapi()["paths"]["/api/v1/clients"]["post"]["responses"]
    assert "400" in documented


async def test_nul_characters_are_refused_wherever_text_comes_in(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    in_body = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts",
        json={"full_name": "Ada", "tags": ["ok", "n\x00pe"]},
        headers=owner.headers,
    )
    in_query = await client.get(
        f"/api/v1/clients/{seeker['id']}/contacts",
        params={"cursor": "x\x00"},
        headers=owner.headers,
    )
    in_form = await client.post(
        "/api/v1/auth/token", data={"username": "a\x00@example.com", "password": "x" * 12}
    )

    assert _error_locations(in_body) == [["body", "tags", 1]]
    assert _error_locations(in_query) == [["query", "cursor"]]
    assert _error_locations(in_form) == [["body", "username"]]


async def test_a_valid_body_is_parsed_once_by_the_strict_validation(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await signup(client)
    decoded: list[bytes] = []
    real_json = starlette.requests.json

    class CountingJson:
        @staticmethod
        def loads(body: bytes) -> Any:
            decoded.append(body)
            return real_json.loads(body)

    monkeypatch.setattr(starlette.requests, "json", CountingJson)

    created = await client.post(
        "/api/v1/clients",
        json={"full_name": "Ines Once", "weekly_outreach_goal": 3},
        headers=owner.headers,
    )
    decoded_for_the_valid_body = list(decoded)
    refused = await client.post(
        "/api/v1/clients",
        json={"full_name": "Ines Twice", "weekly_outreach_goal": True},
        headers=owner.headers,
    )

    assert created.status_code == 201, created.text
    assert created.json()["full_name"] == "Ines Once"
    assert created.json()["weekly_outreach_goal"] == 3
    assert decoded_for_the_valid_body == []  # FastAPI took the strict validation's model
    # A body the strict validation refuses is left to FastAPI, which decodes it as before.
    assert _error_locations(refused) == [["body", "weekly_outreach_goal"]]
    assert len(decoded) == 1


async def test_a_client_gone_in_the_middle_of_its_body_is_no_server_error(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The body is read before FastAPI's handler (to parse it once): a client that hangs
    up half-way is FastAPI's usual case then, not an unhandled error."""
    incoming = [
        {"type": "http.request", "body": b'{"full_name": "Half a na', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/clients",
        "raw_path": b"/api/v1/clients",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    with caplog.at_level(logging.ERROR):
        await app(scope, receive, send)

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert all(status < 500 for status in statuses)
