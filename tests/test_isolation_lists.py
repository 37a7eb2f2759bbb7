"""The isolation matrix, part three: what every list shows.

`tests/test_isolation.py` proves a caller cannot reach another's object by its id;
`tests/test_isolation_bodies.py` that no id in a body or a query reaches it. Here every
list the API answers (a page `{"data": [...]}`, a document holding a list of objects, a
CSV or a zip of CSVs) is read by every kind of caller who must not see the victim, on
the caller's *own* objects, and nothing of the victim may show in it:

- the victim is organization A's client X: its record, contacts, companies, outreach,
  interviews, interactions and client login, each carrying the word `trace("X")` and
  named by its ids; and, for callers of another organization, everything of A
  (`trace("A")` in its name, its members' names, its key's name, its webhook endpoint,
  its question template; the ids of its members, key, endpoint, delivery, events and
  audit entries; and its other client Y);
- the callers: organization B's owner, admin and API key (every read scope), and a
  login that is an admin of both A and B (users are global) signed in to B, each on
  B's client W; A's coach of Y and Y's client login, each on Y; and A's admin on Y's
  objects (a list under one client shows nothing of another).

No byte of the answer (headers, body, each file of a zip, every page) may contain a
needle of the victim; and, so that this never passes vacuously, the answer shows the
caller's own objects, and the same request by the victim's side (A's owner, admin or
API key, the admin of both signed in to A, X's coach or X's login, on X's objects)
shows the victim's. A caller whose role may not use the list gets 403, and the
victim's side of that role too. Counts and the numbers of reports (traction, caseload)
are not needles: a figure counted from another client's rows would not show here.

A list in the OpenAPI document missing from `LISTS` (or `NOT_TENANT_LISTS`) fails
`test_every_list_is_in_the_matrix`.
"""

import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.time import utc_now
from app.db.base import Base
from app.db.session import create_sessionmaker
from app.db.tenancy import bind_organization
from app.main import API_PREFIX
from app.models import Event, Membership, User, WebhookDelivery
from app.models.enums import ADMIN_ROLES, STAFF_ROLES, Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_member, sign_in, signup
from tests.factories.webhooks import create_endpoint
from tests.interviews.pipeline_factories import create_company, create_interview, create_outreach

EVERY_ROLE = frozenset(Role)
READ_SCOPES = [scope.value for scope in Scope if scope.value.endswith(":read")]

Caller = Literal[
    "other-org owner",
    "other-org admin",
    "other-org API key",
    "admin of both, signed in to the other",
    "coach of another client",
    "login of another client",
    "admin, under another client",
]
# Who the victim's side of each caller is: the same role, on X.
Side = Literal["owner", "admin", "API key", "admin of both", "coach", "client login"]
CALLERS: tuple[Caller, ...] = (
    "other-org owner",
    "other-org admin",
    "other-org API key",
    "admin of both, signed in to the other",
    "coach of another client",
    "login of another client",
    "admin, under another client",
)
SIDE: dict[Caller, Side] = {
    "other-org owner": "owner",
    "other-org admin": "admin",
    "other-org API key": "API key",
    "admin of both, signed in to the other": "admin of both",
    "coach of another client": "coach",
    "login of another client": "client login",
    "admin, under another client": "admin",
}
# The client whose objects each caller lists (W of B; Y of A).
HOST: dict[Caller, str] = {
    "other-org owner": "W",
    "other-org admin": "W",
    "other-org API key": "W",
    "admin of both, signed in to the other": "W",
    "coach of another client": "Y",
    "login of another client": "Y",
    "admin, under another client": "Y",
}
ORGANIZATION_OF = {"X": "A", "Y": "A", "W": "B"}
OTHER_ORGANIZATION = (
    "other-org owner",
    "other-org admin",
    "other-org API key",
    "admin of both, signed in to the other",
)


@dataclass(frozen=True)
class ListRoute:
    """One list and who may read it.

    scope: the API-key scope it needs (None: keys may not use it, 403).
    roles: the member roles that may (others get 403).
    variants: the query strings to read it with: each representation that lists rows,
    and for the hottest lists other statement shapes, one row per page.
    of_clients: whether it lists anything of a client. An organization-wide list (the
    question bank, API keys, webhooks) is the same for every member of A, so only callers
    of another organization are asked there.
    """

    scope: Scope | None
    roles: frozenset[Role] = EVERY_ROLE
    variants: tuple[dict[str, str], ...] = ({},)
    of_clients: bool = True


