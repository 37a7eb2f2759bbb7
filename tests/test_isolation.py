"""The isolation matrix: every route with a path id, against every caller who must not reach it.

For each operation in the app's OpenAPI document whose path has a `{...}`
parameter, `ROUTES` says how to call it on objects that belong to organization
A and its client X. Then:

- the owner of another organization gets 404 (and so does its API key);
- for client-owned data, a coach of A not assigned to X and a client login of A
  linked to another client Y get 404 (the object does not exist for them);
  for organization administration (members, API keys, webhooks…), those roles
  get 403; for organization-wide data only staff change (the question bank),
  the client login gets 403;
- an API key of A without the scope the route needs gets 403, and so does a key
  with every scope on routes keys may never use;
- as a control, A's owner reads every GET route (so a 404 above is never a typo).

A route with a path id that is missing from `ROUTES` fails
`test_every_route_with_a_path_id_is_in_the_matrix`: add it there when you add it to the app.
Ids in bodies and queries (and a path's second id) are the matrix's second part, in
`tests/test_isolation_bodies.py`; what every list shows (to every caller who must not see
the victim) is its third, in `tests/test_isolation_lists.py`. `python -m tests.isolation_count`
prints the size of all three.
"""

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.config import Environment, Settings
from app.db.session import create_sessionmaker
from app.db.tenancy import bind_organization
from app.main import API_PREFIX, create_app
from app.models import Event, WebhookDelivery
from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, add_member, signup
from tests.factories.webhooks import create_endpoint
from tests.interviews.pipeline_factories import create_company, create_interview, create_outreach

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}

Kind = Literal["client", "admin", "shared", "staff", "public"]
Caller = Literal[
    "other-org owner",
    "other-org API key",
    "unassigned coach",
    "other client",
    "API key without scope",
    "owner (control)",
]


@dataclass(frozen=True)
class Route:
    """How to call one route on organization A's objects, and who it is for.

    kind: "client" for data under a client record (coach and client visibility
    apply), "admin" for organization administration (owners and admins only),
    "shared" for organization-wide data every member sees but only staff change,
    "staff" for staff-only objects tied to a client (a coach sees its clients' only),
    "public" for routes that need no authentication (give `reason`).
    scope: the API-key scope the route needs; None when keys may never use it.
    json: the body; a string "{param}" is replaced by that parameter's object id.
    """

    kind: Kind
    scope: Scope | None = None
    json: dict[str, Any] | None = None
    csv: bytes | None = None
    reason: str = ""


def client_data(scope: Scope, **request: Any) -> Route:
    return Route("client", scope, **request)


def org_admin(scope: Scope | None = None, **request: Any) -> Route:
    return Route("admin", scope, **request)


def staff_shared(scope: Scope, **request: Any) -> Route:
    return Route("shared", scope, **request)


def staff_only(**request: Any) -> Route:
    return Route("staff", None, **request)


def public(reason: str) -> Route:
    return Route("public", reason=reason)


CSV = b"full_name,email\nAda Import,ada.import@example.com\n"

