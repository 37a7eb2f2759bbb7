"""Contact events: written with the change that makes them, carrying the contact as the
API returns it, and never when the change is refused."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.models import WebhookDelivery
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact
from tests.factories.identity import Actor, add_api_key, signup
from tests.factories.webhooks import create_endpoint
from tests.interviews.pipeline_factories import counting_statements, create_interview

Seen = tuple[str, dict[str, Any]]


class EventLog:
    """The organization's event log as `GET /events` shows it; `new()` answers what was
    written since the last call (events of one change share their time, so by type)."""

    def __init__(self, http: httpx.AsyncClient, actor: Actor) -> None:
        self.http = http
        self.actor = actor
        self.seen: set[str] = set()

    async def new(self) -> list[Seen]:
        response = await self.http.get(
            "/api/v1/events", params={"limit": 200}, headers=self.actor.headers
        )
        assert response.status_code == 200, response.text
        fresh = [e for e in response.json()["data"] if e["id"] not in self.seen]
        self.seen |= {e["id"] for e in fresh}
        return sorted(((e["type"], e["data"]) for e in fresh), key=lambda e: e[0])


async def test_creating_moving_editing_and_deleting_contacts_are_events(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    log = EventLog(client, owner)
    await log.new()

    ada = await create_contact(client, owner, seeker["id"], full_name="Ada Root")
    assert await log.new() == [("contact.created", ada)]

    bo = await create_contact(
        client, owner, seeker["id"], full_name="Bo Referred", referred_by_id=ada["id"]
    )
    assert await log.new() == [("contact.created", bo), ("contact.referral_added", bo)]

    edited = await client.patch(
        f"/api/v1/contacts/{bo['id']}", json={"title": "CTO"}, headers=owner.headers
    )
    assert await log.new() == [("contact.updated", edited.json())]

    cy = await create_contact(client, owner, seeker["id"], full_name="Cy Root")
    await log.new()
    moved = await client.patch(
        f"/api/v1/contacts/{bo['id']}", json={"referred_by_id": cy["id"]}, headers=owner.headers
    )
    assert moved.json()["referred_by_id"] == cy["id"]
    assert await log.new() == [
        ("contact.referral_added", moved.json()),
        ("contact.updated", moved.json()),
    ]

    made_root = await client.patch(
        f"/api/v1/contacts/{bo['id']}", json={"referred_by_id": None}, headers=owner.headers
    )
    assert await log.new() == [("contact.updated", made_root.json())]

    nothing = await client.patch(
        f"/api/v1/contacts/{bo['id']}", json={"title": "CTO"}, headers=owner.headers
    )
    assert nothing.status_code == 200
    assert await log.new() == []

    last_seen = await client.get(f"/api/v1/contacts/{bo['id']}", headers=owner.headers)
    deleted = await client.delete(f"/api/v1/contacts/{bo['id']}", headers=owner.headers)
    assert deleted.status_code == 200
    assert await log.new() == [("contact.deleted", last_seen.json())]

    by_client = await client.get(
        "/api/v1/events",
        params={"client_id": seeker["id"], "type": "contact.created"},
        headers=owner.headers,
    )
    assert {e["data"]["full_name"] for e in by_client.json()["data"]} == {
        "Ada Root",
        "Bo Referred",
        "Cy Root",
    }


async def test_a_refused_change_writes_no_event(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    root = await create_contact(client, owner, seeker["id"], email="root@example.com")
    other = await create_contact(client, owner, seeker["id"], email="other@example.com")
    log = EventLog(client, owner)
    await log.new()

    duplicate = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts",
        json={"full_name": "Again", "email": "ROOT@example.com", "referred_by_id": other["id"]},
        headers=owner.headers,
    )
    # The move under `root` runs before the duplicate email is found; both roll back.
    moved_then_refused = await client.patch(
        f"/api/v1/contacts/{other['id']}",
        json={"referred_by_id": root["id"], "email": "root@example.com"},
        headers=owner.headers,
    )
    not_a_company = await client.post(
        f"/api/v1/clients/{seeker['id']}/contacts",
        json={"full_name": "Nowhere", "company_id": root["id"]},
        headers=owner.headers,
    )

    assert (duplicate.status_code, moved_then_refused.status_code) == (409, 409)
    assert not_a_company.status_code == 422
    assert await log.new() == []
    unchanged = await client.get(f"/api/v1/contacts/{other['id']}", headers=owner.headers)
    assert (unchanged.json()["referred_by_id"], unchanged.json()["depth"]) == (None, 0)


async def test_referrals_from_an_interview_are_events_all_or_nothing(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, b = await create_chain(client, owner, seeker["id"], "A Root", "B Interviewee")
    loose = await create_contact(client, owner, seeker["id"], full_name="Loose")
    interview = await create_interview(client, owner, seeker["id"], contact_id=b["id"])
    url = f"/api/v1/interviews/{interview['id']}/referrals"
    log = EventLog(client, owner)
    await log.new()

    # Sam is created (and his events written) before A turns out to be a cycle: all of it
    # rolls back.
    refused = await client.post(
        url,
        json={"contacts": [{"full_name": "Sam Suggested"}], "existing_contact_ids": [a["id"]]},
        headers=owner.headers,
    )
    assert refused.status_code == 409
    assert await log.new() == []

    added = await client.post(
        url,
        json={"contacts": [{"full_name": "Sam Suggested"}], "existing_contact_ids": [loose["id"]]},
        headers=owner.headers,
    )
    assert added.status_code == 200, added.text
    sam_id, loose_id = (r["contact_id"] for r in added.json()["referrals"])
    sam = (await client.get(f"/api/v1/contacts/{sam_id}", headers=owner.headers)).json()
    moved = (await client.get(f"/api/v1/contacts/{loose_id}", headers=owner.headers)).json()
    assert sam["referred_in_interview_id"] == moved["referred_in_interview_id"] == interview["id"]
    assert sorted(await log.new(), key=lambda e: (e[0], e[1]["full_name"])) == [
        ("contact.created", sam),
        ("contact.referral_added", moved),
        ("contact.referral_added", sam),
        ("contact.updated", moved),
    ]

    again = await client.post(
        url, json={"existing_contact_ids": [loose["id"]]}, headers=owner.headers
    )
    assert again.json()["referrals"][0]["outcome"] == "already_referred"
    assert await log.new() == []


@pytest.mark.usefixtures("allow_private_urls")
async def test_an_import_writes_one_created_event_per_contact_in_bulk(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    statements = []
    for rows in (2, 20):
        owner = await signup(client)
        seeker = await create_client(client, owner)
        everything = await create_endpoint(client, owner, "http://127.0.0.1:9/all")
        await create_endpoint(
            client, owner, "http://127.0.0.1:9/other", event_types=["client.created"]
        )
        log = EventLog(client, owner)
        await log.new()
        content = "full_name,email\n" + "".join(
            f"Person {i},p{i}@example.com\n" for i in range(rows)
        )
        content += "Person 0 again,P0@example.com\n"  # a duplicate: skipped, no event

        with counting_statements(app) as executed:
            response = await client.post(
                f"/api/v1/clients/{seeker['id']}/contacts/import",
                files={"file": ("contacts.csv", content.encode(), "text/csv")},
                headers=owner.headers,
            )
        statements.append(len(executed))

        assert response.status_code == 200, response.text
        assert response.json()["created"] == rows
        written = await log.new()
        assert {t for t, _ in written} == {"contact.created"}
        assert sorted(d["id"] for _, d in written) == sorted(response.json()["created_ids"])
        first = await client.get(f"/api/v1/contacts/{written[0][1]['id']}", headers=owner.headers)
        assert written[0][1] == first.json()
        await bind_organization(db, owner.organization_id)
        deliveries = await db.scalar(
            select(func.count(WebhookDelivery.id)).where(
                WebhookDelivery.endpoint_id == uuid.UUID(everything["id"])
            )
        )
        all_deliveries = await db.scalar(select(func.count(WebhookDelivery.id)))
        await db.commit()
        assert deliveries == all_deliveries == rows
    # The same statements for 2 rows as for 20: nothing is written row by row.
    assert statements[0] == statements[1]


async def test_another_organization_sees_none_of_the_contact_events(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    a, _ = await create_chain(client, owner, seeker["id"], "A", "B")
    await client.patch(f"/api/v1/contacts/{a['id']}", json={"title": "X"}, headers=owner.headers)
    stranger = await signup(client, organization_name="Elsewhere")
    stranger_key = await add_api_key(db, stranger.organization_id, ["events:read"])

    for actor_headers in (stranger.headers, stranger_key.headers):
        for params in ({}, {"client_id": seeker["id"]}, {"type": "contact.created"}):
            log = await client.get("/api/v1/events", params=params, headers=actor_headers)
            assert log.status_code == 200
            assert log.json()["data"] == []
    own = await client.get("/api/v1/events", params={"limit": 200}, headers=owner.headers)
    assert {e["type"] for e in own.json()["data"]} >= {
        "contact.created",
        "contact.referral_added",
        "contact.updated",
    }