def of_a_client(scope: Scope, **options: Any) -> ListRoute:
    return ListRoute(scope, **options)


CSV = {"format": "csv"}

# GET path under /api/v1 → how it lists. Every list of the OpenAPI document is here or in
# NOT_TENANT_LISTS.
LISTS: dict[str, ListRoute] = {
    # Organization administration
    "/members": ListRoute(None, STAFF_ROLES),
    "/invitations": ListRoute(None, STAFF_ROLES),
    "/api-keys": ListRoute(None, ADMIN_ROLES, of_clients=False),
    "/webhook-endpoints": ListRoute(Scope.webhooks_read, ADMIN_ROLES, of_clients=False),
    "/webhook-endpoints/{endpoint_id}/deliveries": ListRoute(
        Scope.webhooks_read, ADMIN_ROLES, of_clients=False
    ),
    "/question-templates": ListRoute(Scope.contacts_read, of_clients=False),
    "/events": ListRoute(Scope.events_read, ADMIN_ROLES),
    "/audit-log": ListRoute(Scope.audit_read, ADMIN_ROLES),
    # Across clients
    "/clients": of_a_client(
        Scope.clients_read, variants=({}, {"q": "client", "sort": "full_name", "limit": "1"})
    ),
    "/agenda": of_a_client(
        Scope.contacts_read, variants=({}, {"kind": "find_person_at_company", "limit": "1"})
    ),
    "/reports/caseload": of_a_client(Scope.reports_read, roles=STAFF_ROLES, variants=({}, CSV)),
    "/reports/organization": ListRoute(
        Scope.reports_read, ADMIN_ROLES, variants=({}, CSV), of_clients=False
    ),
    # Under one client
    # The hot list: a prepared read per shape, so more than one shape, page by page.
    "/clients/{client_id}/contacts": of_a_client(
        Scope.contacts_read,
        variants=(
            {},
            {"q": "only", "sort": "name", "limit": "1"},
            {"root": "false", "company": "company", "sort": "-last_contacted_at"},
        ),
    ),
    "/clients/{client_id}/contact-tree": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/contact-tree/yield": of_a_client(Scope.contacts_read),
    "/contacts/{contact_id}/chain": of_a_client(Scope.contacts_read),
    "/contacts/{contact_id}/interactions": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/interactions": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/companies": of_a_client(Scope.contacts_read),
    "/companies/{company_id}": of_a_client(Scope.contacts_read),
    "/companies/{company_id}/warm-paths": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/outreach": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/interviews": of_a_client(Scope.contacts_read),
    "/interviews/{interview_id}": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/pipeline": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/next-actions": of_a_client(Scope.contacts_read),
    "/clients/{client_id}/activity-report": of_a_client(
        Scope.reports_read, variants=({}, {"format": "html"})
    ),
    "/clients/{client_id}/traction": of_a_client(Scope.reports_read),
    "/clients/{client_id}/export": ListRoute(None, variants=({}, {"format": "zip"})),
}

NOT_TENANT_LISTS: dict[str, str] = {
    "/event-types": "the event catalogue: the same for every caller, it holds no tenant data",
}

# A path parameter names the host's object of this kind.
PATH_OBJECTS = {
    "client_id": "client",
    "contact_id": "child",  # introduced by the root, at the company, with an interaction
    "company_id": "company",
    "interview_id": "interview",
    "endpoint_id": "endpoint",
}
CLIENT_PARAMETERS = {"client_id", "contact_id", "company_id", "interview_id"}


def trace(label: str) -> str:
    """A word in every text of that client's (or organization's) objects."""
    return f"only-{label.lower()}-sees-this"


def _path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def applies(path: str, caller: Caller) -> bool:
    route = LISTS[path]
    if caller in OTHER_ORGANIZATION:
        return True
    if not route.of_clients:
        return False
    if caller == "admin, under another client":
        # A's admin sees X: only a list under one client (Y's) must leave X out.
        return bool(set(_path_parameters(path)) & CLIENT_PARAMETERS)
    return True