# (METHOD, path under /api/v1) → how to call it. Every route with a path id must be here.
ROUTES: dict[tuple[str, str], Route] = {
    # Clients
    ("GET", "/clients/{client_id}"): client_data(Scope.clients_read),
    ("PATCH", "/clients/{client_id}"): client_data(Scope.clients_write, json={"headline": "x"}),
    ("DELETE", "/clients/{client_id}"): client_data(Scope.clients_write),
    ("PUT", "/clients/{client_id}/coaches/{user_id}"): client_data(Scope.clients_write),
    ("DELETE", "/clients/{client_id}/coaches/{user_id}"): client_data(Scope.clients_write),
    # Contacts
    ("GET", "/clients/{client_id}/contacts"): client_data(Scope.contacts_read),
    ("POST", "/clients/{client_id}/contacts"): client_data(
        Scope.contacts_write, json={"full_name": "Eve Intruder"}
    ),
    ("GET", "/contacts/{contact_id}"): client_data(Scope.contacts_read),
    ("PATCH", "/contacts/{contact_id}"): client_data(
        Scope.contacts_write, json={"title": "Changed"}
    ),
    ("DELETE", "/contacts/{contact_id}"): client_data(Scope.contacts_write),
    ("GET", "/clients/{client_id}/contact-tree"): client_data(Scope.contacts_read),
    ("GET", "/contacts/{contact_id}/chain"): client_data(Scope.contacts_read),
    ("POST", "/clients/{client_id}/contacts/import"): client_data(Scope.contacts_write, csv=CSV),
    # Interactions
    ("GET", "/contacts/{contact_id}/interactions"): client_data(Scope.contacts_read),
    ("POST", "/contacts/{contact_id}/interactions"): client_data(
        Scope.contacts_write, json={"kind": "call"}
    ),
    ("GET", "/clients/{client_id}/interactions"): client_data(Scope.contacts_read),
    # Companies, outreach, interviews
    ("GET", "/clients/{client_id}/companies"): client_data(Scope.contacts_read),
    ("POST", "/clients/{client_id}/companies"): client_data(
        Scope.contacts_write, json={"name": "Intruder Inc"}
    ),
    ("GET", "/companies/{company_id}"): client_data(Scope.contacts_read),
    ("GET", "/companies/{company_id}/warm-paths"): client_data(Scope.contacts_read),
    ("PATCH", "/companies/{company_id}"): client_data(
        Scope.contacts_write, json={"industry": "Changed"}
    ),
    ("DELETE", "/companies/{company_id}"): client_data(Scope.contacts_write),
    ("GET", "/clients/{client_id}/outreach"): client_data(Scope.contacts_read),
    ("POST", "/clients/{client_id}/outreach"): client_data(
        Scope.contacts_write,
        json={"contact_id": "{contact_id}", "channel": "email", "purpose": "follow_up"},
    ),
    ("GET", "/outreach/{outreach_id}"): client_data(Scope.contacts_read),
    ("PATCH", "/outreach/{outreach_id}"): client_data(
        Scope.contacts_write, json={"channel": "phone"}
    ),
    ("DELETE", "/outreach/{outreach_id}"): client_data(Scope.contacts_write),
    ("GET", "/clients/{client_id}/interviews"): client_data(Scope.contacts_read),
    ("POST", "/clients/{client_id}/interviews"): client_data(
        Scope.contacts_write, json={"kind": "informational", "contact_id": "{contact_id}"}
    ),
    ("GET", "/interviews/{interview_id}"): client_data(Scope.contacts_read),
    ("GET", "/interviews/{interview_id}.ics"): client_data(Scope.contacts_read),
    ("PATCH", "/interviews/{interview_id}"): client_data(
        Scope.contacts_write, json={"scheduled_at": "2030-01-07T10:00:00Z"}
    ),
    ("DELETE", "/interviews/{interview_id}"): client_data(Scope.contacts_write),
    ("POST", "/interviews/{interview_id}/transitions"): client_data(
        Scope.contacts_write, json={"to_stage": "scheduled"}
    ),
    ("POST", "/interviews/{interview_id}/referrals"): client_data(
        Scope.contacts_write, json={"contacts": [{"full_name": "Sam Suggested"}]}
    ),
    ("GET", "/clients/{client_id}/pipeline"): client_data(Scope.contacts_read),
    ("GET", "/clients/{client_id}/next-actions"): client_data(Scope.contacts_read),
    ("GET", "/clients/{client_id}/contact-tree/yield"): client_data(Scope.contacts_read),
    # The agenda: answers are a member's own (API keys may not answer)
    ("PUT", "/agenda/items/{item_id}/state"): Route("client", None, json={"status": "done"}),
    ("DELETE", "/agenda/items/{item_id}/state"): Route("client", None),
    # Activity report (proof of effort)
    ("GET", "/clients/{client_id}/activity-report"): client_data(Scope.reports_read),
    # Traction
    ("GET", "/clients/{client_id}/traction"): client_data(Scope.reports_read),
    ("GET", "/clients/{client_id}/traction/chart.svg"): client_data(Scope.reports_read),
    # Privacy: members only (API keys may not export or erase)
    ("GET", "/clients/{client_id}/export"): Route("client", None),
    ("POST", "/clients/{client_id}/erase"): Route(
        "client", None, json={"confirm_name": "Not the name"}
    ),
    ("PATCH", "/question-templates/{template_id}"): staff_shared(
        Scope.contacts_write, json={"text": "Changed?"}
    ),
    ("DELETE", "/question-templates/{template_id}"): staff_shared(Scope.contacts_write),
    # Organization administration
    ("PATCH", "/members/{user_id}"): org_admin(json={"role": "admin"}),
    ("DELETE", "/members/{user_id}"): org_admin(),
    ("DELETE", "/api-keys/{key_id}"): org_admin(),
    ("POST", "/invitations/{invitation_id}/resend"): staff_only(),
    ("DELETE", "/invitations/{invitation_id}"): staff_only(),
    ("POST", "/invitations/{token}/accept"): public(
        "unauthenticated by design: the single-use token is the capability"
    ),
    # Calendar feeds (tests/calendar/ covers wrong, rotated, revoked and removed members')
    ("GET", "/calendar/{token}.ics"): public(
        "unauthenticated by design: the secret feed URL is the credential"
    ),
    # Webhooks
    ("GET", "/webhook-endpoints/{endpoint_id}"): org_admin(Scope.webhooks_read),
    ("PATCH", "/webhook-endpoints/{endpoint_id}"): org_admin(
        Scope.webhooks_write, json={"description": "Changed"}
    ),
    ("DELETE", "/webhook-endpoints/{endpoint_id}"): org_admin(Scope.webhooks_write),
    ("POST", "/webhook-endpoints/{endpoint_id}/rotate-secret"): org_admin(Scope.webhooks_write),
    ("POST", "/webhook-endpoints/{endpoint_id}/test"): org_admin(Scope.webhooks_write),
    ("GET", "/webhook-endpoints/{endpoint_id}/deliveries"): org_admin(Scope.webhooks_read),
    ("POST", "/webhook-deliveries/{delivery_id}/retry"): org_admin(Scope.webhooks_write),
}


