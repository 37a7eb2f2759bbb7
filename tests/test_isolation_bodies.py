"""The isolation matrix, part two: ids a caller names in a request body or a query.

`tests/test_isolation.py` proves that an id in a *path* reaches nothing out of the
caller's reach. Here every other id a request carries (a body field such as an
outreach's `company_id`, a referral's `existing_contact_ids`, a form's
`organization_id`, a filter such as `/agenda?coach_id=`, and the second id of a
coach assignment's path) is sent by callers acting on their own objects, naming an
object of

- another organization ("other organization"),
- a client of the same organization the caller may not see ("unseen client": a coach's
  unassigned client, or another client for a client login),
- another client of the same coach, where the id must name the host client's own
  object ("another client": an outreach for client X naming a company of client Z).

The callers are the main matrix's, each on its own side: A's owner, A's API key (every
scope), X's coach (who is the "unassigned coach" of Y), X's client login (the "other
client" of Y and Z), and B's owner and API key acting on B's client W and naming A's
objects. A key without the route's scope is refused before its body is read, so it is
left to the main matrix.

What the project answers (see CONVENTIONS.md and docs/product.md): a body id that must
name an object of the same client, or one out of reach, is a 422 problem naming the
field (`unprocessable`, not a schema `validation-error`); a filter id out of reach
narrows a list to nothing, or is a 404 where the route says so (`root_id`, the agenda's
`client_id`). Every refused request changes nothing in either organization (counted
in the database before and after) and its response shows none of the foreign object's
data; an id out of the caller's reach is answered exactly as an id that exists nowhere
(no existence oracle). As a control, each caller sends each request with its own client's object and
succeeds, and each filter then lists something, so a refusal above is never a typo.

An id field in the OpenAPI document missing from `ID_FIELDS` fails
`test_every_id_field_of_a_body_or_query_is_in_the_matrix`.
"""

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement, Label

from app.db.base import Base
from app.db.session import create_sessionmaker
from app.main import API_PREFIX
from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import PASSWORD, Actor, add_api_key, add_member, signup, unique_email
from tests.interviews.pipeline_factories import create_company, create_interview, create_outreach

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}

Where = Literal["body", "form", "query", "path"]
Names = Literal[
    "client",  # a client record
    "contact",  # a first-line contact (the interviewee, the outreach's person)
    "child",  # a contact introduced by `contact`, working at `company`
    "company",
    "outreach",
    "interview",
    "coach",  # the user id of the client's coach
    "staff",  # the user id of the organization's owner
    "template",  # a question template of the organization
    "organization",
]
Caller = Literal[
    "owner", "API key", "coach", "client login", "other-org owner", "other-org API key"
]
IdKind = Literal["other organization", "unseen client", "another client"]
Refused = Literal[401, 404, 422, "empty"]

ALL_CALLERS: tuple[Caller, ...] = (
    "owner",
    "API key",
    "coach",
    "client login",
    "other-org owner",
    "other-org API key",
)
STAFF_AND_KEYS: tuple[Caller, ...] = (
    "owner",
    "API key",
    "coach",
    "other-org owner",
    "other-org API key",
)
ADMINS_AND_KEYS: tuple[Caller, ...] = ("owner", "API key", "other-org owner", "other-org API key")
ALL_KINDS: tuple[IdKind, ...] = ("other organization", "unseen client", "another client")
ORGANIZATION_ONLY: tuple[IdKind, ...] = ("other organization",)
USER_KINDS: tuple[IdKind, ...] = ("other organization", "unseen client")

# The id under test; other "{name}" strings are the host client's object of that name
# ("{new email}": a fresh address).
FOREIGN = "{foreign}"


@dataclass(frozen=True)
class IdField:
    """One id a request carries, and how to send it.

    names: the kind of object the id names. refused: the answer to a foreign id (422
    naming the field, 404, 401, or "empty": 200 with an empty list). same_client: the
    id must name an object of the host client, so another client's visible object is
    refused too; otherwise only objects out of the caller's reach are. kinds: the id
    kinds that exist for this object (an organization-wide template has no client).
    named_by: how a 422 names the field: `errors[].loc`, a `field` extension, or (a
    path's second id) only its `detail`.
    prepare: a request the host organization's owner sends before the control.
    """

    names: Names
    refused: Refused
    json: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    callers: tuple[Caller, ...] = ALL_CALLERS
    kinds: tuple[IdKind, ...] = ALL_KINDS
    same_client: bool = True
    named_by: Literal["errors", "detail"] = "errors"
    prepare: tuple[str, str] | None = None