def allowed(route: ListRoute, caller: Caller) -> bool:
    if caller == "other-org API key":
        return route.scope is not None
    role = {
        "other-org owner": Role.owner,
        "other-org admin": Role.admin,
        "admin of both, signed in to the other": Role.admin,
        "coach of another client": Role.coach,
        "login of another client": Role.client,
        "admin, under another client": Role.admin,
    }[caller]
    return role in route.roles


def _variant_name(variant: dict[str, str]) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in variant.items()) if variant else ""


def _matrix() -> Iterator[tuple[str, int, Caller]]:
    for path, route in LISTS.items():
        for index in range(len(route.variants)):
            for caller in CALLERS:
                if applies(path, caller):
                    yield path, index, caller


ROWS = list(_matrix())
MATRIX = [
    pytest.param(
        path,
        index,
        caller,
        id=f"GET {path}{_variant_name(LISTS[path].variants[index])} as {caller}",
    )
    for path, index, caller in ROWS
]
# Rows whose caller may read the list: each also reads it as the victim's side (control).
CONTROLLED = [(path, index, caller) for path, index, caller in ROWS if allowed(LISTS[path], caller)]


@dataclass
class World:
    actors: dict[str, Actor]  # callers and sides by name
    objects: dict[str, dict[str, str]]  # "X", "Y", "W", "A", "B" → object kind → id
    needles: dict[str, dict[str, str]] = field(default_factory=dict)  # label → what → text

    def forbidden(self, caller: Caller) -> dict[str, str]:
        """What the caller must never see: X's; for another organization, all of A."""
        labels = ("A", "X", "Y") if caller in OTHER_ORGANIZATION else ("X",)
        return {
            f"{label}'s {what}": text
            for label in labels
            for what, text in self.needles[label].items()
        }

    def own(self, caller: Caller, route: ListRoute) -> dict[str, str]:
        """What the caller's own answer must show: its client's objects (for a list of
        clients' data) or its organization's."""
        host = HOST[caller]
        label = host if route.of_clients else ORGANIZATION_OF[host]
        return self.needles[label]

    def victims(self, route: ListRoute) -> dict[str, str]:
        return self.needles["X" if route.of_clients else "A"]