@dataclass
class World:
    """Organization A (clients X and Y, a contact of X, members, keys) and organization B."""

    owner_a: Actor
    owner_b: Actor
    coach_of_y: Actor
    client_login_of_y: Actor
    key_b: Actor
    client_x: str
    contact_x: str
    coach_of_x: str
    key_a_id: str
    endpoint_a: str
    company_x: str
    outreach_x: str
    interview_x: str
    template_a: str
    delivery_a: str
    invitation_x: str
    keys_a_without: dict[Scope | None, Actor] = field(default_factory=dict)


# Path parameter → the object of A/X it names.
RESOLVERS: dict[str, Callable[[World], str]] = {
    "client_id": lambda w: w.client_x,
    "contact_id": lambda w: w.contact_x,
    # A member of A: X's coach (also what /clients/{client_id}/coaches/{user_id} needs).
    "user_id": lambda w: w.coach_of_x,
    "key_id": lambda w: w.key_a_id,
    "company_id": lambda w: w.company_x,
    "outreach_id": lambda w: w.outreach_x,
    "interview_id": lambda w: w.interview_x,
    "template_id": lambda w: w.template_a,
    "endpoint_id": lambda w: w.endpoint_a,
    "delivery_id": lambda w: w.delivery_a,
    "invitation_id": lambda w: w.invitation_x,
    # X's company has no one linked yet: an item on the agenda of X's coach and A's owner.
    "item_id": lambda w: f"find_person_at_company.{w.company_x}",
}


