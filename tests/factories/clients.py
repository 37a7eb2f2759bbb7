import uuid
from typing import Any

import httpx

from tests.factories.identity import Actor


async def create_client(http: httpx.AsyncClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    body = {"full_name": "Grace Jobseeker", **fields}
    response = await http.post("/api/v1/clients", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/clients/{response.json()['id']}"
    return dict(response.json())


async def assign_coach(
    http: httpx.AsyncClient, admin: Actor, client_id: str | uuid.UUID, coach: Actor
) -> None:
    response = await http.put(
        f"/api/v1/clients/{client_id}/coaches/{coach.user_id}", headers=admin.headers
    )
    assert response.status_code == 200, response.text