def body(names: Names, json: dict[str, Any], **options: Any) -> IdField:
    return IdField(names, 422, json=json, **options)


def query(names: Names, refused: Refused, name: str, **options: Any) -> IdField:
    return IdField(names, refused, params={name: FOREIGN}, **options)


OUTREACH = {"contact_id": "{contact}", "channel": "email", "purpose": "follow_up"}
INTERVIEW = {"kind": "informational", "contact_id": "{contact}"}

# (METHOD, path under /api/v1, where, field) → how to send a foreign id there. Every id
# field of a body, form or query in the OpenAPI document must be here.
ID_FIELDS: dict[tuple[str, str, Where, str], IdField] = {
    # Contacts: the referrer and the company are the same client's.
    ("POST", "/clients/{client_id}/contacts", "body", "referred_by_id"): body(
        "contact", {"full_name": "Nora New", "referred_by_id": FOREIGN}
    ),
    ("POST", "/clients/{client_id}/contacts", "body", "company_id"): body(
        "company", {"full_name": "Nora New", "company_id": FOREIGN}
    ),
    ("PATCH", "/contacts/{contact_id}", "body", "referred_by_id"): body(
        "contact", {"referred_by_id": FOREIGN}
    ),
    ("PATCH", "/contacts/{contact_id}", "body", "company_id"): body(
        "company", {"company_id": FOREIGN}
    ),
    # Outreach
    ("POST", "/clients/{client_id}/outreach", "body", "contact_id"): body(
        "contact", {**OUTREACH, "contact_id": FOREIGN}
    ),
    ("POST", "/clients/{client_id}/outreach", "body", "company_id"): body(
        "company", {**OUTREACH, "company_id": FOREIGN}
    ),
    ("POST", "/clients/{client_id}/outreach", "body", "question_template_ids"): body(
        "template", {**OUTREACH, "question_template_ids": [FOREIGN]}, kinds=ORGANIZATION_ONLY
    ),
    ("PATCH", "/outreach/{outreach_id}", "body", "company_id"): body(
        "company", {"company_id": FOREIGN}
    ),
    # Interviews
    ("POST", "/clients/{client_id}/interviews", "body", "contact_id"): body(
        "contact", {**INTERVIEW, "contact_id": FOREIGN}
    ),
    ("POST", "/clients/{client_id}/interviews", "body", "company_id"): body(
        "company", {**INTERVIEW, "company_id": FOREIGN}
    ),
    ("POST", "/clients/{client_id}/interviews", "body", "outreach_id"): body(
        "outreach", {**INTERVIEW, "outreach_id": FOREIGN}
    ),
    ("POST", "/clients/{client_id}/interviews", "body", "question_template_ids"): body(
        "template", {**INTERVIEW, "question_template_ids": [FOREIGN]}, kinds=ORGANIZATION_ONLY
    ),
    ("PATCH", "/interviews/{interview_id}", "body", "contact_id"): body(
        "contact", {"contact_id": FOREIGN}
    ),
    ("PATCH", "/interviews/{interview_id}", "body", "company_id"): body(
        "company", {"company_id": FOREIGN}
    ),
    ("PATCH", "/interviews/{interview_id}", "body", "outreach_id"): body(
        "outreach", {"outreach_id": FOREIGN}
    ),
    ("POST", "/interviews/{interview_id}/referrals", "body", "contacts[].company_id"): body(
        "company", {"contacts": [{"full_name": "Sam Suggested", "company_id": FOREIGN}]}
    ),
    ("POST", "/interviews/{interview_id}/referrals", "body", "existing_contact_ids"): body(
        "child", {"existing_contact_ids": [FOREIGN]}
    ),
    # Organization administration: a client login is linked to a client one may see.
    ("PATCH", "/members/{user_id}", "body", "client_id"): body(
        "client",
        {"role": "client", "client_id": FOREIGN},
        callers=("owner", "other-org owner"),
        same_client=False,
    ),
    ("POST", "/invitations", "body", "client_id"): body(
        "client",
        {"email": "{new email}", "role": "client", "client_id": FOREIGN},
        callers=("owner", "coach", "other-org owner"),
        same_client=False,
    ),
    # Signing in to an organization one is not a member of: the same 401 as a wrong
    # password. Sign-in does not depend on the role (and each costs an argon2 check).
    ("POST", "/auth/token", "form", "organization_id"): IdField(
        "organization",
        401,
        form={"username": "{email}", "password": PASSWORD, "organization_id": FOREIGN},
        callers=("owner", "other-org owner"),
        kinds=ORGANIZATION_ONLY,
    ),
    # The second id of a coach assignment's path.
    ("PUT", "/clients/{client_id}/coaches/{user_id}", "path", "user_id"): IdField(
        "staff", 404, callers=ADMINS_AND_KEYS, kinds=ORGANIZATION_ONLY
    ),
    ("DELETE", "/clients/{client_id}/coaches/{user_id}", "path", "user_id"): IdField(
        "staff",
        404,
        callers=ADMINS_AND_KEYS,
        kinds=ORGANIZATION_ONLY,
        prepare=("PUT", "/clients/{client_id}/coaches/{user_id}"),
    ),
    # Filters: an id out of reach narrows the list to nothing (or is a 404 where so documented).
    ("GET", "/clients", "query", "coach_id"): query(
        "coach", "empty", "coach_id", kinds=USER_KINDS, same_client=False
    ),
    ("GET", "/clients/{client_id}/contacts", "query", "company_id"): query(
        "company", "empty", "company_id"
    ),
    ("GET", "/clients/{client_id}/contacts", "query", "parent_id"): query(
        "contact", "empty", "parent_id"
    ),
    ("GET", "/clients/{client_id}/contact-tree", "query", "root_id"): query(
        "contact", 404, "root_id"
    ),
    ("GET", "/clients/{client_id}/outreach", "query", "contact_id"): query(
        "contact", "empty", "contact_id"
    ),
    ("GET", "/clients/{client_id}/outreach", "query", "company_id"): query(
        "company", "empty", "company_id"
    ),
    ("GET", "/clients/{client_id}/interviews", "query", "contact_id"): query(
        "contact", "empty", "contact_id"
    ),
    ("GET", "/clients/{client_id}/interviews", "query", "company_id"): query(
        "company", "empty", "company_id"
    ),
    ("GET", "/reports/caseload", "query", "coach_id"): query(
        "coach", "empty", "coach_id", callers=STAFF_AND_KEYS, kinds=USER_KINDS, same_client=False
    ),
    ("GET", "/agenda", "query", "client_id"): query("client", 404, "client_id", same_client=False),
    ("GET", "/agenda", "query", "coach_id"): query(
        "coach", "empty", "coach_id", kinds=USER_KINDS, same_client=False
    ),
    ("GET", "/events", "query", "client_id"): query(
        "client", "empty", "client_id", callers=ADMINS_AND_KEYS, same_client=False
    ),
    ("GET", "/audit-log", "query", "actor_id"): query(
        "staff", "empty", "actor_id", callers=ADMINS_AND_KEYS, kinds=ORGANIZATION_ONLY
    ),
    ("GET", "/audit-log", "query", "object_id"): query(
        "client", "empty", "object_id", callers=ADMINS_AND_KEYS, same_client=False
    ),
    ("GET", "/audit-log", "query", "client_id"): query(
        "client", "empty", "client_id", callers=ADMINS_AND_KEYS, same_client=False
    ),
}