@pytest.fixture(scope="module")
async def world(app: FastAPI, owner_engine: AsyncEngine) -> AsyncIterator[World]:
    """One shared arrangement per backend: the matrix only reads it (every call must fail)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        create_sessionmaker(owner_engine)() as db,
    ):
        owner_a = await signup(http, organization_name="Org A")
        owner_b = await signup(http, organization_name="Org B")
        org_a = owner_a.organization_id
        client_x = (await create_client(http, owner_a, full_name="Xavier Seeker"))["id"]
        client_y = (await create_client(http, owner_a, full_name="Yara Seeker"))["id"]
        coach_of_x = await add_member(http, db, org_a, Role.coach)
        coach_of_y = await add_member(http, db, org_a, Role.coach)
        await assign_coach(http, owner_a, client_x, coach_of_x)
        await assign_coach(http, owner_a, client_y, coach_of_y)
        client_login_of_y = await add_member(http, db, org_a, Role.client, client_id=client_y)
        contact_x = (await create_contact(http, owner_a, client_x, full_name="Ada Contact"))["id"]
        target_key = await add_api_key(db, org_a, [Scope.clients_read.value])
        # Every scope but one, per scope; `None` holds every scope (for key-less routes).
        keys_a_without: dict[Scope | None, Actor] = {
            missing: await add_api_key(db, org_a, [s.value for s in Scope if s is not missing])
            for missing in [*Scope, None]
        }
        key_b = await add_api_key(db, owner_b.organization_id, [s.value for s in Scope])
        endpoint_a, delivery_a = await _webhook_delivery(http, db, owner_a)
        company_x = (await create_company(http, owner_a, client_x))["id"]
        outreach_x = (await create_outreach(http, owner_a, client_x, contact_x))["id"]
        # With a time, so that its calendar file (`.ics`) answers the control.
        interview_x = (
            await create_interview(
                http, owner_a, client_x, contact_id=contact_x, scheduled_at="2030-01-07T10:00:00Z"
            )
        )["id"]
        template = await http.post(
            "/api/v1/question-templates",
            json={"category": "culture", "text": "What surprised you when you joined?"},
            headers=owner_a.headers,
        )
        assert template.status_code == 201, template.text
        invitation = await http.post(
            "/api/v1/invitations",
            json={"email": "x.login@example.com", "role": "client", "client_id": client_x},
            headers=owner_a.headers,
        )
        assert invitation.status_code == 201, invitation.text
        yield World(
            owner_a=owner_a,
            owner_b=owner_b,
            coach_of_y=coach_of_y,
            client_login_of_y=client_login_of_y,
            key_b=key_b,
            client_x=client_x,
            contact_x=contact_x,
            coach_of_x=str(coach_of_x.user_id),
            key_a_id=_key_id(target_key),
            endpoint_a=endpoint_a,
            delivery_a=delivery_a,
            company_x=company_x,
            outreach_x=outreach_x,
            interview_x=interview_x,
            template_a=template.json()["id"],
            invitation_x=invitation.json()["id"],
            keys_a_without=keys_a_without,
        )


async def _webhook_delivery(
    http: httpx.AsyncClient, db: AsyncSession, owner: Actor
) -> tuple[str, str]:
    """A disabled endpoint (a public address literal, so nothing resolves or sends) and
    one delivery owed to it, arranged directly."""
    endpoint = await create_endpoint(http, owner, "https://93.184.216.34/hooks", enabled=False)
    await bind_organization(db, owner.organization_id)
    event = Event(organization_id=owner.organization_id, type="webhook.test", payload={})
    db.add(event)
    await db.flush()
    delivery = WebhookDelivery(
        organization_id=owner.organization_id,
        endpoint_id=uuid.UUID(endpoint["id"]),
        event_id=event.id,
        message_id=f"msg_{uuid.uuid4().hex}",
    )
    db.add(delivery)
    await db.commit()
    return endpoint["id"], str(delivery.id)


def _key_id(key: Actor) -> str:
    # Keys are `ck_<id hex>_<secret>`.
    return str(uuid.UUID(hex=key.token.split("_")[1]))


def _callers(method: str, route: Route) -> list[Caller]:
    callers: list[Caller] = [
        "other-org owner",
        "other-org API key",
        "unassigned coach",
        "other client",
        "API key without scope",
    ]
    if route.kind == "shared":
        # Organization-wide data: a coach of A may change it; that is no leak.
        callers.remove("unassigned coach")
    if method == "GET":
        callers.append("owner (control)")
    return callers


def _expected_status(caller: Caller, route: Route) -> int:
    if caller == "owner (control)":
        return 200
    if caller == "API key without scope":
        return 403
    if caller == "other-org API key":
        # A key for another organization never finds A's objects; a key-less route refuses first.
        return 404 if route.scope is not None else 403
    if caller in ("unassigned coach", "other client") and route.kind == "admin":
        return 403
    if caller == "other client" and route.kind in ("shared", "staff"):
        return 403
    return 404


def _actor(world: World, caller: Caller, route: Route) -> Actor:
    match caller:
        case "other-org owner":
            return world.owner_b
        case "other-org API key":
            return world.key_b
        case "unassigned coach":
            return world.coach_of_y
        case "other client":
            return world.client_login_of_y
        case "API key without scope":
            return world.keys_a_without[route.scope]
        case "owner (control)":
            return world.owner_a


MATRIX = [
    pytest.param(method, path, caller, id=f"{method} {path} as {caller}")
    for (method, path), route in ROUTES.items()
    if route.kind != "public"
    for caller in _callers(method, route)
]


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path under the API prefix) of every operation with a path parameter."""
    found = set()
    for full_path, item in document["paths"].items():
        if "{" not in full_path:
            continue
        path = full_path.removeprefix(API_PREFIX)
        found |= {(method.upper(), path) for method in item if method in HTTP_METHODS}
    return found


