"""The data a fuzzing run works on: one organization per caller, built through the API.

Path ids name real objects, so generated requests reach the code behind the 404:
each caller gets an organization of its own (what one caller's run deletes or
changes never reaches another's), and every destructive operation is pointed at a
disposable object of its own, so a `DELETE` early in the run does not turn the
rest of the run into 404s.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.main import API_PREFIX
from app.models.enums import Role
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_chain, create_contact
from tests.factories.identity import Actor, add_member, signup, unique_email
from tests.factories.webhooks import create_endpoint
from tests.interviews.pipeline_factories import create_company, create_interview, create_outreach

# "stranger ids": the owner again, with every path id left to the fuzzer (random,
# malformed, NUL bytes, invalid UTF-8…), to exercise path parsing and 404s.
Caller = Literal["owner", "coach", "client", "stranger ids"]


# An address literal: registering it needs no DNS, and nothing is sent (no worker runs).
RECEIVER_URL = "https://93.184.216.34/hooks"


@dataclass
class World:
    caller: Caller
    actor: Actor
    # Path parameter → id, for every operation …
    parameters: dict[str, str] = field(default_factory=dict)
    # … except these operations (by id), which get their own (destructive ones).
    operation_parameters: dict[str, dict[str, str]] = field(default_factory=dict)
    # The organization's owner, whoever the caller is (to arrange more objects).
    owner: Actor | None = None

    def schemathesis_config(self) -> dict[str, Any]:
        return {
            "headers": self.actor.headers,
            "parameters": {f"path.{name}": value for name, value in self.parameters.items()},
            "operations": [
                {
                    "include-operation-id": operation_id,
                    "parameters": {f"path.{name}": value for name, value in values.items()},
                }
                for operation_id, values in self.operation_parameters.items()
            ],
        }


async def _post(http: httpx.AsyncClient, actor: Actor, path: str, body: dict[str, Any]) -> Any:
    response = await http.post(API_PREFIX + path, json=body, headers=actor.headers)
    assert response.status_code in (201, 202), response.text
    return response.json()


async def build_world(http: httpx.AsyncClient, db: AsyncSession, caller: Caller) -> World:
    owner = await signup(http, organization_name=f"Fuzz {caller}")
    org = owner.organization_id
    client = (await create_client(http, owner, full_name="Xavier Seeker"))["id"]
    coach = await add_member(http, db, org, Role.coach)
    await assign_coach(http, owner, client, coach)
    client_login = await add_member(http, db, org, Role.client, client_id=client)
    actor = {"owner": owner, "coach": coach, "client": client_login, "stranger ids": owner}[caller]

    root, leaf = await create_chain(http, owner, client, "Ada Root", "Ben Leaf")
    company = await create_company(http, owner, client)
    outreach = await create_outreach(http, owner, client, root["id"])
    interview = await create_interview(http, owner, client, contact_id=root["id"])
    template = await _post(
        http, owner, "/question-templates", {"category": "culture", "text": "What surprised you?"}
    )
    endpoint = await create_endpoint(http, owner, RECEIVER_URL)
    delivery = await _post(http, owner, f"/webhook-endpoints/{endpoint['id']}/test", {})
    spare_member = await add_member(http, db, org, Role.coach)
    spare_key = await _post(http, owner, "/api-keys", {"name": "Spare", "scopes": ["clients:read"]})
    invitation = await _post(
        http, owner, "/invitations", {"email": unique_email("invitee"), "role": "coach"}
    )
    world = World(caller=caller, actor=actor, owner=owner)
    if caller == "stranger ids":
        return world

    world.parameters = {
        "client_id": client,
        "contact_id": leaf["id"],
        "company_id": company["id"],
        "outreach_id": outreach["id"],
        "interview_id": interview["id"],
        "template_id": template["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": delivery["id"],
        "user_id": str(spare_member.user_id),
        "key_id": spare_key["id"],
        "token": invitation["token"],
    }
    # Disposable objects, visible to the coach as to the owner.
    doomed_client = (await create_client(http, owner, full_name="Dora Doomed"))["id"]
    other_client = (await create_client(http, owner, full_name="Otto Other"))["id"]
    for assigned in (doomed_client, other_client):
        await assign_coach(http, owner, assigned, coach)
    doomed = {
        "contact": await create_contact(http, owner, client, full_name="Dan Doomed"),
        "company": await create_company(http, owner, client, name="Doomed Ltd"),
        "outreach": await create_outreach(http, owner, client, root["id"]),
        "interview": await create_interview(http, owner, client, contact_id=root["id"]),
        "template": await _post(
            http, owner, "/question-templates", {"category": "role", "text": "Doomed?"}
        ),
        "endpoint": await create_endpoint(http, owner, RECEIVER_URL),
    }
    world.operation_parameters = {
        "clients_assign_coach": {"user_id": str(coach.user_id)},
        "clients_unassign_coach": {
            "client_id": other_client,
            "user_id": str(coach.user_id),
        },
        "clients_delete": {"client_id": doomed_client},
        "contacts_delete": {"contact_id": doomed["contact"]["id"]},
        "companies_delete": {"company_id": doomed["company"]["id"]},
        "outreach_delete": {"outreach_id": doomed["outreach"]["id"]},
        "interviews_delete": {"interview_id": doomed["interview"]["id"]},
        "question_templates_delete": {"template_id": doomed["template"]["id"]},
        "webhook_endpoints_delete": {"endpoint_id": doomed["endpoint"]["id"]},
    }
    return world