# Whose objects a foreign id of each kind names, per caller: callers of organization A
# act on client X (coached by X's coach, who also coaches Z; Y has another coach);
# callers of organization B act on its client W.
HOST: dict[Caller, str] = {
    "owner": "X",
    "API key": "X",
    "coach": "X",
    "client login": "X",
    "other-org owner": "W",
    "other-org API key": "W",
}
FOREIGN_CLIENT: dict[Caller, dict[IdKind, str]] = {
    "owner": {"other organization": "W", "another client": "Z"},
    "API key": {"other organization": "W", "another client": "Z"},
    "coach": {"other organization": "W", "unseen client": "Y", "another client": "Z"},
    "client login": {"other organization": "W", "unseen client": "Y", "another client": "Z"},
    "other-org owner": {"other organization": "X"},
    "other-org API key": {"other organization": "X"},
}
# The clients each caller may see.
SEES: dict[Caller, set[str]] = {
    "owner": {"X", "Y", "Z"},
    "API key": {"X", "Y", "Z"},
    "coach": {"X", "Z"},
    "client login": {"X"},
    "other-org owner": {"W"},
    "other-org API key": {"W"},
}
ORGANIZATION_OF = {"X": "A", "Y": "A", "Z": "A", "W": "B"}


def trace(label: str) -> str:
    """A word in every text of that client's objects: no response to a caller who may
    not see them contains it."""
    return f"only-{label.lower()}-sees-this"