@pytest.mark.parametrize(("method", "path", "caller"), MATRIX)
async def test_isolation_matrix(
    app: FastAPI, client: httpx.AsyncClient, world: World, method: str, path: str, caller: Caller
) -> None:
    assert (method, path) in _operations(app.openapi()), (
        f"{method} {path} is in the matrix but not in the app: remove or correct its entry"
    )
    route = ROUTES[(method, path)]
    values = {}
    for name in _path_parameters(path):
        assert name in RESOLVERS, f"no resolver for path parameter {{{name}}}: add one to RESOLVERS"
        values[name] = RESOLVERS[name](world)
    actor = _actor(world, caller, route)
    request: dict[str, Any] = {"headers": actor.headers}
    if route.json is not None:
        request["json"] = _filled(route.json, world)
    if route.csv is not None:
        request["files"] = {"file": ("contacts.csv", route.csv, "text/csv")}

    response = await client.request(method, API_PREFIX + path.format(**values), **request)

    expected = _expected_status(caller, route)
    assert response.status_code == expected, (
        f"{method} {path} as {caller}: expected {expected}, got {response.status_code}: "
        f"{response.text[:300]}"
    )
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def _filled(body: Any, world: World) -> Any:
    """The body with each "{param}" string replaced by that parameter's object id."""
    if isinstance(body, dict):
        return {key: _filled(value, world) for key, value in body.items()}
    if isinstance(body, list):
        return [_filled(value, world) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return RESOLVERS[body[1:-1]](world)
    return body


def _path_parameters(path: str) -> list[str]:
    # A parameter may be part of a segment (`/interviews/{interview_id}.ics`).
    return re.findall(r"\{(\w+)\}", path)


def test_every_route_with_a_path_id_is_in_the_matrix() -> None:
    secret = SecretStr("isolation-route-table-" + "x" * 40)
    document = create_app(Settings(env=Environment.test, jwt_secret=secret)).openapi()
    operations = _operations(document)
    missing = sorted(operations - ROUTES.keys())
    assert missing == [], (
        "routes with a path id that the isolation matrix does not cover; add each to ROUTES "
        "in tests/test_isolation.py (and a RESOLVERS entry for a new parameter):\n"
        + "\n".join(f"  {method} {path}" for method, path in missing)
    )
    stale = sorted(ROUTES.keys() - operations)
    assert stale == [], "ROUTES entries for routes the app does not have:\n" + "\n".join(
        f"  {method} {path}" for method, path in stale
    )
    unresolved = {
        name for _, path in operations for name in _path_parameters(path)
    } - RESOLVERS.keys()
    public_params = {
        name
        for (_, path), route in ROUTES.items()
        if route.kind == "public"
        for name in _path_parameters(path)
    }
    assert unresolved <= public_params, f"path parameters without a resolver: {unresolved}"
    assert all(route.reason for route in ROUTES.values() if route.kind == "public"), (
        "a public route must say why it is outside the matrix"
    )
