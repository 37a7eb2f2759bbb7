from typing import Any

import httpx

from tests.factories.identity import Actor


async def create_endpoint(
    http: httpx.AsyncClient, actor: Actor, url: str, **fields: Any
) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/webhook-endpoints", json={"url": url, **fields}, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/webhook-endpoints/{response.json()['id']}"
    return dict(response.json())