def refused_kinds(caller: Caller, entry: IdField) -> list[IdKind]:
    """The id kinds this caller sends for this field: those whose object is out of the
    caller's reach, or (for a same-client field) not the host client's."""
    return [
        kind
        for kind, label in FOREIGN_CLIENT[caller].items()
        if kind in entry.kinds and (entry.same_client or label not in SEES[caller])
    ]


def _matrix() -> Iterator[tuple[tuple[str, str, Where, str], Caller, IdKind]]:
    for key, entry in ID_FIELDS.items():
        for caller in entry.callers:
            for kind in refused_kinds(caller, entry):
                yield key, caller, kind


MATRIX = [
    pytest.param(key, caller, kind, id=f"{key[0]} {key[1]} {key[2]} {key[3]} as {caller}: {kind}")
    for key, caller, kind in _matrix()
]
CONTROLS = [
    pytest.param(key, caller, id=f"{key[0]} {key[1]} {key[2]} {key[3]} as {caller}: own")
    for key, entry in ID_FIELDS.items()
    for caller in entry.callers
]


@dataclass
class Objects:
    """One client's objects (ids) and its coach's user id."""

    client: str
    contact: str
    child: str
    company: str
    outreach: str
    interview: str
    coach: str


@dataclass
class World:
    organization: dict[str, str]  # "A", "B" → organization id
    staff: dict[str, str]  # the owner's user id per organization
    template: dict[str, str]
    clients: dict[str, Objects]  # "X", "Y", "Z" (A), "W" (B)
    actors: dict[Caller, Actor]
    logins: dict[str, str]  # "X", "W" → the client login's user id

    def object_id(self, names: Names, label: str) -> str:
        organization = ORGANIZATION_OF[label]
        match names:
            case "organization":
                return self.organization[organization]
            case "staff":
                return self.staff[organization]
            case "template":
                return self.template[organization]
            case _:
                return str(getattr(self.clients[label], names))


