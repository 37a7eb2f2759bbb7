"""Headers every response carries, whatever answered it."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.factories.clients import create_client
from tests.factories.identity import signup


def _nosniff(response: httpx.Response) -> bool:
    return response.headers.get_list("x-content-type-options") == ["nosniff"]


async def test_every_kind_of_response_forbids_content_sniffing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    answers: dict[str, httpx.Response] = {
        "liveness": await client.get("/healthz"),
        "json": await client.get("/api/v1/me", headers=owner.headers),
        "created": await client.post(
            "/api/v1/clients", json={"full_name": "Hal Hopeful"}, headers=owner.headers
        ),
        "unauthenticated": await client.get("/api/v1/me"),
        "unknown path": await client.get("/api/v1/no-such-thing"),
        "missing object": await client.get(
            "/api/v1/clients/00000000-0000-0000-0000-000000000000", headers=owner.headers
        ),
        "invalid body": await client.post("/api/v1/clients", json={}, headers=owner.headers),
        "too large": await client.post(
            "/api/v1/clients",
            content=b"x" * (settings.max_body_bytes + 1),
            headers={**owner.headers, "content-type": "application/json"},
        ),
        "csv": await client.get("/api/v1/reports/caseload?format=csv", headers=owner.headers),
        "svg": await client.get(
            f"/api/v1/clients/{grace['id']}/traction/chart.svg", headers=owner.headers
        ),
        "no content": await client.delete(f"/api/v1/clients/{grace['id']}", headers=owner.headers),
    }
    assert answers["csv"].headers["content-type"].startswith("text/csv")
    assert answers["svg"].headers["content-type"].startswith("image/svg+xml")
    assert {name: r.status_code for name, r in answers.items() if not _nosniff(r)} == {}


@pytest.fixture
def app_with_a_bug(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/bug")
    async def bug() -> dict[str, Any]:
        raise RuntimeError("an unexpected failure")

    return app


async def test_an_unexpected_error_forbids_content_sniffing_too(app_with_a_bug: FastAPI) -> None:
    # The 500 is answered outside the app's middleware, by Starlette's error middleware.
    transport = httpx.ASGITransport(app=app_with_a_bug, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/bug")
    assert response.status_code == 500
    assert _nosniff(response)
