"""Request body limits: one for every route, a larger one for the contact import."""

import json
from collections.abc import AsyncIterator

import httpx

from app.core.config import Settings
from tests.factories.clients import create_client
from tests.factories.identity import Actor, signup

PROBLEM = "application/problem+json"
HEADER = b"full_name,notes\n"
MB = 1_000_000


def csv_of_size(size: int) -> bytes:
    """A template CSV of exactly `size` bytes: rows of one person with long notes."""
    rows = []
    total = len(HEADER)
    while total < size:
        name = f"Person {len(rows):04d},"
        # Notes of at most 20,000 characters, the last row padding to the exact size.
        notes = min(19_000, size - total - len(name) - 1)
        row = (name + "x" * max(notes, 0) + "\n").encode()
        rows.append(row)
        total += len(row)
    content = HEADER + b"".join(rows)
    assert len(content) == size
    return content


async def upload(
    http: httpx.AsyncClient, actor: Actor, client_id: str, content: bytes
) -> httpx.Response:
    return await http.post(
        f"/api/v1/clients/{client_id}/contacts/import",
        files={"file": ("contacts.csv", content, "text/csv")},
        headers=actor.headers,
    )


def assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 413
    assert body["limit_bytes"] == limit
    assert f"{limit:,} bytes" in body["detail"]


async def test_a_csv_over_the_global_limit_but_within_the_import_limit_is_imported(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    content = csv_of_size(MB * 3 // 2)
    assert settings.max_body_bytes < len(content) < settings.import_max_bytes

    response = await upload(client, owner, seeker["id"], content)

    assert response.status_code == 200, response.text[:500]
    assert response.json()["created"] == content.count(b"\n") - 1
    assert response.json()["errors"] == []


async def test_a_file_of_exactly_the_import_limit_fits_with_its_multipart_framing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    response = await upload(client, owner, seeker["id"], csv_of_size(settings.import_max_bytes))

    assert response.status_code == 200, response.text[:500]


async def test_the_same_size_as_json_to_any_other_route_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    big = json.dumps({"full_name": "Big", "notes": "x" * (MB * 3 // 2)}).encode()
    json_headers = {**owner.headers, "content-type": "application/json"}

    # Including the import path's sibling, and the import path with another method.
    for method, path in (
        ("POST", "/api/v1/clients"),
        ("POST", f"/api/v1/clients/{seeker['id']}/contacts"),
        ("PUT", f"/api/v1/clients/{seeker['id']}/contacts/import"),
    ):
        response = await client.request(method, path, content=big, headers=json_headers)
        assert_too_large(response, settings.max_body_bytes)
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    assert listed.json()["data"] == []


async def test_an_import_over_its_limit_is_refused_naming_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    content = csv_of_size(settings.import_max_bytes + 64 * 1024)

    assert_too_large(await upload(client, owner, seeker["id"], content), settings.import_max_bytes)

    # Streamed without a Content-Length, it is cut off while it arrives.
    boundary = "limit-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="contacts.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts/import",
        content=chunks(),
        headers={**owner.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in response.request.headers
    assert_too_large(response, settings.import_max_bytes)
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    assert listed.json()["data"] == []