@pytest.fixture(scope="module")
async def world(app: FastAPI, owner_engine: AsyncEngine) -> AsyncIterator[World]:
    """Organization A (clients X and Z coached by one coach, Y by another) and B (W)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        create_sessionmaker(owner_engine)() as db,
    ):
        owner_a = await signup(http, organization_name="Org A")
        owner_b = await signup(http, organization_name="Org B")
        org_a, org_b = owner_a.organization_id, owner_b.organization_id
        ids = {
            label: (await create_client(http, owner, full_name=f"Client {trace(label)}"))["id"]
            for label, owner in (("X", owner_a), ("Y", owner_a), ("Z", owner_a), ("W", owner_b))
        }
        coach_of_x = await add_member(http, db, org_a, Role.coach)
        coach_of_y = await add_member(http, db, org_a, Role.coach)
        coach_of_w = await add_member(http, db, org_b, Role.coach)
        coaches = {"X": coach_of_x, "Z": coach_of_x, "Y": coach_of_y, "W": coach_of_w}
        for label, coach in coaches.items():
            owner = owner_a if ORGANIZATION_OF[label] == "A" else owner_b
            await assign_coach(http, owner, ids[label], coach)
            # The owner coaches X and W too: the assignment the DELETE control takes back.
            if label in ("X", "W"):
                await assign_coach(http, owner, ids[label], owner)
        login_x = await add_member(http, db, org_a, Role.client, client_id=ids["X"])
        login_w = await add_member(http, db, org_b, Role.client, client_id=ids["W"])
        every_scope = [s.value for s in Scope]
        key_a = await add_api_key(db, org_a, every_scope)
        key_b = await add_api_key(db, org_b, every_scope)
        templates = {}
        for organization, owner in (("A", owner_a), ("B", owner_b)):
            response = await http.post(
                "/api/v1/question-templates",
                json={"category": "culture", "text": f"Ask {trace(organization)}?"},
                headers=owner.headers,
            )
            assert response.status_code == 201, response.text
            templates[organization] = response.json()["id"]
        clients = {}
        for label, client_id in ids.items():
            owner = owner_a if ORGANIZATION_OF[label] == "A" else owner_b
            clients[label] = await _client_objects(
                http, owner, client_id, label, str(coaches[label].user_id)
            )
        yield World(
            organization={"A": str(org_a), "B": str(org_b)},
            staff={"A": str(owner_a.user_id), "B": str(owner_b.user_id)},
            template=templates,
            clients=clients,
            actors={
                "owner": owner_a,
                "API key": key_a,
                "coach": coach_of_x,
                "client login": login_x,
                "other-org owner": owner_b,
                "other-org API key": key_b,
            },
            logins={"X": str(login_x.user_id), "W": str(login_w.user_id)},
        )


async def _client_objects(
    http: httpx.AsyncClient, owner: Actor, client_id: str, label: str, coach: str
) -> Objects:
    """A first-line contact who introduced a second one at the client's company, outreach
    to the first about the company, and an informational interview that came of it."""
    mark = trace(label)
    contact = await create_contact(
        http, owner, client_id, full_name=f"Root {mark}", email=f"root@{mark}.example"
    )
    company = await create_company(http, owner, client_id, name=f"Company {mark}")
    child = await create_contact(
        http,
        owner,
        client_id,
        full_name=f"Child {mark}",
        referred_by_id=contact["id"],
        company_id=company["id"],
    )
    outreach = await create_outreach(
        http, owner, client_id, contact["id"], company_id=company["id"], subject=f"Hi {mark}"
    )
    interview = await create_interview(
        http,
        owner,
        client_id,
        contact_id=contact["id"],
        company_id=company["id"],
        outreach_id=outreach["id"],
        location=f"Office {mark}",
    )
    return Objects(
        client=client_id,
        contact=contact["id"],
        child=child["id"],
        company=company["id"],
        outreach=outreach["id"],
        interview=interview["id"],
        coach=coach,
    )


# Everything a request could create or change in either organization, counted in one
# statement. API keys note their own use (`last_used_at`, an `api_key_use` entry at most
# once a minute): that is not the request's doing, so it is left out; so are tokens and
# webhook deliveries, which the in-process worker may move at any time.
TRACKED_TABLES = (
    "memberships",
    "invitations",
    "clients",
    "client_coaches",
    "contacts",
    "interactions",
    "events",
    "companies",
    "outreach",
    "interviews",
    "interview_stage_changes",
    "question_templates",
    "audit_entries",
    "agenda_item_states",
)


async def fingerprint(engine: AsyncEngine, world: World) -> dict[str, Any]:
    organizations = [uuid.UUID(o) for o in world.organization.values()]
    columns: list[Label[Any]] = []
    for name in TRACKED_TABLES:
        table = Base.metadata.tables[name]
        conditions: list[ColumnElement[bool]] = [table.c.organization_id.in_(organizations)]
        if name == "audit_entries":
            conditions.append(table.c.action != "api_key_use")
        aggregates: list[tuple[str, ColumnElement[Any]]] = [("rows", func.count())]
        if "version" in table.c:
            aggregates.append(("versions", func.coalesce(func.sum(table.c.version), 0)))
        if "updated_at" in table.c:
            aggregates.append(("updated", func.max(table.c.updated_at)))
        for label, aggregate in aggregates:
            subquery = select(aggregate).select_from(table).where(*conditions)
            columns.append(subquery.scalar_subquery().label(f"{name}.{label}"))
    async with engine.connect() as connection:
        row = (await connection.execute(select(*columns))).one()
    return dict(row._mapping)


def _request(
    world: World,
    key: tuple[str, str, Where, str],
    caller: Caller,
    target: str,
) -> tuple[str, str, dict[str, Any]]:
    """(method, URL, httpx options) for `caller` acting on its host client, with the id
    under test set to `target`."""
    method, path, where, name = key
    entry = ID_FIELDS[key]
    host = HOST[caller]
    actor = world.actors[caller]

    def value(text: str) -> str:
        if text == FOREIGN:
            return target
        if text == "{new email}":
            return unique_email("invitee")
        if text == "{email}":
            assert actor.email is not None
            return actor.email
        return world.object_id(text[1:-1], host)  # type: ignore[arg-type]

    def filled(template: Any) -> Any:
        if isinstance(template, dict):
            return {k: filled(v) for k, v in template.items()}
        if isinstance(template, list):
            return [filled(v) for v in template]
        if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
            return value(template)
        return template

    path_values = {
        "client_id": world.clients[host].client,
        "contact_id": world.clients[host].child,
        "outreach_id": world.clients[host].outreach,
        "interview_id": world.clients[host].interview,
        "user_id": world.logins[host],
    }
    if where == "path":
        path_values[name] = target
    options: dict[str, Any] = {"headers": actor.headers} if where != "form" else {}
    if entry.json is not None:
        options["json"] = filled(entry.json)
    if entry.form is not None:
        options["data"] = filled(entry.form)
    if entry.params is not None:
        options["params"] = filled(entry.params)
    return method, API_PREFIX + path.format(**path_values), options


def _names_the_field(problem: dict[str, Any], key: tuple[str, str, Where, str]) -> bool:
    entry = ID_FIELDS[key]
    leaf = key[3].rsplit(".", 1)[-1]
    match entry.named_by:
        case "errors":
            return any(error["loc"][-1] == leaf for error in problem.get("errors") or [])
        case "detail":
            return True  # a problem about the path's object, named in `detail` only


@pytest.mark.parametrize(("key", "caller", "kind"), MATRIX)
async def test_a_foreign_id_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    owner_engine: AsyncEngine,
    world: World,
    key: tuple[str, str, Where, str],
    caller: Caller,
    kind: IdKind,
) -> None:
    entry = ID_FIELDS[key]
    label = FOREIGN_CLIENT[caller][kind]
    target = world.object_id(entry.names, label)
    method, url, options = _request(world, key, caller, target)
    before = await fingerprint(owner_engine, world)

    response = await client.request(method, url, **options)

    what = f"{method} {url} ({key[2]} {key[3]} = {kind}'s {entry.names}) as {caller}"
    if entry.refused == "empty":
        assert response.status_code == 200, f"{what}: {response.status_code} {response.text[:300]}"
        assert response.json()["data"] == [], f"{what} lists: {response.text[:300]}"
    else:
        assert response.status_code == entry.refused, (
            f"{what}: expected {entry.refused}, got {response.status_code}: {response.text[:300]}"
        )
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        if entry.refused == 422:
            assert problem["type"].endswith("/unprocessable"), f"{what}: {problem}"
            assert _names_the_field(problem, key), f"{what} does not name the field: {problem}"
    assert trace(label) not in response.text, f"{what} shows the foreign object: {response.text}"
    assert await fingerprint(owner_engine, world) == before, f"{what} changed something"
    if label not in SEES[caller]:
        # Nothing tells an object out of reach from one that exists nowhere.
        method, url, options = _request(world, key, caller, str(uuid.uuid4()))
        missing = await client.request(method, url, **options)
        assert _comparable(response) == _comparable(missing), (
            f"{what} answers otherwise than for an id that exists nowhere: "
            f"{response.text[:300]} / {missing.text[:300]}"
        )


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _comparable(response: httpx.Response) -> tuple[int, str]:
    """The answer with its ids and its moment left out."""
    content = response.json()
    if isinstance(content, dict):
        content.pop("generated_at", None)
    return response.status_code, UUID.sub("<id>", json.dumps(content, sort_keys=True))


@pytest.mark.parametrize(("key", "caller"), CONTROLS)
async def test_the_same_request_with_the_callers_own_id_succeeds(
    client: httpx.AsyncClient, world: World, key: tuple[str, str, Where, str], caller: Caller
) -> None:
    """Runs after the refusals (it creates and changes things): each refusal above is the
    id's doing, not a malformed request or a caller who may not use the route at all."""
    entry = ID_FIELDS[key]
    host = HOST[caller]
    own = world.object_id(entry.names, host)
    if entry.prepare is not None:
        owner = world.actors["owner" if ORGANIZATION_OF[host] == "A" else "other-org owner"]
        prepare_key = (entry.prepare[0], entry.prepare[1], key[2], key[3])
        _, url, _ = _request(world, prepare_key, caller, own)
        prepared = await client.request(entry.prepare[0], url, headers=owner.headers)
        assert prepared.is_success, prepared.text
    method, url, options = _request(world, key, caller, own)

    response = await client.request(method, url, **options)

    assert response.is_success, f"{method} {url} as {caller}: {response.text[:300]}"
    if entry.refused == "empty":
        assert response.json()["data"] != [], f"{method} {url} as {caller} lists nothing"


