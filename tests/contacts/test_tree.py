import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.contacts.schemas import BranchYield, ContactTree, ContactTreeNode
from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.models import Contact
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact, set_contact_columns
from tests.factories.identity import Actor, signup
from tests.interviews.pipeline_factories import create_interview, move


async def tree(
    http: httpx.AsyncClient, actor: Actor, client_id: str, **params: Any
) -> dict[str, Any]:
    response = await http.get(
        f"/api/v1/clients/{client_id}/contact-tree", params=params, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # The body is assembled without the response model: it must still be one, exactly.
    ContactTree.model_validate_json(response.content)
    assert list(body) == list(ContactTree.model_fields)
    assert all(list(node) == list(ContactTreeNode.model_fields) for node, _ in walk(body["roots"]))
    assert all(list(y) == list(BranchYield.model_fields) for y in body["branch_yields"])
    return dict(body)


def shape(node: dict[str, Any]) -> Any:
    """`name` or `(name, [children…])`, for compact assertions."""
    if not node["children"]:
        return node["full_name"]
    return (node["full_name"], [shape(child) for child in node["children"]])


def walk(nodes: list[dict[str, Any]], level: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    for node in nodes:
        yield node, level
        yield from walk(node["children"], level + 1)


async def test_the_tree_shows_every_branch_with_counts_warmth_and_yields(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    a, _, c, _ = await create_chain(client, owner, cid, "A", "B", "C", "D")
    await create_contact(client, owner, cid, full_name="B2", referred_by_id=a["id"])
    await create_contact(client, owner, cid, full_name="Z", company_name="Zeta", title="CTO")
    await set_contact_columns(
        db, owner.organization_id, c["id"], last_contacted_at=utc_now() - timedelta(days=1)
    )

    forest = await tree(client, owner, cid)
    assert forest["client_id"] == cid
    assert [shape(root) for root in forest["roots"]] == [
        ("A", [("B", [("C", ["D"])]), "B2"]),
        "Z",
    ]
    a_node = forest["roots"][0]
    assert a_node["descendant_count"] == 4
    assert a_node["children"][0]["descendant_count"] == 2
    c_node = a_node["children"][0]["children"][0]
    assert c_node["warmth"] == "warm"
    assert c_node["last_contacted_at"] is not None
    assert forest["roots"][1] == {
        "id": forest["roots"][1]["id"],
        "full_name": "Z",
        "company_name": "Zeta",
        "title": "CTO",
        "depth": 0,
        "warmth": "never",
        "last_contacted_at": None,
        "descendant_count": 0,
        "children": [],
    }
    assert all(node["depth"] == level for node, level in walk(forest["roots"]))
    assert forest["branch_yields"] == [
        {"root_id": a["id"], "descendants": 4, "deepest_depth": 3, "met_in_interview": 0},
        {
            "root_id": forest["roots"][1]["id"],
            "descendants": 0,
            "deepest_depth": 0,
            "met_in_interview": 0,
        },
    ]


async def met_in(
    http: httpx.AsyncClient, actor: Actor, client_id: str, contact: dict[str, Any], *stages: str
) -> None:
    """An interview with `contact` walked through `stages` (the first is where it starts)."""
    kind = "job" if {"offer", "rejected", "withdrawn"} & set(stages) else "informational"
    interview = await create_interview(
        http, actor, client_id, kind=kind, contact_id=contact["id"], stage=stages[0]
    )
    for stage in stages[1:]:
        response = await move(http, actor, interview["id"], stage)
        assert response.status_code == 200, response.text


async def test_branch_yields_count_the_contacts_met_in_a_held_interview(
    client: httpx.AsyncClient,
) -> None:
    """Met: an interview with the contact reached `held` (and maybe moved on from it). The
    root itself is not counted, like `descendants`."""
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    cid = seeker["id"]
    a, b, c, d = await create_chain(client, owner, cid, "A", "B", "C", "D")
    e = await create_contact(client, owner, cid, full_name="E", referred_by_id=a["id"])
    r, s = await create_chain(client, owner, cid, "R", "S")
    await create_contact(client, owner, cid, full_name="Z")
    (elsewhere,) = await create_chain(client, owner, other["id"], "Elsewhere")

    await met_in(client, owner, cid, a, "scheduled", "held")  # the root: not counted
    await met_in(client, owner, cid, b, "scheduled", "held")  # met
    await met_in(client, owner, cid, b, "requested", "scheduled", "held")  # met again: once
    await met_in(client, owner, cid, c, "scheduled", "held", "followed_up")  # met
    await met_in(client, owner, cid, d, "requested", "scheduled")  # not held yet
    await met_in(client, owner, cid, d, "scheduled", "no_show")  # never held
    await met_in(client, owner, cid, e, "requested", "cancelled")  # never held
    await met_in(client, owner, cid, e, "scheduled", "held", "rejected")  # job: met
    await met_in(client, owner, cid, s, "scheduled", "held", "offer")  # job: met
    await met_in(client, owner, other["id"], elsewhere, "scheduled", "held")  # another client
    no_contact = await create_interview(client, owner, cid, kind="job", stage="scheduled")
    assert (await move(client, owner, no_contact["id"], "held")).status_code == 200

    # By hand: under A, B, C, D and E; met B, C and E. Under R, S; met S. Z: nobody.
    forest = await tree(client, owner, cid)
    yields = {y["root_id"]: y for y in forest["branch_yields"]}
    assert [root["full_name"] for root in forest["roots"]] == ["A", "R", "Z"]
    assert yields[a["id"]]["descendants"] == 4
    assert yields[a["id"]]["met_in_interview"] == 3
    assert yields[r["id"]] == {
        "root_id": r["id"],
        "descendants": 1,
        "deepest_depth": 1,
        "met_in_interview": 1,
    }
    assert [y["met_in_interview"] for y in forest["branch_yields"]] == [3, 1, 0]

    # Under B: C and D; met C. The depth limit does not change what a branch yielded.
    subtree = await tree(client, owner, cid, root_id=b["id"], max_depth=0)
    assert subtree["branch_yields"][0]["met_in_interview"] == 1
    cut = await tree(client, owner, cid, max_depth=0)
    assert [y["met_in_interview"] for y in cut["branch_yields"]] == [3, 1, 0]


async def test_a_subtree_and_a_depth_limit(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    cid = seeker["id"]
    _, b, _, _ = await create_chain(client, owner, cid, "A", "B", "C", "D")

    subtree = await tree(client, owner, cid, root_id=b["id"])
    assert [shape(root) for root in subtree["roots"]] == [("B", [("C", ["D"])])]
    assert subtree["roots"][0]["depth"] == 1  # depths stay those of the whole tree
    assert subtree["branch_yields"][0]["deepest_depth"] == 3

    cut = await tree(client, owner, cid, max_depth=1)
    assert [shape(root) for root in cut["roots"]] == [("A", ["B"])]
    # Counts and yields still cover the whole branch.
    assert cut["roots"][0]["children"][0]["descendant_count"] == 2
    assert cut["branch_yields"][0]["descendants"] == 3

    only_b = await tree(client, owner, cid, root_id=b["id"], max_depth=0)
    assert [shape(root) for root in only_b["roots"]] == ["B"]

    theirs = await create_contact(client, owner, other["id"])
    url = f"/api/v1/clients/{cid}/contact-tree"
    for params in ({"root_id": theirs["id"]}, {"root_id": str(uuid.uuid4())}):
        assert (await client.get(url, params=params, headers=owner.headers)).status_code == 404
    too_deep = await client.get(url, params={"max_depth": 51}, headers=owner.headers)
    assert too_deep.status_code == 422


async def test_an_empty_network_is_an_empty_forest(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    assert await tree(client, owner, seeker["id"]) == {
        "client_id": seeker["id"],
        "roots": [],
        "branch_yields": [],
    }


async def test_the_chain_runs_from_the_root_to_the_contact(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b, c, d = await create_chain(client, owner, seeker["id"], "A", "B", "C", "D")
    await create_contact(client, owner, seeker["id"], full_name="Elsewhere")
    response = await client.get(f"/api/v1/contacts/{d['id']}/chain", headers=owner.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["contact_id"] == d["id"]
    assert [link["id"] for link in body["contacts"]] == [a["id"], b["id"], c["id"], d["id"]]
    assert body["contacts"][0] == {
        "id": a["id"],
        "full_name": "A",
        "company_name": None,
        "title": None,
        "depth": 0,
    }
    assert [link["depth"] for link in body["contacts"]] == [0, 1, 2, 3]
    root_only = await client.get(f"/api/v1/contacts/{a['id']}/chain", headers=owner.headers)
    assert [link["id"] for link in root_only.json()["contacts"]] == [a["id"]]


@contextmanager
def counting_statements(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def arrange_tree(db: AsyncSession, owner: Actor, client_id: str, size: int) -> None:
    """`size` contacts in 4 roots, each contact introducing up to three more."""
    await bind_organization(db, owner.organization_id)
    ids = [uuid.uuid4() for _ in range(size)]
    depths: list[int] = []
    contacts = []
    for i, contact_id in enumerate(ids):
        parent = None if i < 4 else (i - 4) // 3
        depths.append(0 if parent is None else depths[parent] + 1)
        contacts.append(
            Contact(
                id=contact_id,
                organization_id=owner.organization_id,
                client_id=uuid.UUID(client_id),
                full_name=f"Contact {i:04d}",
                referred_by_id=None if parent is None else ids[parent],
                depth=depths[-1],
            )
        )
    db.add_all(contacts)
    await db.commit()


async def test_the_tree_costs_the_same_queries_for_10_or_1000_contacts(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    counts = {}
    for size in (10, 1000):
        owner = await signup(client)
        seeker = await create_client(client, owner)
        await arrange_tree(db, owner, seeker["id"], size)
        with counting_statements(app) as statements:
            forest = await tree(client, owner, seeker["id"])
        counts[size] = len(statements)
        assert sum(root["descendant_count"] + 1 for root in forest["roots"]) == size
        assert all(node["depth"] == level for node, level in walk(forest["roots"]))
    assert counts[10] == counts[1000]
    assert counts[1000] <= 8, counts


async def test_the_openapi_document_describes_the_recursive_node(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    node = document["components"]["schemas"]["ContactTreeNode"]
    assert node["properties"]["children"]["items"] == {
        "$ref": "#/components/schemas/ContactTreeNode"
    }
    operation = document["paths"]["/api/v1/clients/{client_id}/contact-tree"]["get"]
    assert operation["operationId"] == "contacts_tree"
    assert {"401", "403", "404", "422"} <= set(operation["responses"])
