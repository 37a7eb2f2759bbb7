"""No text a client sends may hold a control character: a 422 naming where, nothing stored.

Bodies are sent with JSON escapes (`\\u0001`, `\\ud800`), as a client can, so even a
lone surrogate arrives as such.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, signup

CONTROL_CHARACTERS = {
    "nul": "\x00",
    "start-of-heading": "\x01",
    "vertical-tab": "\x0b",
    "escape": "\x1b",
    "delete": "\x7f",
    "next-line": "\x85",
    "c1-last": "\x9f",
    "lone-surrogate": "\ud800",
}


async def _send(
    http: httpx.AsyncClient, method: str, url: str, actor: Actor, body: dict[str, Any]
) -> httpx.Response:
    return await http.request(
        method,
        url,
        content=json.dumps(body),  # ASCII with escapes: a lone surrogate travels intact
        headers={**actor.headers, "content-type": "application/json"},
    )


def _locations(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["loc"] for error in response.json()["errors"]]


async def _client_named(http: httpx.AsyncClient, actor: Actor, bad: str) -> list[list[Any]]:
    response = await _send(http, "POST", "/api/v1/clients", actor, {"full_name": f"Gr{bad}ace"})
    listed = await http.get("/api/v1/clients", headers=actor.headers)
    assert listed.json()["data"] == []
    return _locations(response)


async def _contact_tagged(http: httpx.AsyncClient, actor: Actor, bad: str) -> list[list[Any]]:
    seeker = await create_client(http, actor)
    url = f"/api/v1/clients/{seeker['id']}/contacts"
    body = {"full_name": "Ada", "tags": ["mentor", f"fin{bad}tech"]}
    response = await _send(http, "POST", url, actor, body)
    assert (await http.get(url, headers=actor.headers)).json()["data"] == []
    return _locations(response)


async def _contact_notes_changed(
    http: httpx.AsyncClient, actor: Actor, bad: str
) -> list[list[Any]]:
    seeker = await create_client(http, actor)
    ada = await create_contact(http, actor, seeker["id"], notes="Met at a meetup")
    url = f"/api/v1/contacts/{ada['id']}"
    response = await _send(http, "PATCH", url, actor, {"notes": f"Line one\nline{bad} two"})
    assert (await http.get(url, headers=actor.headers)).json()["notes"] == "Met at a meetup"
    return _locations(response)


async def _company_named(http: httpx.AsyncClient, actor: Actor, bad: str) -> list[list[Any]]:
    seeker = await create_client(http, actor)
    url = f"/api/v1/clients/{seeker['id']}/companies"
    response = await _send(http, "POST", url, actor, {"name": f"Ac{bad}me"})
    assert (await http.get(url, headers=actor.headers)).json()["data"] == []
    return _locations(response)


async def _clients_searched(http: httpx.AsyncClient, actor: Actor, bad: str) -> list[list[Any]]:
    response = await http.get("/api/v1/clients", params={"q": f"Gr{bad}ace"}, headers=actor.headers)
    return _locations(response)


Attempt = Callable[[httpx.AsyncClient, Actor, str], Awaitable[list[list[Any]]]]
ATTEMPTS: dict[str, tuple[Attempt, list[list[Any]]]] = {
    "client-name": (_client_named, [["body", "full_name"]]),
    "contact-tag": (_contact_tagged, [["body", "tags", 1]]),
    "contact-notes": (_contact_notes_changed, [["body", "notes"]]),
    "company-name": (_company_named, [["body", "name"]]),
    "client-search": (_clients_searched, [["query", "q"]]),
}


@pytest.mark.parametrize("where", list(ATTEMPTS))
@pytest.mark.parametrize("character", list(CONTROL_CHARACTERS))
async def test_control_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, where: str, character: str
) -> None:
    if where == "client-search" and character == "lone-surrogate":
        pytest.skip("a query string is bytes: a lone surrogate cannot be percent-encoded")
    owner = await signup(client)
    attempt, expected = ATTEMPTS[where]
    assert await attempt(client, owner, CONTROL_CHARACTERS[character]) == expected


async def test_form_fields_and_unknown_field_names_are_checked_too(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/auth/token",
        data={"username": "ada\x01@example.com", "password": "x" * 12},
    )
    assert _locations(response) == [["body", "username"]]
    unknown = await _send(
        client, "POST", "/api/v1/clients", owner, {"full_name": "Grace", "not\x01ok": 1}
    )
    assert _locations(unknown) == [["body", "not\x01ok"]]


async def test_notes_keep_their_line_breaks_and_tabs(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    notes = "Agenda:\n\t- intro\r\n\t- referral"
    ada = await create_contact(client, owner, seeker["id"], notes=notes)
    assert ada["notes"] == notes
    read = await client.get(f"/api/v1/contacts/{ada['id']}", headers=owner.headers)
    assert read.json()["notes"] == notes