def id_fields(document: dict[str, Any]) -> set[tuple[str, str, Where, str]]:
    """(METHOD, path, where, field) of every id in a body, form or query of the document:
    a string of format uuid (or a list of them), or a name ending in `_id` / `_ids`."""
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

    def is_id(name: str, schema: dict[str, Any]) -> bool:
        if name.endswith(("_id", "_ids")):
            return True
        for variant in variants(schema):
            items = resolved(variant.get("items", {}))
            if variant.get("format") == "uuid" or items.get("format") == "uuid":
                return True
        return False

    def fields_of(schema: dict[str, Any], prefix: str, seen: frozenset[str]) -> set[str]:
        found = set()
        for variant in variants(schema):
            for name, prop in variant.get("properties", {}).items():
                dotted = prefix + name
                if is_id(name, prop):
                    found.add(dotted)
                ref = prop.get("$ref", "")
                if ref in seen:
                    continue
                for inner in variants(prop):
                    if inner.get("type") == "array":
                        found |= fields_of(inner["items"], dotted + "[].", seen | {ref})
                    elif "properties" in inner:
                        found |= fields_of(inner, dotted + ".", seen | {ref})
        return found

    result: set[tuple[str, str, Where, str]] = set()
    for full_path, item in document["paths"].items():
        path = full_path.removeprefix(API_PREFIX)
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and is_id(parameter["name"], parameter["schema"]):
                    result.add((method.upper(), path, "query", parameter["name"]))
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, media in content.items():
                where: Where = "body" if media_type == "application/json" else "form"
                for name in fields_of(media["schema"], "", frozenset()):
                    result.add((method.upper(), path, where, name))
    return result


