"""Attribution: where an interview came from, and what each root contact's branch yielded."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.models.enums import Role
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact
from tests.factories.identity import Actor, add_member, signup
from tests.interviews.pipeline_factories import counting_statements, create_interview, hold, move


@dataclass
class Forest:
    owner: Actor
    client_id: str
    ids: dict[str, str]  # contact name → id
    interviews: dict[str, str]  # label → id


async def _job(http: httpx.AsyncClient, actor: Actor, client_id: str, **fields: Any) -> str:
    return str((await create_interview(http, actor, client_id, kind="job", **fields))["id"])


async def _to(http: httpx.AsyncClient, actor: Actor, interview_id: str, *stages: str) -> None:
    for stage in stages:
        response = await move(http, actor, interview_id, stage)
        assert response.status_code == 200, response.text


async def _forest(http: httpx.AsyncClient) -> Forest:
    """Roots Ana (Ana → Ben → Cem → Dee), Sol (Sol → Tia) and Rex (alone), with:

    - informational: Ana held 3 days ago, Ben held 2 days ago, Cem only requested,
      Tia held;
    - job: Dee scheduled → held → offer, Cem scheduled, Tia held → rejected, and one
      without a contact;
    - another client of the same organization with its own root and held interviews.
    """
    owner = await signup(http)
    client_id = (await create_client(http, owner))["id"]
    chain = await create_chain(
        http, owner, client_id, "Ana Root", "Ben Two", "Cem Three", "Dee Four"
    )
    sol, tia = await create_chain(http, owner, client_id, "Sol Root", "Tia Two")
    rex = await create_contact(http, owner, client_id, full_name="Rex Alone")
    ids = {c["full_name"].split()[0]: c["id"] for c in [*chain, sol, tia, rex]}
    now = utc_now()
    interviews: dict[str, str] = {}
    for name, days_ago in (("Ana", 3), ("Ben", 2), ("Tia", 1)):
        interview = await create_interview(http, owner, client_id, contact_id=ids[name])
        await hold(http, owner, interview["id"], at=(now - timedelta(days=days_ago)).isoformat())
        interviews[f"info {name}"] = interview["id"]
    interviews["info Cem"] = (
        await create_interview(http, owner, client_id, contact_id=ids["Cem"])
    )["id"]
    interviews["job Dee"] = await _job(http, owner, client_id, contact_id=ids["Dee"])
    await _to(http, owner, interviews["job Dee"], "held", "offer")
    interviews["job Cem"] = await _job(http, owner, client_id, contact_id=ids["Cem"])
    interviews["job Tia"] = await _job(http, owner, client_id, contact_id=ids["Tia"])
    await _to(http, owner, interviews["job Tia"], "held", "rejected")
    interviews["job nobody"] = await _job(http, owner, client_id)

    other_client = (await create_client(http, owner, full_name="Other Seeker"))["id"]
    stranger = await create_contact(http, owner, other_client, full_name="Zed Elsewhere")
    elsewhere = await create_interview(http, owner, other_client, contact_id=stranger["id"])
    await hold(http, owner, elsewhere["id"])
    await _job(http, owner, other_client, contact_id=stranger["id"])
    return Forest(owner, client_id, ids, interviews)


async def _interview(http: httpx.AsyncClient, actor: Actor, interview_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/interviews/{interview_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _names(links: list[dict[str, Any]]) -> list[str]:
    return [link["full_name"] for link in links]


async def test_a_job_interview_shows_the_trail_of_introductions_that_led_to_it(
    client: httpx.AsyncClient,
) -> None:
    forest = await _forest(client)

    origin = (await _interview(client, forest.owner, forest.interviews["job Dee"]))["origin"]

    assert origin["root"]["id"] == forest.ids["Ana"]
    assert _names(origin["chain"]) == ["Ana Root", "Ben Two", "Cem Three", "Dee Four"]
    assert [link["depth"] for link in origin["chain"]] == [0, 1, 2, 3]
    # Held along the chain, oldest first; Cem's meeting was only requested.
    assert [(m["id"], m["contact_id"]) for m in origin["informational_interviews"]] == [
        (forest.interviews["info Ana"], forest.ids["Ana"]),
        (forest.interviews["info Ben"], forest.ids["Ben"]),
    ]
    assert all(m["held_at"] is not None for m in origin["informational_interviews"])


async def test_an_informational_interview_is_not_its_own_origin(
    client: httpx.AsyncClient,
) -> None:
    forest = await _forest(client)

    origin = (await _interview(client, forest.owner, forest.interviews["info Ben"]))["origin"]

    assert _names(origin["chain"]) == ["Ana Root", "Ben Two"]
    assert [m["id"] for m in origin["informational_interviews"]] == [forest.interviews["info Ana"]]


async def test_a_root_is_its_own_origin_and_an_interview_without_contact_has_none(
    client: httpx.AsyncClient,
) -> None:
    forest = await _forest(client)

    at_root = (await _interview(client, forest.owner, forest.interviews["info Ana"]))["origin"]
    nobody = await _interview(client, forest.owner, forest.interviews["job nobody"])

    assert at_root["root"]["id"] == forest.ids["Ana"]
    assert _names(at_root["chain"]) == ["Ana Root"]
    assert at_root["informational_interviews"] == []
    assert nobody["origin"] is None


async def test_the_origin_is_only_on_the_single_read(client: httpx.AsyncClient) -> None:
    forest = await _forest(client)

    listed = await client.get(
        f"/api/v1/clients/{forest.client_id}/interviews", headers=forest.owner.headers
    )

    assert listed.status_code == 200
    assert all("origin" not in item for item in listed.json()["data"])


async def test_the_client_sees_the_origin_of_their_own_interviews(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    forest = await _forest(client)
    login = await add_member(
        client, db, forest.owner.organization_id, Role.client, client_id=forest.client_id
    )

    origin = (await _interview(client, login, forest.interviews["job Dee"]))["origin"]

    assert _names(origin["chain"]) == ["Ana Root", "Ben Two", "Cem Three", "Dee Four"]


async def test_the_origin_takes_the_same_queries_for_a_short_or_long_chain(
    app: Any, client: httpx.AsyncClient
) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]
    short = await create_chain(client, owner, client_id, "A1", "A2")
    long = await create_chain(client, owner, client_id, *(f"B{i}" for i in range(8)))
    for contact in (*short, *long):
        interview = await create_interview(client, owner, client_id, contact_id=contact["id"])
        await hold(client, owner, interview["id"])
    short_job = await _job(client, owner, client_id, contact_id=short[-1]["id"])
    long_job = await _job(client, owner, client_id, contact_id=long[-1]["id"])

    with counting_statements(app) as few:
        short_origin = (await _interview(client, owner, short_job))["origin"]
    with counting_statements(app) as many:
        long_origin = (await _interview(client, owner, long_job))["origin"]

    assert len(short_origin["chain"]) == 2
    assert len(long_origin["chain"]) == 8
    assert len(long_origin["informational_interviews"]) == 8
    assert len(many) == len(few)


async def _yield(http: httpx.AsyncClient, actor: Actor, client_id: str) -> httpx.Response:
    return await http.get(f"/api/v1/clients/{client_id}/contact-tree/yield", headers=actor.headers)


async def test_each_root_shows_what_its_branch_yielded(client: httpx.AsyncClient) -> None:
    forest = await _forest(client)

    response = await _yield(client, forest.owner, forest.client_id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["client_id"] == forest.client_id
    rows = [
        (
            r["full_name"],
            r["descendants"],
            r["informational_interviews_held"],
            r["job_interviews"],
            r["offers"],
        )
        for r in body["roots"]
    ]
    # Ana: Ben, Cem, Dee below; meetings held with Ana and Ben (Cem's only requested);
    # job interviews with Dee (offer) and Cem. Sol: Tia below; Tia's meeting and her
    # rejected job interview. Rex: nothing. The contact-less job interview and the other
    # client's interviews trace back to no root here.
    assert rows == [
        ("Ana Root", 3, 2, 2, 1),
        ("Sol Root", 1, 1, 1, 0),
        ("Rex Alone", 0, 0, 0, 0),
    ]
    assert body["roots"][0]["root_id"] == forest.ids["Ana"]


async def test_the_yield_takes_one_statement_whatever_the_tree(
    app: Any, client: httpx.AsyncClient
) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]
    await create_contact(client, owner, client_id, full_name="Only Root")
    with counting_statements(app) as few:
        assert (await _yield(client, owner, client_id)).status_code == 200
    for i in range(4):
        chain = await create_chain(client, owner, client_id, f"R{i}", f"C{i}", f"D{i}")
        interview = await create_interview(client, owner, client_id, contact_id=chain[-1]["id"])
        await hold(client, owner, interview["id"])
    with counting_statements(app) as many:
        response = await _yield(client, owner, client_id)

    assert len(response.json()["roots"]) == 5
    assert len(many) == len(few)


async def test_yields_and_origins_stay_inside_the_organization(
    client: httpx.AsyncClient,
) -> None:
    forest = await _forest(client)
    stranger = await signup(client, organization_name="Elsewhere")

    foreign_yield = await _yield(client, stranger, forest.client_id)
    foreign_interview = await client.get(
        f"/api/v1/interviews/{forest.interviews['job Dee']}", headers=stranger.headers
    )

    assert foreign_yield.status_code == 404
    assert foreign_interview.status_code == 404
