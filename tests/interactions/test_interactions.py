import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.models import Contact, Event
from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.identity import Actor, add_api_key, add_member, signup


async def add_contact(db: AsyncSession, owner: Actor, client_id: str, **fields: Any) -> uuid.UUID:
    """A contact arranged directly in the database (independent of the contacts API)."""
    await bind_organization(db, owner.organization_id)
    contact = Contact(
        organization_id=owner.organization_id,
        client_id=uuid.UUID(client_id),
        full_name=fields.pop("full_name", "Ana Lopes"),
        **fields,
    )
    db.add(contact)
    await db.commit()
    return contact.id


async def contact_row(db: AsyncSession, owner: Actor, contact_id: uuid.UUID) -> Contact:
    await bind_organization(db, owner.organization_id)
    statement = (
        select(Contact).where(Contact.id == contact_id).execution_options(populate_existing=True)
    )
    contact = (await db.execute(statement)).scalar_one()
    await db.commit()
    return contact


async def log(
    http: httpx.AsyncClient,
    actor: Actor,
    contact_id: uuid.UUID,
    kind: str = "call",
    occurred_at: datetime | None = None,
    **fields: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"kind": kind, **fields}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at.isoformat()
    return await http.post(
        f"/api/v1/contacts/{contact_id}/interactions", json=body, headers=actor.headers
    )


async def test_logging_a_call_records_it_and_marks_the_contact_contacted(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])
    when = utc_now() - timedelta(days=2)

    response = await log(client, owner, contact_id, "call", when, summary="Talked hiring plans")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "call"
    assert body["direction"] == "outbound"
    assert body["contact_id"] == str(contact_id)
    assert body["client_id"] == seeker["id"]
    assert body["created_by_id"] == str(owner.user_id)
    assert datetime.fromisoformat(body["occurred_at"]) == when
    assert (await contact_row(db, owner, contact_id)).last_contacted_at == when


async def test_occurred_at_defaults_to_now(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])
    before = utc_now()

    response = await log(client, owner, contact_id, "email")

    assert response.status_code == 201, response.text
    occurred_at = datetime.fromisoformat(response.json()["occurred_at"])
    assert before <= occurred_at <= utc_now()


async def test_last_contacted_follows_the_latest_interaction_that_is_not_a_note(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])
    now = utc_now()

    await log(client, owner, contact_id, "note", now - timedelta(days=20))
    assert (await contact_row(db, owner, contact_id)).last_contacted_at is None

    await log(client, owner, contact_id, "email", now - timedelta(days=10))
    await log(client, owner, contact_id, "note", now - timedelta(days=1))
    assert (await contact_row(db, owner, contact_id)).last_contacted_at == now - timedelta(days=10)

    await log(client, owner, contact_id, "meeting", now - timedelta(days=3))
    assert (await contact_row(db, owner, contact_id)).last_contacted_at == now - timedelta(days=3)


async def test_a_back_dated_interaction_does_not_move_last_contacted_backwards(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])
    now = utc_now()

    await log(client, owner, contact_id, "call", now - timedelta(days=1))
    response = await log(client, owner, contact_id, "thank_you", now - timedelta(days=40))

    assert response.status_code == 201
    assert (await contact_row(db, owner, contact_id)).last_contacted_at == now - timedelta(days=1)


async def test_every_new_touch_pushes_the_next_touch_due_forward(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"], keep_in_touch_days=14)
    now = utc_now()

    dues = []
    for days_ago, kind in ((20, "email"), (9, "linkedin_message"), (0, "call")):
        response = await log(client, owner, contact_id, kind, now - timedelta(days=days_ago))
        assert response.status_code == 201, response.text
        contact = await contact_row(db, owner, contact_id)
        assert contact.next_touch_due_at is not None
        dues.append(contact.next_touch_due_at)

    assert dues == [
        now - timedelta(days=20) + timedelta(days=14),
        now - timedelta(days=9) + timedelta(days=14),
        now + timedelta(days=14),
    ]


async def test_an_interaction_in_the_future_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])

    response = await log(client, owner, contact_id, "call", utc_now() + timedelta(hours=1))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    assert (await contact_row(db, owner, contact_id)).last_contacted_at is None


async def test_a_little_clock_skew_is_tolerated(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])

    response = await log(client, owner, contact_id, "call", utc_now() + timedelta(minutes=2))

    assert response.status_code == 201, response.text


async def test_invalid_interactions_are_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])

    for body in (
        {"kind": "carrier_pigeon"},
        {"kind": "call", "summary": "x" * 5001},
        {"kind": "call", "occurred_at": "2026-11-01T10:00:00"},  # no offset: ambiguous
        {"kind": "call", "client_id": str(uuid.uuid4())},
    ):
        response = await client.post(
            f"/api/v1/contacts/{contact_id}/interactions", json=body, headers=owner.headers
        )
        assert response.status_code == 422, body