def test_every_id_field_of_a_body_or_query_is_in_the_matrix(app: FastAPI) -> None:
    document = app.openapi()
    found = id_fields(document)
    listed = {key for key in ID_FIELDS if key[2] != "path"}
    missing = sorted(found - listed)
    assert missing == [], (
        "ids in request bodies or queries that the isolation matrix does not cover; add each "
        "to ID_FIELDS in tests/test_isolation_bodies.py:\n"
        + "\n".join(f"  {m} {p} {w} {f}" for m, p, w, f in missing)
    )
    stale = sorted(listed - found)
    assert stale == [], "ID_FIELDS entries the app does not have:\n" + "\n".join(
        f"  {m} {p} {w} {f}" for m, p, w, f in stale
    )
    for method, path, where, name in ID_FIELDS:
        if where == "path":
            operation = document["paths"][API_PREFIX + path][method.lower()]
            assert name in {p["name"] for p in operation["parameters"] if p["in"] == "path"}
    unused = [
        key
        for key, entry in ID_FIELDS.items()
        if not any(refused_kinds(caller, entry) for caller in entry.callers)
    ]
    assert unused == [], f"ID_FIELDS entries no caller sends a foreign id to: {unused}"


def test_the_matrix_counts_itself() -> None:
    """`python -m tests.isolation_count` prints what the isolation matrix covers."""
    from tests.isolation_count import isolation_counts, report

    parts = {part.name: part for part in isolation_counts()}
    assert list(parts) == ["path ids", "list contents", "ids in bodies and queries"]
    assert all(part.rows > 0 and part.controls > 0 for part in parts.values()), report()
    assert parts["ids in bodies and queries"].rows == len(MATRIX)
    assert parts["ids in bodies and queries"].controls == len(CONTROLS)
    assert parts["ids in bodies and queries"].fields == len(ID_FIELDS)