@pytest.fixture(scope="module")
async def world(app: FastAPI, owner_engine: AsyncEngine) -> AsyncIterator[World]:
    """A: clients X (the victim) and Y, each with its coach and login; B: client W."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        create_sessionmaker(owner_engine)() as db,
    ):
        actors: dict[str, Actor] = {}
        objects: dict[str, dict[str, str]] = {}
        needles: dict[str, dict[str, str]] = {}
        for org in ("A", "B"):
            mark = trace(org)
            owner = await signup(http, organization_name=f"Org {mark}")
            admin = await add_member(http, db, owner.organization_id, Role.admin)
            key = await _api_key(http, owner, f"Key {mark}")
            endpoint = await create_endpoint(
                http, owner, "https://93.184.216.34/hooks", enabled=False, description=mark
            )
            template = await http.post(
                "/api/v1/question-templates",
                json={"category": "culture", "text": f"Ask {mark}?"},
                headers=owner.headers,
            )
            assert template.status_code == 201, template.text
            actors[f"{org} owner"], actors[f"{org} admin"], actors[f"{org} key"] = owner, admin, key
            objects[org] = {
                "organization": str(owner.organization_id),
                "owner": str(owner.user_id),
                "admin": str(admin.user_id),
                "key": _key_id(key),
                "endpoint": endpoint["id"],
                "template": template.json()["id"],
            }
            await _rename(db, owner, f"Owner {mark}")
            await _rename(db, admin, f"Admin {mark}")
        actors["dual in A"], actors["dual in B"] = await _member_of_both(
            http, db, actors["A owner"], actors["B owner"]
        )
        for label in ("X", "Y", "W"):
            org = ORGANIZATION_OF[label]
            owner = actors[f"{org} owner"]
            mark = trace(label)
            client = await create_client(
                http, owner, full_name=f"Client {mark}", email=f"client@{mark}.example", notes=mark
            )
            coach = await add_member(http, db, owner.organization_id, Role.coach)
            await assign_coach(http, owner, client["id"], coach)
            login = await add_member(
                http, db, owner.organization_id, Role.client, client_id=client["id"]
            )
            await _rename(db, coach, f"Coach {trace(org)}")  # staff: the organization's
            await _rename(db, login, f"Login {mark}")
            actors[f"{label} coach"], actors[f"{label} login"] = coach, login
            objects[org][f"coach of {label}"] = str(coach.user_id)
            invitation = await http.post(
                "/api/v1/invitations",
                json={
                    "email": f"invitee@{mark}.example",
                    "role": "client",
                    "client_id": client["id"],
                },
                headers=owner.headers,
            )
            assert invitation.status_code == 201, invitation.text
            objects[label] = {
                "client": client["id"],
                "login": str(login.user_id),
                "invitation": invitation.json()["id"],
                "endpoint": objects[org]["endpoint"],
                **await _client_objects(http, owner, client["id"], mark, objects[org]["template"]),
            }
            needles[label] = {
                "trace": mark,
                "login email": str(login.email),
                **{
                    f"{kind} id": value
                    for kind, value in objects[label].items()
                    if kind != "endpoint"
                },
            }
        for org in ("A", "B"):
            owner = actors[f"{org} owner"]
            first_client = objects["X" if org == "A" else "W"]["client"]
            objects[org]["delivery"] = await _delivery(
                db, owner.organization_id, objects[org]["endpoint"], first_client
            )
            emails = {
                f"{name} email": str(actors[name].email)
                for name in actors
                if name.startswith(org) or name in _coaches_of(org)
                if actors[name].email and not name.endswith("login")
            }
            needles[org] = {
                "trace": trace(org),
                **emails,
                **{f"{kind} id": value for kind, value in objects[org].items()},
                **await _logged_ids(owner_engine, owner.organization_id),
            }
        yield World(actors=actors, objects=objects, needles=needles)


async def _member_of_both(
    http: httpx.AsyncClient, db: AsyncSession, owner_a: Actor, owner_b: Actor
) -> tuple[Actor, Actor]:
    """One login, an admin of A and of B (users are global): signed in to each. Its own
    id, name and email are in both organizations, so they are no needle of either."""
    in_a = await add_member(http, db, owner_a.organization_id, Role.admin)
    await bind_organization(db, owner_b.organization_id)
    db.add(
        Membership(organization_id=owner_b.organization_id, user_id=in_a.user_id, role=Role.admin)
    )
    await db.commit()
    assert in_a.email is not None
    response = await sign_in(http, in_a.email, organization_id=str(owner_b.organization_id))
    assert response.status_code == 200, response.text
    in_b = replace(
        in_a, organization_id=owner_b.organization_id, token=response.json()["access_token"]
    )
    return in_a, in_b


def _coaches_of(org: str) -> list[str]:
    return [f"{label} coach" for label, o in ORGANIZATION_OF.items() if o == org]


async def _api_key(http: httpx.AsyncClient, owner: Actor, name: str) -> Actor:
    response = await http.post(
        "/api/v1/api-keys", json={"name": name, "scopes": READ_SCOPES}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return Actor(
        organization_id=owner.organization_id,
        user_id=None,
        role=None,
        email=None,
        token=response.json()["key"],
        scopes=READ_SCOPES,
    )


def _key_id(key: Actor) -> str:
    # Keys are `ck_<id hex>_<secret>`.
    return str(uuid.UUID(hex=key.token.split("_")[1]))


async def _rename(db: AsyncSession, member: Actor, full_name: str) -> None:
    await bind_organization(db, member.organization_id)
    await db.execute(update(User).where(User.id == member.user_id).values(full_name=full_name))
    await db.commit()


async def _client_objects(
    http: httpx.AsyncClient, owner: Actor, client_id: str, mark: str, template: str
) -> dict[str, str]:
    """A first-line contact who introduced a second one at the client's company, with a
    call logged; outreach to the first, an informational interview held with them (from
    the organization's question bank) and a job interview to come; and a target company
    with no one linked yet (an agenda item)."""
    root = await create_contact(
        http,
        owner,
        client_id,
        full_name=f"Root {mark}",
        email=f"root@{mark}.example",
        notes=mark,
        strength=5,
    )
    company = await create_company(http, owner, client_id, name=f"Company {mark}")
    target = await create_company(http, owner, client_id, name=f"Target {mark}", priority=1)
    child = await create_contact(
        http,
        owner,
        client_id,
        full_name=f"Child {mark}",
        email=f"child@{mark}.example",
        referred_by_id=root["id"],
        company_id=company["id"],
    )
    interaction = await http.post(
        f"/api/v1/contacts/{child['id']}/interactions",
        json={"kind": "call", "summary": f"Call {mark}"},
        headers=owner.headers,
    )
    assert interaction.status_code == 201, interaction.text
    outreach = await create_outreach(
        http,
        owner,
        client_id,
        root["id"],
        company_id=company["id"],
        subject=f"Hi {mark}",
        message=mark,
        status="sent",
    )
    held = await create_interview(
        http,
        owner,
        client_id,
        contact_id=root["id"],
        company_id=company["id"],
        outreach_id=outreach["id"],
        stage="held",
        location=f"Office {mark}",
        notes=mark,
        question_template_ids=[template],
    )
    upcoming = await create_interview(
        http,
        owner,
        client_id,
        kind="job",
        company_id=company["id"],
        scheduled_at=(utc_now() + timedelta(days=3)).isoformat(),
        location=f"Job {mark}",
    )
    return {
        "root": root["id"],
        "child": child["id"],
        "company": company["id"],
        "target": target["id"],
        "interaction": interaction.json()["id"],
        "outreach": outreach["id"],
        "interview": held["id"],
        "job interview": upcoming["id"],
    }


async def _delivery(
    db: AsyncSession, organization_id: uuid.UUID, endpoint_id: str, client_id: str
) -> str:
    """A delivery of one of the client's events to the (disabled) endpoint, arranged
    directly: nothing resolves or sends."""
    await bind_organization(db, organization_id)
    event = (
        await db.execute(select(Event).where(Event.client_id == uuid.UUID(client_id)).limit(1))
    ).scalar_one()
    delivery = WebhookDelivery(
        organization_id=organization_id,
        endpoint_id=uuid.UUID(endpoint_id),
        event_id=event.id,
        message_id=f"msg_{uuid.uuid4().hex}",
    )
    db.add(delivery)
    await db.commit()
    return str(delivery.id)


async def _logged_ids(engine: AsyncEngine, organization_id: uuid.UUID) -> dict[str, str]:
    """The ids of the organization's events and audit entries so far."""
    found: dict[str, str] = {}
    async with engine.connect() as connection:
        for name in ("events", "audit_entries"):
            table = Base.metadata.tables[name]
            rows = await connection.execute(
                select(table.c.id).where(table.c.organization_id == organization_id)
            )
            found |= {f"{name} {i}": str(row.id) for i, row in enumerate(rows)}
    return found


def _actor(world: World, caller: Caller) -> Actor:
    return world.actors[
        {
            "other-org owner": "B owner",
            "other-org admin": "B admin",
            "admin of both, signed in to the other": "dual in B",
            "other-org API key": "B key",
            "coach of another client": "Y coach",
            "login of another client": "Y login",
            "admin, under another client": "A admin",
        }[caller]
    ]


def _side_actor(world: World, side: Side) -> Actor:
    return world.actors[
        {
            "owner": "A owner",
            "admin": "A admin",
            "API key": "A key",
            "admin of both": "dual in A",
            "coach": "X coach",
            "client login": "X login",
        }[side]
    ]


def _url(world: World, path: str, host: str) -> str:
    values = {name: world.objects[host][PATH_OBJECTS[name]] for name in _path_parameters(path)}
    return API_PREFIX + path.format(**values)


async def _read(
    client: httpx.AsyncClient, url: str, actor: Actor, variant: dict[str, str]
) -> tuple[int, str]:
    """(status, every byte of the answer as text): headers, body, each file of a zip,
    every page."""
    texts: list[str] = []
    params = dict(variant)
    while True:
        response = await client.get(url, params=params, headers=actor.headers)
        texts.append("\n".join(f"{k}: {v}" for k, v in response.headers.items()))
        texts.append(response.content.decode("utf-8", errors="replace"))
        if response.headers.get("content-type", "").startswith("application/zip"):
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                for name in archive.namelist():
                    texts.append(name)
                    texts.append(archive.read(name).decode("utf-8", errors="replace"))
        cursor = None
        if response.status_code == 200 and response.headers["content-type"].startswith(
            "application/json"
        ):
            content = response.json()
            cursor = content.get("next_cursor") if isinstance(content, dict) else None
        if response.status_code != 200 or cursor is None:
            if response.status_code != 200:
                assert response.headers["content-type"] == "application/problem+json"
            return response.status_code, "\n".join(texts)
        params["cursor"] = cursor


def _shown(needles: dict[str, str], text: str) -> list[str]:
    return sorted(what for what, needle in needles.items() if needle in text)


@pytest.mark.parametrize(("path", "index", "caller"), MATRIX)
async def test_a_list_shows_nothing_of_the_victim(
    client: httpx.AsyncClient, world: World, path: str, index: int, caller: Caller
) -> None:
    route = LISTS[path]
    variant = route.variants[index]
    url = _url(world, path, HOST[caller])
    what = f"GET {url}{_variant_name(variant)} as {caller}"

    status, text = await _read(client, url, _actor(world, caller), variant)

    expected = 200 if allowed(route, caller) else 403
    assert status == expected, f"{what}: expected {expected}, got {status}: {text[-300:]}"
    leaked = _shown(world.forbidden(caller), text)
    assert leaked == [], f"{what} shows {leaked}"
    if expected == 200:
        assert _shown(world.own(caller, route), text), f"{what} lists none of its own"

    # Control: the victim's side of the same role, on X's objects, does see the victim.
    side = SIDE[caller]
    victim_url = _url(world, path, "X")
    status, text = await _read(client, victim_url, _side_actor(world, side), variant)
    assert status == expected, f"GET {victim_url} as {side}: {status}: {text[-300:]}"
    if expected == 200:
        assert _shown(world.victims(route), text), f"GET {victim_url} as {side} lacks X / A"


def list_operations(document: dict[str, Any]) -> set[str]:
    """Paths (under the API prefix) of every GET whose answer lists: a page or an array,
    a document with an array of objects at its top, a CSV or a zip."""
    schemas = document["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
        schema = resolved(schema)
        found = [schema]
        for combinator in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(combinator, []):
                found += variants(sub)
        return found

    def of_objects(schema: dict[str, Any]) -> bool:
        return any(
            v.get("type") == "array"
            and any("properties" in item for item in variants(v.get("items", {})))
            for v in variants(schema)
        )

    found = set()
    for full_path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None or not full_path.startswith(API_PREFIX):
            continue
        content = operation["responses"].get("200", {}).get("content", {})
        lists = any(media in content for media in ("text/csv", "application/zip"))
        schema = content.get("application/json", {}).get("schema", {})
        lists = lists or of_objects(schema) or resolved(schema).get("type") == "array"
        lists = lists or any(
            of_objects(prop) for v in variants(schema) for prop in v.get("properties", {}).values()
        )
        if lists:
            found.add(full_path.removeprefix(API_PREFIX))
    return found


def test_every_list_is_in_the_matrix(app: FastAPI) -> None:
    found = list_operations(app.openapi())
    missing = sorted(found - LISTS.keys() - NOT_TENANT_LISTS.keys())
    assert missing == [], (
        "lists the list-contents matrix does not cover; add each to LISTS in "
        "tests/test_isolation_lists.py (and PATH_OBJECTS for a new path parameter):\n"
        + "\n".join(f"  GET {path}" for path in missing)
    )
    stale = sorted((LISTS.keys() | NOT_TENANT_LISTS.keys()) - found)
    assert stale == [], "LISTS entries that are not lists of the app:\n" + "\n".join(
        f"  GET {path}" for path in stale
    )
    assert not LISTS.keys() & NOT_TENANT_LISTS.keys()
    unresolved = {name for path in LISTS for name in _path_parameters(path)} - PATH_OBJECTS.keys()
    assert unresolved == set(), f"path parameters without an object: {unresolved}"
    uncalled = [path for path in LISTS if not any(row[0] == path for row in ROWS)]
    assert uncalled == [], f"lists no caller reads: {uncalled}"
    unread = [path for path in LISTS if not any(row[0] == path for row in CONTROLLED)]
    assert unread == [], f"lists no caller may read (nothing shows they list anything): {unread}"


def test_the_list_matrix_counts_itself() -> None:
    from tests.isolation_count import isolation_counts

    part = {part.name: part for part in isolation_counts()}["list contents"]
    assert (part.rows, part.controls) == (len(MATRIX), len(CONTROLLED))
    assert part.routes == len(LISTS)
    assert part.reads == sum(len(route.variants) for route in LISTS.values())
