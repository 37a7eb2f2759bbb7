import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.companies.normalise import normalise_company_name
from app.companies.warm_paths import find_warm_paths
from app.core.time import utc_now
from app.models import Company
from app.models.enums import Role
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact, set_contact_columns
from tests.factories.identity import Actor, add_member, signup
from tests.interviews.pipeline_factories import counting_statements, create_company


async def warm_paths(http: httpx.AsyncClient, actor: Actor, company_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/companies/{company_id}/warm-paths", headers=actor.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def update_contact(
    http: httpx.AsyncClient, actor: Actor, contact: dict[str, Any], **changes: Any
) -> None:
    response = await http.patch(
        f"/api/v1/contacts/{contact['id']}", json=changes, headers=actor.headers
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("ACME", "acme"),
        ("Acme, Inc.", "acme"),
        ("  acme   ltd ", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("Acme S.A.", "acme"),
        ("Société Générale SA", "societe generale"),
        ("Müller-Lüdenscheid LLC", "muller ludenscheid"),
        ("O'Brien & Sons", "obrien sons"),
        ("Limited", "limited"),
        ("Acme Widgets", "acme widgets"),
        ("  ", None),
        ("…", None),
        (None, None),
    ],
)
def test_company_names_are_compared_without_case_accents_punctuation_or_legal_form(
    written: str | None, normal: str | None
) -> None:
    assert normalise_company_name(written) == normal


async def test_warm_paths_list_the_people_at_a_company_and_the_roots_that_reach_them(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="ACME")
    a, b, c, d = await create_chain(client, owner, seeker["id"], "Ann", "Ben", "Cat", "Dan")
    await update_contact(
        client,
        owner,
        d,
        company_id=acme["id"],
        title="CTO",
        role_at_company="hiring_manager",
    )
    e, f = await create_chain(client, owner, seeker["id"], "Eve", "Fay")
    await update_contact(client, owner, f, company_name="Acme, Inc.")
    await create_chain(client, owner, seeker["id"], "Gus", "Hal")  # unrelated
    await create_contact(client, owner, seeker["id"], full_name="Ida", company_name="Acme Widgets")
    roy = await create_contact(client, owner, seeker["id"], full_name="Roy", company_id=acme["id"])
    now = utc_now()
    await set_contact_columns(db, owner.organization_id, a["id"], last_contacted_at=now)
    await set_contact_columns(db, owner.organization_id, f["id"], last_contacted_at=now)
    await set_contact_columns(
        db, owner.organization_id, c["id"], last_contacted_at=now - timedelta(days=20)
    )

    paths = await warm_paths(client, owner, acme["id"])

    assert (paths["company_id"], paths["client_id"]) == (acme["id"], seeker["id"])
    # Fay is warm; then the never contacted, shortest chain first.
    people = paths["people"]
    assert [(p["full_name"], p["matched_by"], p["warmth"], p["hops"]) for p in people] == [
        ("Fay", "name", "warm", 1),
        ("Roy", "linked", "never", 0),
        ("Dan", "linked", "never", 3),
    ]
    dan = people[2]
    assert (dan["contact_id"], dan["title"], dan["role_at_company"]) == (
        d["id"],
        "CTO",
        "hiring_manager",
    )
    assert dan["last_contacted_at"] is None
    assert [(link["id"], link["depth"], link["warmth"]) for link in dan["chain"]] == [
        (a["id"], 0, "warm"),
        (b["id"], 1, "never"),
        (c["id"], 2, "cooling"),
        (d["id"], 3, "never"),
    ]
    assert [link["full_name"] for link in people[0]["chain"]] == ["Eve", "Fay"]
    assert [link["id"] for link in people[1]["chain"]] == [roy["id"]]
    # Ann is warm; Roy (at the company himself) before Eve, who is one introduction away.
    assert [
        (r["contact_id"], r["warmth"], r["people_at_company"], r["shortest_hops"])
        for r in paths["roots"]
    ] == [
        (a["id"], "warm", 1, 3),
        (roy["id"], "never", 1, 0),
        (e["id"], "never", 1, 1),
    ]


async def test_a_root_counts_every_person_its_branch_reaches_and_the_nearest_one(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="Acme GmbH")
    root, near, far = await create_chain(client, owner, seeker["id"], "Root", "Near", "Far")
    for person in (near, far):
        await update_contact(client, owner, person, company_name="acme")

    paths = await warm_paths(client, owner, acme["id"])

    assert [p["full_name"] for p in paths["people"]] == ["Near", "Far"]
    assert [
        (r["contact_id"], r["people_at_company"], r["shortest_hops"]) for r in paths["roots"]
    ] == [(root["id"], 2, 1)]


async def test_a_contact_linked_to_another_company_is_not_matched_by_its_name(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="Acme")
    globex = await create_company(client, owner, seeker["id"], name="Globex")
    await create_contact(
        client,
        owner,
        seeker["id"],
        full_name="Moved On",
        company_name="Acme",
        company_id=globex["id"],
    )

    assert await warm_paths(client, owner, acme["id"]) == {
        "company_id": acme["id"],
        "client_id": seeker["id"],
        "people": [],
        "roots": [],
    }


async def test_a_company_no_one_reaches_has_no_warm_paths(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    await create_chain(client, owner, seeker["id"], "Ann", "Ben")
    globex = await create_company(client, owner, seeker["id"], name="Globex")

    paths = await warm_paths(client, owner, globex["id"])

    assert (paths["people"], paths["roots"]) == ([], [])


def test_a_person_whose_referrals_loop_is_left_out_and_a_missing_referrer_makes_a_root() -> None:
    acme = Company(id=uuid.uuid4(), name="Acme")

    def person(name: str, referred_by_id: uuid.UUID | None) -> SimpleNamespace:
        return SimpleNamespace(
            id=uuid.uuid4(),
            referred_by_id=referred_by_id,
            full_name=name,
            company_name="Acme",
            title=None,
            role_at_company=None,
            company_id=None,
            depth=1,
            last_contacted_at=None,
        )

    looped, orphan = person("Loop", None), person("Orphan", uuid.uuid4())
    looped.referred_by_id = looped.id  # corrupt: its own referrer

    people, roots = find_warm_paths([looped, orphan], acme, cold_after_days=30, now=utc_now())

    assert [(p.full_name, p.hops) for p in people] == [("Orphan", 0)]
    assert [r.contact_id for r in roots] == [orphan.id]


async def test_warm_paths_read_the_network_in_the_same_statements_whatever_its_size(
    client: httpx.AsyncClient, app: Any
) -> None:
    counts = []
    for size in (1, 8):
        owner = await signup(client)
        seeker = await create_client(client, owner)
        acme = await create_company(client, owner, seeker["id"], name="Acme")
        for i in range(size):
            chain = await create_chain(client, owner, seeker["id"], f"R{i}", f"M{i}")
            await create_contact(
                client,
                owner,
                seeker["id"],
                full_name=f"P{i}",
                company_id=acme["id"],
                referred_by_id=chain[-1]["id"],
            )
        with counting_statements(app) as statements:
            paths = await warm_paths(client, owner, acme["id"])
        assert (len(paths["people"]), len(paths["roots"])) == (size, size)
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_warm_paths_of_a_client_out_of_reach_do_not_exist(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"])
    coach = await add_member(client, db, owner.organization_id, Role.coach)  # not assigned
    outsider = await signup(client)

    for actor in (coach, outsider):
        response = await client.get(
            f"/api/v1/companies/{acme['id']}/warm-paths", headers=actor.headers
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
