from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup
from tests.interviews.pipeline_factories import (
    counting_statements,
    create_company,
    create_interview,
    hold,
    link_to_company,
)


async def test_a_company_lists_its_people_with_their_role_and_warmth(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="Acme", priority=1)
    boss = await create_contact(
        client, owner, seeker["id"], full_name="Bea Boss", role_at_company="hiring_manager"
    )
    peer = await create_contact(client, owner, seeker["id"], full_name="Pat Peer")
    await create_contact(client, owner, seeker["id"], full_name="Elsewhere Eli")
    await link_to_company(
        db, owner.organization_id, boss["id"], acme["id"], last_contacted_at=utc_now()
    )
    await link_to_company(
        db,
        owner.organization_id,
        peer["id"],
        acme["id"],
        last_contacted_at=utc_now() - timedelta(days=60),
    )

    response = await client.get(f"/api/v1/companies/{acme['id']}", headers=owner.headers)

    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    people = response.json()["people"]
    assert [(p["full_name"], p["role_at_company"], p["warmth"]) for p in people] == [
        ("Bea Boss", "hiring_manager", "warm"),
        ("Pat Peer", None, "cold"),
    ]


async def test_the_company_list_reads_people_in_one_query_whatever_the_page_size(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    counts = []
    for size in (2, 12):
        owner = await signup(client)
        seeker = await create_client(client, owner)
        for i in range(size):
            company = await create_company(client, owner, seeker["id"], name=f"Co {i}")
            person = await create_contact(client, owner, seeker["id"], full_name=f"P {i}")
            await link_to_company(db, owner.organization_id, person["id"], company["id"])
        with counting_statements(app) as statements:
            listed = await client.get(
                f"/api/v1/clients/{seeker['id']}/companies", headers=owner.headers
            )
        assert all(len(c["people"]) == 1 for c in listed.json()["data"])
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_holding_a_meeting_engages_the_company_of_the_person_met(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], status="targeted")
    ana = await create_contact(client, owner, seeker["id"])
    await link_to_company(db, owner.organization_id, ana["id"], acme["id"])
    interview = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])

    await hold(client, owner, interview["id"])

    company = await client.get(f"/api/v1/companies/{acme['id']}", headers=owner.headers)
    assert company.json()["status"] == "engaged"


async def test_a_held_meeting_never_moves_a_company_backwards(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], status="interviewing")
    ana = await create_contact(client, owner, seeker["id"])
    interview = await create_interview(
        client, owner, seeker["id"], contact_id=ana["id"], company_id=acme["id"]
    )

    await hold(client, owner, interview["id"])

    company = await client.get(f"/api/v1/companies/{acme['id']}", headers=owner.headers)
    assert company.json()["status"] == "interviewing"


async def test_companies_filter_by_status_and_sort_by_priority(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    await create_company(client, owner, seeker["id"], name="Later", priority=4)
    await create_company(client, owner, seeker["id"], name="First", priority=1)
    await create_company(client, owner, seeker["id"], name="Done", status="closed")
    url = f"/api/v1/clients/{seeker['id']}/companies"

    by_priority = await client.get(url, params={"sort": "priority"}, headers=owner.headers)
    closed = await client.get(url, params={"status": "closed"}, headers=owner.headers)

    assert [c["name"] for c in by_priority.json()["data"]] == ["First", "Done", "Later"]
    assert [c["name"] for c in closed.json()["data"]] == ["Done"]


async def test_priority_outside_one_to_five_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/companies",
        json={"name": "Acme", "priority": 6},
        headers=owner.headers,
    )
    assert response.status_code == 422


async def test_a_stale_if_match_on_a_company_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"])
    url = f"/api/v1/companies/{acme['id']}"
    first = await client.patch(
        url, json={"has_openings": True}, headers={**owner.headers, "If-Match": '"1"'}
    )
    stale = await client.patch(
        url, json={"status": "applied"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200
    assert stale.status_code == 412


async def test_deleting_a_company_keeps_its_people_unlinked(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"])
    ana = await create_contact(client, owner, seeker["id"])
    await link_to_company(db, owner.organization_id, ana["id"], acme["id"])

    deleted = await client.delete(f"/api/v1/companies/{acme['id']}", headers=owner.headers)

    assert deleted.status_code == 204
    contact = await client.get(f"/api/v1/contacts/{ana['id']}", headers=owner.headers)
    assert contact.status_code == 200


async def test_companies_of_other_clients_do_not_exist_for_coaches_and_clients(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach, seeker = cast.owner, cast.coach, cast.client_login
    mine, theirs = cast.seeker, cast.other
    hidden = await create_company(client, owner, theirs["id"])
    outsider = await signup(client)

    for actor in (coach, seeker, outsider):
        one = await client.get(f"/api/v1/companies/{hidden['id']}", headers=actor.headers)
        listed = await client.get(
            f"/api/v1/clients/{theirs['id']}/companies", headers=actor.headers
        )
        assert (one.status_code, listed.status_code) == (404, 404)
    own = await create_company(client, seeker, mine["id"], name="My pick")
    assert own["client_id"] == mine["id"]
