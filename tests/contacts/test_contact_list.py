import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import set_clock, utc_now
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact, set_contact_columns
from tests.factories.identity import Actor, signup
from tests.interviews.pipeline_factories import create_company


async def names(http: httpx.AsyncClient, actor: Actor, client_id: str, **params: Any) -> list[str]:
    response = await http.get(
        f"/api/v1/clients/{client_id}/contacts", params=params, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return [c["full_name"] for c in response.json()["data"]]


async def test_filters_by_warmth_from_the_last_contact(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    now = utc_now()
    # cold_after_days defaults to 30: warm within 15 days, cooling within 30.
    for name, days_ago in [("Warm", 3), ("Cooling", 20), ("Cold", 45), ("Never", None)]:
        contact = await create_contact(client, owner, seeker["id"], full_name=name)
        if days_ago is not None:
            await set_contact_columns(
                db,
                owner.organization_id,
                contact["id"],
                last_contacted_at=now - timedelta(days=days_ago),
            )
    for warmth in ("warm", "cooling", "cold", "never"):
        assert await names(client, owner, seeker["id"], warmth=warmth) == [warmth.title()]
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    assert {c["full_name"]: c["warmth"] for c in listed.json()["data"]} == {
        "Warm": "warm",
        "Cooling": "cooling",
        "Cold": "cold",
        "Never": "never",
    }


async def test_filters_by_relationship_source_tag_company_and_text(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    await create_contact(
        client,
        owner,
        cid,
        full_name="Ada Work",
        relationship="work",
        source="linkedin",
        tags=["fintech", "mentor"],
        company_name="Acme 100% Data",
        title="Head of Platform",
    )
    await create_contact(
        client,
        owner,
        cid,
        full_name="Bo Family",
        relationship="family",
        tags=["fintechs"],
        company_name="Globex",
        title="Nurse",
    )
    assert await names(client, owner, cid, relationship="work") == ["Ada Work"]
    assert await names(client, owner, cid, source="personal_network") == ["Bo Family"]
    assert await names(client, owner, cid, tag="fintech") == ["Ada Work"]
    assert await names(client, owner, cid, tag="mentor") == ["Ada Work"]
    assert await names(client, owner, cid, tag="nobody") == []
    assert await names(client, owner, cid, company="acme") == ["Ada Work"]
    assert await names(client, owner, cid, company="100%") == ["Ada Work"]
    assert await names(client, owner, cid, company="%") == ["Ada Work"]  # literal, not a wildcard
    assert await names(client, owner, cid, q="PLATFORM") == ["Ada Work"]
    assert await names(client, owner, cid, q="globex") == ["Bo Family"]
    assert await names(client, owner, cid, q="family") == ["Bo Family"]
    invalid = await client.get(
        f"/api/v1/clients/{cid}/contacts", params={"relationship": "enemy"}, headers=owner.headers
    )
    assert invalid.status_code == 422


async def test_filters_by_linked_company_and_company_name(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    acme = await create_company(client, owner, cid, name="Acme")
    globex = await create_company(client, owner, cid, name="Globex")
    await create_contact(client, owner, cid, full_name="Ada Linked", company_id=acme["id"])
    await create_contact(client, owner, cid, full_name="Bo Linked", company_id=globex["id"])
    await create_contact(client, owner, cid, full_name="Cy Named", company_name="Acme Labs")
    await create_contact(client, owner, cid, full_name="Di Nowhere")

    assert await names(client, owner, cid, company_id=acme["id"]) == ["Ada Linked"]
    assert await names(client, owner, cid, company_id=globex["id"]) == ["Bo Linked"]
    # By name: the free-text company name or the linked company's name.
    assert await names(client, owner, cid, company="acme", sort="name") == [
        "Ada Linked",
        "Cy Named",
    ]
    assert await names(client, owner, cid, company="acme", company_id=acme["id"]) == ["Ada Linked"]
    assert await names(client, owner, cid, company="acme", company_id=globex["id"]) == []
    assert await names(client, owner, cid, q="GLOBEX") == ["Bo Linked"]
    assert await names(client, owner, cid, company_id=str(uuid.uuid4())) == []
    invalid = await client.get(
        f"/api/v1/clients/{cid}/contacts", params={"company_id": "acme"}, headers=owner.headers
    )
    assert invalid.status_code == 422


async def test_filters_roots_and_the_people_one_contact_introduced(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    a, b, _ = await create_chain(client, owner, cid, "A", "B", "C")
    await create_contact(client, owner, cid, full_name="B2", referred_by_id=a["id"])
    assert await names(client, owner, cid, root="true", sort="name") == ["A"]
    assert await names(client, owner, cid, root="false", sort="name") == ["B", "B2", "C"]
    assert await names(client, owner, cid, parent_id=a["id"], sort="name") == ["B", "B2"]
    assert await names(client, owner, cid, parent_id=b["id"]) == ["C"]


async def test_due_lists_whom_to_re_contact_most_overdue_first(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    now = utc_now()
    for name, due_in_days in [("Soon", 5), ("Late", -2), ("Very late", -20), ("No cadence", None)]:
        contact = await create_contact(client, owner, cid, full_name=name)
        if due_in_days is not None:
            await set_contact_columns(
                db,
                owner.organization_id,
                contact["id"],
                next_touch_due_at=now + timedelta(days=due_in_days),
            )
    assert await names(client, owner, cid, due="true") == ["Very late", "Late"]
    assert sorted(await names(client, owner, cid, due="false")) == ["No cadence", "Soon"]


async def test_a_contact_added_long_ago_with_a_cadence_comes_due(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    set_clock(lambda: datetime.now(UTC) - timedelta(days=40))
    try:
        await create_contact(client, owner, seeker["id"], full_name="Old", keep_in_touch_days=30)
    finally:
        set_clock(None)
    await create_contact(client, owner, seeker["id"], full_name="New", keep_in_touch_days=30)
    assert await names(client, owner, seeker["id"], due="true") == ["Old"]


async def test_sorts_by_name_last_contact_and_creation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    now = utc_now()
    for name, days_ago in [("carla", 10), ("Ada", None), ("Bo", 2)]:
        contact = await create_contact(client, owner, cid, full_name=name)
        if days_ago is not None:
            await set_contact_columns(
                db,
                owner.organization_id,
                contact["id"],
                last_contacted_at=now - timedelta(days=days_ago),
            )
    assert await names(client, owner, cid, sort="name") == ["Ada", "Bo", "carla"]
    assert await names(client, owner, cid, sort="-name") == ["carla", "Bo", "Ada"]
    # Never contacted counts as longest ago.
    assert await names(client, owner, cid, sort="last_contacted_at") == ["Ada", "carla", "Bo"]
    assert await names(client, owner, cid, sort="-last_contacted_at") == ["Bo", "carla", "Ada"]
    assert await names(client, owner, cid) == ["carla", "Ada", "Bo"]
    assert await names(client, owner, cid, sort="created_at") == ["carla", "Ada", "Bo"]
    assert await names(client, owner, cid, sort="-created_at") == ["Bo", "Ada", "carla"]


async def test_pages_through_every_contact_once_in_each_sort(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    now = utc_now()
    created = []
    for i in range(7):
        contact = await create_contact(client, owner, cid, full_name=f"Person {i % 3}")
        created.append(contact["id"])
        if i % 2:  # half never contacted, some sharing a timestamp
            await set_contact_columns(
                db,
                owner.organization_id,
                contact["id"],
                last_contacted_at=now - timedelta(days=i % 3),
            )
    for sort in ("name", "-name", "last_contacted_at", "-last_contacted_at", "-created_at"):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = await client.get(
                f"/api/v1/clients/{cid}/contacts", params=params, headers=owner.headers
            )
            assert page.status_code == 200, page.text
            body = page.json()
            seen += [c["id"] for c in body["data"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(created), sort
        everything = await client.get(
            f"/api/v1/clients/{cid}/contacts", params={"sort": sort}, headers=owner.headers
        )
        assert seen == [c["id"] for c in everything.json()["data"]], sort
    bad = await client.get(
        f"/api/v1/clients/{cid}/contacts", params={"cursor": "nonsense"}, headers=owner.headers
    )
    assert bad.status_code == 422


async def test_a_cursor_from_another_sort_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    for i in range(3):
        await create_contact(client, owner, seeker["id"], full_name=f"P{i}")
    url = f"/api/v1/clients/{seeker['id']}/contacts"
    for made_with, used_with in [("-created_at", "name"), ("name", "last_contacted_at")]:
        first = await client.get(url, params={"limit": 1, "sort": made_with}, headers=owner.headers)
        cursor = first.json()["next_cursor"]
        reused = await client.get(
            url, params={"limit": 1, "sort": used_with, "cursor": cursor}, headers=owner.headers
        )
        assert reused.status_code == 422
        assert reused.json()["parameter"] == "cursor"


async def test_an_empty_network_is_an_empty_page_and_a_client_not_assigned_is_not_found(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach, empty, other = cast.owner, cast.coach, cast.seeker, cast.other
    await create_contact(client, owner, other["id"], full_name="Hidden Person")

    listed = await client.get(f"/api/v1/clients/{empty['id']}/contacts", headers=coach.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"data": [], "next_cursor": None}
    # Not assigned: 404 whether or not the filters match anything, as for an unknown id.
    for client_id in (other["id"], str(uuid.uuid4())):
        for params in ({}, {"q": "Hidden"}, {"q": "nobody at all"}):
            hidden = await client.get(
                f"/api/v1/clients/{client_id}/contacts", params=params, headers=coach.headers
            )
            assert hidden.status_code == 404, hidden.text


async def test_a_listed_contact_reads_exactly_as_the_contact_itself(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    company = await create_company(client, owner, seeker["id"])
    root = await create_contact(client, owner, seeker["id"], full_name="Ada Root")
    await create_contact(
        client,
        owner,
        seeker["id"],
        full_name="Ben Branch",
        referred_by_id=root["id"],
        company_id=company["id"],
        tags=["alumni", "fintech"],
        keep_in_touch_days=30,
        email="ben@example.com",
    )
    await set_contact_columns(
        db, owner.organization_id, root["id"], last_contacted_at=utc_now() - timedelta(days=20)
    )
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/contacts", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["data"]
    assert len(rows) == 2
    for row in rows:
        alone = await client.get(f"/api/v1/contacts/{row['id']}", headers=owner.headers)
        assert alone.status_code == 200, alone.text
        assert row == alone.json()