async def test_interactions_are_listed_newest_first_with_filters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    first = await add_contact(db, owner, seeker["id"], full_name="Ana Lopes")
    second = await add_contact(db, owner, seeker["id"], full_name="Bo Chen")
    now = utc_now()
    await log(client, owner, first, "email", now - timedelta(days=5), summary="a")
    await log(client, owner, second, "call", now - timedelta(days=3), summary="b")
    await log(client, owner, first, "call", now - timedelta(days=1), summary="c")

    url = f"/api/v1/clients/{seeker['id']}/interactions"
    everything = await client.get(url, headers=owner.headers)
    assert [i["summary"] for i in everything.json()["data"]] == ["c", "b", "a"]

    calls = await client.get(url, params={"kind": "call"}, headers=owner.headers)
    assert [i["summary"] for i in calls.json()["data"]] == ["c", "b"]

    window = await client.get(
        url,
        params={
            "since": (now - timedelta(days=4)).isoformat(),
            "until": (now - timedelta(days=2)).isoformat(),
        },
        headers=owner.headers,
    )
    assert [i["summary"] for i in window.json()["data"]] == ["b"]

    one_contact = await client.get(f"/api/v1/contacts/{first}/interactions", headers=owner.headers)
    assert [i["summary"] for i in one_contact.json()["data"]] == ["c", "a"]

    page = await client.get(url, params={"limit": 2}, headers=owner.headers)
    rest = await client.get(
        url, params={"limit": 2, "cursor": page.json()["next_cursor"]}, headers=owner.headers
    )
    assert [i["summary"] for i in page.json()["data"] + rest.json()["data"]] == ["c", "b", "a"]
    assert rest.json()["next_cursor"] is None


async def test_a_client_logs_interactions_with_their_own_contacts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    me = await add_member(client, db, owner.organization_id, Role.client, client_id=seeker["id"])
    contact_id = await add_contact(db, owner, seeker["id"])

    response = await log(client, me, contact_id, "linkedin_message")

    assert response.status_code == 201, response.text
    listed = await client.get(f"/api/v1/clients/{seeker['id']}/interactions", headers=me.headers)
    assert len(listed.json()["data"]) == 1


async def test_interactions_of_other_clients_do_not_exist_for_you(
    client: httpx.AsyncClient, db: AsyncSession, cast: Cast
) -> None:
    owner, coach, seeker, theirs = cast.owner, cast.coach, cast.client_login, cast.other
    hidden = await add_contact(db, owner, theirs["id"])
    await log(client, owner, hidden, "call")
    stranger = await signup(client, organization_name="Elsewhere")

    for actor in (coach, seeker, stranger):
        assert (await log(client, actor, hidden, "call")).status_code == 404
        listed = await client.get(f"/api/v1/contacts/{hidden}/interactions", headers=actor.headers)
        assert listed.status_code == 404
        by_client = await client.get(
            f"/api/v1/clients/{theirs['id']}/interactions", headers=actor.headers
        )
        assert by_client.status_code == 404
        assert by_client.headers["content-type"] == "application/problem+json"
    assert (await contact_row(db, owner, hidden)).version == 2  # only the owner's call


async def test_api_keys_need_the_contacts_scopes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])
    reader = await add_api_key(db, owner.organization_id, ["contacts:read"])
    writer = await add_api_key(db, owner.organization_id, ["contacts:read", "contacts:write"])

    assert (await log(client, reader, contact_id, "call")).status_code == 403
    created = await log(client, writer, contact_id, "call")
    assert created.status_code == 201
    assert created.json()["created_by_id"] is None
    listed = await client.get(f"/api/v1/contacts/{contact_id}/interactions", headers=reader.headers)
    assert listed.status_code == 200
    assert len(listed.json()["data"]) == 1


async def test_the_contact_warms_up_as_interactions_are_logged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])
    url = f"/api/v1/contacts/{contact_id}"
    now = utc_now()

    assert (await client.get(url, headers=owner.headers)).json()["warmth"] == "never"
    await log(client, owner, contact_id, "email", now - timedelta(days=45))
    assert (await client.get(url, headers=owner.headers)).json()["warmth"] == "cold"
    await log(client, owner, contact_id, "call", now - timedelta(days=20))
    assert (await client.get(url, headers=owner.headers)).json()["warmth"] == "cooling"
    await log(client, owner, contact_id, "note")
    assert (await client.get(url, headers=owner.headers)).json()["warmth"] == "cooling"
    await log(client, owner, contact_id, "meeting", now - timedelta(days=1))
    contact = (await client.get(url, headers=owner.headers)).json()
    assert contact["warmth"] == "warm"
    assert datetime.fromisoformat(contact["last_contacted_at"]) == now - timedelta(days=1)


async def test_logging_an_interaction_writes_the_interaction_created_event(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"])

    created = (await log(client, owner, contact_id, "call", summary="Hiring plans")).json()

    await bind_organization(db, owner.organization_id)
    events = (await db.execute(select(Event).where(Event.type == "interaction.created"))).scalars()
    [event] = list(events)
    await db.commit()
    assert event.client_id == uuid.UUID(seeker["id"])
    assert event.payload["id"] == created["id"]
    assert event.payload["summary"] == "Hiring plans"


async def test_interactions_logged_at_the_same_time_all_count(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    contact_id = await add_contact(db, owner, seeker["id"], keep_in_touch_days=14)
    now = utc_now()

    responses = await asyncio.gather(
        *(log(client, owner, contact_id, "call", now - timedelta(days=d)) for d in range(5))
    )

    assert [r.status_code for r in responses] == [201] * 5
    assert (await contact_row(db, owner, contact_id)).last_contacted_at == now
