import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.models import Organization
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import (
    create_chain,
    create_contact,
    set_contact_columns,
    stored_contacts,
)
from tests.factories.identity import add_api_key, signup
from tests.interviews.pipeline_factories import create_company, create_interview


def api(path: str) -> str:
    return f"/api/v1{path}"


async def test_owner_adds_and_reads_a_contact(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    created = await create_contact(
        client,
        owner,
        seeker["id"],
        full_name="Ada Lovelace",
        email="Ada@Example.com",
        linkedin_url="https://www.linkedin.com/in/ada-lovelace/",
        company_name="Analytical Engines",
        title="Head of Data",
        relationship="work",
        role_at_company="hiring_manager",
        strength=4,
        tags=["fintech", "fintech", "mentor"],
        notes="Met at a meetup",
    )
    assert created["depth"] == 0
    assert created["referred_by_id"] is None
    assert created["warmth"] == "never"
    assert created["last_contacted_at"] is None
    assert created["source"] == "personal_network"
    assert created["tags"] == ["fintech", "mentor"]

    response = await client.get(api(f"/contacts/{created['id']}"), headers=owner.headers)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == created


async def test_a_referral_sits_one_level_below_its_referrer(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b, c = await create_chain(client, owner, seeker["id"], "A", "B", "C")
    assert [a["depth"], b["depth"], c["depth"]] == [0, 1, 2]
    assert c["referred_by_id"] == b["id"]
    assert b["source"] == "referral"


async def test_coach_manages_contacts_of_assigned_clients_only(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach, mine, other = cast.owner, cast.coach, cast.seeker, cast.other
    hidden = await create_contact(client, owner, other["id"])

    created = await create_contact(client, coach, mine["id"], full_name="Bo")
    listed = await client.get(api(f"/clients/{mine['id']}/contacts"), headers=coach.headers)
    assert [c["id"] for c in listed.json()["data"]] == [created["id"]]
    patched = await client.patch(
        api(f"/contacts/{created['id']}"), json={"title": "CTO"}, headers=coach.headers
    )
    assert patched.status_code == 200
    assert patched.json()["title"] == "CTO"

    for method, path in [
        ("GET", f"/clients/{other['id']}/contacts"),
        ("GET", f"/clients/{other['id']}/contact-tree"),
        ("GET", f"/contacts/{hidden['id']}"),
        ("GET", f"/contacts/{hidden['id']}/chain"),
        ("PATCH", f"/contacts/{hidden['id']}"),
        ("DELETE", f"/contacts/{hidden['id']}"),
    ]:
        body = {"title": "x"} if method == "PATCH" else None
        response = await client.request(method, api(path), json=body, headers=coach.headers)
        assert response.status_code == 404, (method, path)
    refused = await client.post(
        api(f"/clients/{other['id']}/contacts"), json={"full_name": "X"}, headers=coach.headers
    )
    assert refused.status_code == 404
    deleted = await client.delete(api(f"/contacts/{created['id']}"), headers=coach.headers)
    assert deleted.status_code == 200


async def test_a_client_manages_their_own_contacts_and_sees_no_one_elses(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, seeker, me, other = cast.owner, cast.client_login, cast.seeker, cast.other
    elsewhere = await create_contact(client, owner, other["id"])

    mine = await create_contact(client, seeker, me["id"], full_name="My Friend")
    assert (
        await client.get(api(f"/contacts/{mine['id']}"), headers=seeker.headers)
    ).status_code == 200
    patched = await client.patch(
        api(f"/contacts/{mine['id']}"), json={"strength": 5}, headers=seeker.headers
    )
    assert patched.json()["strength"] == 5
    listed = await client.get(api(f"/clients/{other['id']}/contacts"), headers=seeker.headers)
    assert listed.status_code == 404
    for path in (f"/contacts/{elsewhere['id']}", f"/contacts/{elsewhere['id']}/chain"):
        assert (await client.get(api(path), headers=seeker.headers)).status_code == 404
    # Referring to another client's contact reads as "no such contact here".
    sneaky = await client.post(
        api(f"/clients/{me['id']}/contacts"),
        json={"full_name": "X", "referred_by_id": elsewhere["id"]},
        headers=seeker.headers,
    )
    assert sneaky.status_code == 422
    deleted = await client.delete(api(f"/contacts/{mine['id']}"), headers=seeker.headers)
    assert deleted.json() == {"id": mine["id"], "moved_children": 0}


async def test_api_keys_need_the_contacts_scopes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    reader = await add_api_key(db, owner.organization_id, ["contacts:read"])
    clients_only = await add_api_key(db, owner.organization_id, ["clients:read"])
    await create_contact(client, owner, seeker["id"])

    url = api(f"/clients/{seeker['id']}/contacts")
    assert (await client.get(url, headers=reader.headers)).status_code == 200
    assert (await client.get(url, headers=clients_only.headers)).status_code == 403
    refused = await client.post(url, json={"full_name": "X"}, headers=reader.headers)
    assert refused.status_code == 403


async def test_referrer_must_be_a_contact_of_the_same_client(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    first = await create_client(client, owner)
    second = await create_client(client, owner)
    theirs = await create_contact(client, owner, second["id"])
    mine = await create_contact(client, owner, first["id"])

    for referred_by_id in (theirs["id"], str(uuid.uuid4())):
        created = await client.post(
            api(f"/clients/{first['id']}/contacts"),
            json={"full_name": "X", "referred_by_id": referred_by_id},
            headers=owner.headers,
        )
        assert created.status_code == 422
        assert created.headers["content-type"] == "application/problem+json"
        assert created.json()["errors"][0]["loc"] == ["body", "referred_by_id"]
        moved = await client.patch(
            api(f"/contacts/{mine['id']}"),
            json={"referred_by_id": referred_by_id},
            headers=owner.headers,
        )
        assert moved.status_code == 422


async def test_a_contact_cannot_refer_itself(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ada = await create_contact(client, owner, seeker["id"])
    response = await client.patch(
        api(f"/contacts/{ada['id']}"), json={"referred_by_id": ada["id"]}, headers=owner.headers
    )
    assert response.status_code == 422
    assert "itself" in response.json()["detail"]


async def test_reparenting_under_its_own_descendant_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, _, c = await create_chain(client, owner, seeker["id"], "A", "B", "C")
    response = await client.patch(
        api(f"/contacts/{a['id']}"), json={"referred_by_id": c["id"]}, headers=owner.headers
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/conflict")
    unchanged = await client.get(api(f"/contacts/{a['id']}"), headers=owner.headers)
    assert unchanged.json()["referred_by_id"] is None


async def test_reparenting_moves_the_whole_branch_and_its_depths(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, _, c, d = await create_chain(client, owner, seeker["id"], "A", "B", "C", "D")
    (x,) = await create_chain(client, owner, seeker["id"], "X")

    async def move(contact: dict[str, Any], referred_by_id: str | None) -> dict[str, Any]:
        response = await client.patch(
            api(f"/contacts/{contact['id']}"),
            json={"referred_by_id": referred_by_id},
            headers=owner.headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    # C (with D under it) moves under the root X: C 1, D 2.
    assert (await move(c, x["id"]))["depth"] == 1
    stored = await stored_contacts(db, owner.organization_id, seeker["id"])
    assert stored[uuid.UUID(d["id"])].depth == 2
    assert stored[uuid.UUID(d["id"])].version == 2  # its ETag changes with its depth

    # C becomes a root (C 0, D 1); then A, with B, goes under D (A 2, B 3).
    assert (await move(c, None))["depth"] == 0
    assert (await move(a, d["id"]))["depth"] == 2
    stored = await stored_contacts(db, owner.organization_id, seeker["id"])
    depths = {contact.full_name: contact.depth for contact in stored.values()}
    assert depths == {"X": 0, "C": 0, "D": 1, "A": 2, "B": 3}
    assert all(
        c.depth == (stored[c.referred_by_id].depth + 1 if c.referred_by_id else 0)
        for c in stored.values()
    )


async def test_deleting_a_contact_moves_its_referrals_up_to_its_referrer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b, _, d = await create_chain(client, owner, seeker["id"], "A", "B", "C", "D")
    sibling = await create_contact(
        client, owner, seeker["id"], full_name="C2", referred_by_id=b["id"]
    )

    response = await client.delete(api(f"/contacts/{b['id']}"), headers=owner.headers)
    assert response.status_code == 200
    assert response.json() == {"id": b["id"], "moved_children": 2}

    stored = await stored_contacts(db, owner.organization_id, seeker["id"])
    assert uuid.UUID(b["id"]) not in stored
    by_name = {contact.full_name: contact for contact in stored.values()}
    assert by_name["C"].referred_by_id == uuid.UUID(a["id"])
    assert by_name["C2"].referred_by_id == uuid.UUID(a["id"])
    assert {n: by_name[n].depth for n in ("A", "C", "C2", "D")} == {"A": 0, "C": 1, "C2": 1, "D": 2}
    chain = await client.get(api(f"/contacts/{d['id']}/chain"), headers=owner.headers)
    assert [link["full_name"] for link in chain.json()["contacts"]] == ["A", "C", "D"]
    assert sibling["id"] in {str(i) for i in stored}


async def test_deleting_a_root_makes_its_referrals_roots(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b, c = await create_chain(client, owner, seeker["id"], "A", "B", "C")
    response = await client.delete(api(f"/contacts/{a['id']}"), headers=owner.headers)
    assert response.json()["moved_children"] == 1
    stored = await stored_contacts(db, owner.organization_id, seeker["id"])
    assert stored[uuid.UUID(b["id"])].referred_by_id is None
    assert (stored[uuid.UUID(b["id"])].depth, stored[uuid.UUID(c["id"])].depth) == (0, 1)
    assert (await client.get(api(f"/contacts/{a['id']}"), headers=owner.headers)).status_code == 404


async def test_duplicate_email_or_linkedin_is_refused_naming_the_existing_contact(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    ada = await create_contact(
        client,
        owner,
        seeker["id"],
        email="ada@example.com",
        linkedin_url="https://www.linkedin.com/in/ada-l",
    )
    url = api(f"/clients/{seeker['id']}/contacts")

    same_email = await client.post(
        url, json={"full_name": "Ada 2", "email": " ADA@example.COM "}, headers=owner.headers
    )
    assert same_email.status_code == 409
    assert same_email.json()["existing_contact_id"] == ada["id"]
    assert same_email.json()["field"] == "email"
    assert ada["id"] in same_email.json()["detail"]

    same_profile = await client.post(
        url,
        json={"full_name": "Ada 3", "linkedin_url": "linkedin.com/in/ADA-L/?trk=public"},
        headers=owner.headers,
    )
    assert same_profile.status_code == 409
    assert same_profile.json()["existing_contact_id"] == ada["id"]
    assert same_profile.json()["field"] == "linkedin_url"

    # Another client may know the same person.
    await create_contact(client, owner, other["id"], email="ada@example.com")

    bo = await create_contact(client, owner, seeker["id"], full_name="Bo", email="bo@example.com")
    clash = await client.patch(
        api(f"/contacts/{bo['id']}"), json={"email": "Ada@example.com"}, headers=owner.headers
    )
    assert clash.status_code == 409
    assert clash.json()["existing_contact_id"] == ada["id"]
    # Re-sending one's own email is not a duplicate.
    same = await client.patch(
        api(f"/contacts/{ada['id']}"), json={"email": "ADA@example.com"}, headers=owner.headers
    )
    assert same.status_code == 200


async def test_required_fields_cannot_be_cleared_and_unknown_fields_are_refused(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ada = await create_contact(client, owner, seeker["id"])
    for body in ({"full_name": None}, {"relationship": None}, {"tags": None}, {"depth": 3}):
        response = await client.patch(
            api(f"/contacts/{ada['id']}"), json=body, headers=owner.headers
        )
        assert response.status_code == 422, body
    bad: list[dict[str, Any]] = [
        {"full_name": "X", "strength": 6},
        {"full_name": "X", "email": "not-an-email"},
        {"full_name": "X", "next_follow_up_at": "2030-01-01T10:00:00"},  # no offset
        {"full_name": "X", "client_id": str(uuid.uuid4())},
    ]
    for body in bad:
        response = await client.post(
            api(f"/clients/{seeker['id']}/contacts"), json=body, headers=owner.headers
        )
        assert response.status_code == 422, body


async def test_a_stale_if_match_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ada = await create_contact(client, owner, seeker["id"])
    url = api(f"/contacts/{ada['id']}")
    first = await client.patch(
        url, json={"title": "v2"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert first.headers["etag"] == '"2"'
    stale = await client.patch(
        url, json={"title": "v3"}, headers={**owner.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412


async def test_keep_in_touch_cadence_follows_the_contact_and_the_organization_defaults(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    await bind_organization(db, owner.organization_id)
    organization = await db.get(Organization, owner.organization_id)
    assert organization is not None
    organization.keep_in_touch_defaults = {"family": 90}
    await db.commit()

    ada = await create_contact(client, owner, seeker["id"], keep_in_touch_days=14)
    created_at = datetime.fromisoformat(ada["created_at"])
    assert datetime.fromisoformat(ada["next_touch_due_at"]) == created_at + timedelta(days=14)

    bo = await create_contact(client, owner, seeker["id"], relationship="work")
    assert bo["next_touch_due_at"] is None
    family = await client.patch(
        api(f"/contacts/{bo['id']}"), json={"relationship": "family"}, headers=owner.headers
    )
    due = datetime.fromisoformat(family.json()["next_touch_due_at"])
    assert due == datetime.fromisoformat(bo["created_at"]) + timedelta(days=90)
    cleared = await client.patch(
        api(f"/contacts/{ada['id']}"), json={"keep_in_touch_days": None}, headers=owner.headers
    )
    assert cleared.json()["next_touch_due_at"] is None


async def test_referral_chains_are_bounded(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    deep = await create_contact(client, owner, seeker["id"], full_name="Deep")
    await set_contact_columns(db, owner.organization_id, deep["id"], depth=50)
    response = await client.post(
        api(f"/clients/{seeker['id']}/contacts"),
        json={"full_name": "Too deep", "referred_by_id": deep["id"]},
        headers=owner.headers,
    )
    assert response.status_code == 422
    assert "50" in response.json()["detail"]


async def test_a_contact_links_to_a_company_and_the_company_lists_them(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="Acme")
    bea = await create_contact(
        client,
        owner,
        seeker["id"],
        full_name="Bea Boss",
        role_at_company="hiring_manager",
        company_id=acme["id"],
    )
    assert (bea["company_id"], bea["referred_in_interview_id"]) == (acme["id"], None)
    pat = await create_contact(client, owner, seeker["id"], full_name="Pat Peer")
    linked = await client.patch(
        api(f"/contacts/{pat['id']}"),
        json={"company_id": acme["id"], "role_at_company": "peer"},
        headers=owner.headers,
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["company_id"] == acme["id"]
    called = await client.post(
        api(f"/contacts/{bea['id']}/interactions"), json={"kind": "call"}, headers=owner.headers
    )
    assert called.status_code == 201, called.text

    company = await client.get(api(f"/companies/{acme['id']}"), headers=owner.headers)

    assert [
        (p["contact_id"], p["role_at_company"], p["warmth"]) for p in company.json()["people"]
    ] == [(bea["id"], "hiring_manager", "warm"), (pat["id"], "peer", "never")]

    unlinked = await client.patch(
        api(f"/contacts/{pat['id']}"), json={"company_id": None}, headers=owner.headers
    )
    assert unlinked.status_code == 200
    assert unlinked.json()["company_id"] is None
    company = await client.get(api(f"/companies/{acme['id']}"), headers=owner.headers)
    assert [p["full_name"] for p in company.json()["people"]] == ["Bea Boss"]


async def test_a_contact_links_only_to_a_company_of_its_own_client(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other_seeker = await create_client(client, owner, full_name="Other Seeker")
    acme = await create_company(client, owner, seeker["id"], name="Acme")
    others = await create_company(client, owner, other_seeker["id"], name="Not Yours")
    stranger = await signup(client, organization_name="Elsewhere")
    stranger_seeker = await create_client(client, stranger)
    foreign = await create_company(client, stranger, stranger_seeker["id"], name="Foreign")
    ana = await create_contact(client, owner, seeker["id"], company_id=acme["id"])

    for company_id in (others["id"], foreign["id"], str(uuid.uuid4())):
        created = await client.post(
            api(f"/clients/{seeker['id']}/contacts"),
            json={"full_name": "Refused", "company_id": company_id},
            headers=owner.headers,
        )
        moved = await client.patch(
            api(f"/contacts/{ana['id']}"), json={"company_id": company_id}, headers=owner.headers
        )
        for refused in (created, moved):
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["errors"][0]["loc"] == ["body", "company_id"]

    kept = await client.get(api(f"/contacts/{ana['id']}"), headers=owner.headers)
    assert kept.json()["company_id"] == acme["id"]
    assert kept.headers["etag"] == '"1"'
    listed = await client.get(api(f"/clients/{seeker['id']}/contacts"), headers=owner.headers)
    assert [c["id"] for c in listed.json()["data"]] == [ana["id"]]


async def test_deleting_a_company_unlinks_its_people(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"])
    ana = await create_contact(client, owner, seeker["id"], company_id=acme["id"])

    deleted = await client.delete(api(f"/companies/{acme['id']}"), headers=owner.headers)

    assert deleted.status_code in (200, 204), deleted.text
    kept = await client.get(api(f"/contacts/{ana['id']}"), headers=owner.headers)
    assert kept.status_code == 200
    assert kept.json()["company_id"] is None


async def test_the_interview_a_referral_came_from_is_shown_and_read_only(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ivy = await create_contact(client, owner, seeker["id"], full_name="Ivy Interviewee")
    interview = await create_interview(client, owner, seeker["id"], contact_id=ivy["id"])
    referred = await client.post(
        api(f"/interviews/{interview['id']}/referrals"),
        json={"contacts": [{"full_name": "Sam Suggested"}]},
        headers=owner.headers,
    )
    sam_id = referred.json()["referrals"][0]["contact_id"]

    sam = await client.get(api(f"/contacts/{sam_id}"), headers=owner.headers)

    assert sam.json()["referred_in_interview_id"] == interview["id"]
    assert sam.json()["referred_by_id"] == ivy["id"]
    for method, path in (
        ("POST", f"/clients/{seeker['id']}/contacts"),
        ("PATCH", f"/contacts/{ivy['id']}"),
    ):
        refused = await client.request(
            method,
            api(path),
            json={"full_name": "X", "referred_in_interview_id": interview["id"]},
            headers=owner.headers,
        )
        assert refused.status_code == 422
