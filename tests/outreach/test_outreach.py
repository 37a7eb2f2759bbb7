from datetime import timedelta

import httpx

from app.core.time import utc_now
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import signup
from tests.interviews.pipeline_factories import create_company, create_outreach


async def interactions_of(
    http: httpx.AsyncClient, headers: dict[str, str], contact_id: str
) -> list[tuple[str, str]]:
    response = await http.get(f"/api/v1/contacts/{contact_id}/interactions", headers=headers)
    assert response.status_code == 200, response.text
    return [(i["kind"], i["direction"]) for i in response.json()["data"]]


async def test_a_draft_is_not_a_touch_until_it_is_sent(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    draft = await create_outreach(client, owner, seeker["id"], ana["id"], subject="20 minutes?")
    assert (draft["status"], draft["sent_at"]) == ("draft", None)
    read = await client.get(f"/api/v1/outreach/{draft['id']}", headers=owner.headers)
    assert read.status_code == 200
    assert await interactions_of(client, owner.headers, ana["id"]) == []

    sent = await client.patch(
        f"/api/v1/outreach/{draft['id']}", json={"status": "sent"}, headers=owner.headers
    )

    assert sent.status_code == 200
    assert sent.json()["sent_at"] is not None
    assert await interactions_of(client, owner.headers, ana["id"]) == [("email", "outbound")]
    contact = (await client.get(f"/api/v1/contacts/{ana['id']}", headers=owner.headers)).json()
    assert contact["last_contacted_at"] == sent.json()["sent_at"]
    assert contact["warmth"] == "warm"


async def test_a_response_logs_an_inbound_touch_of_the_channels_kind(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    sent_at = utc_now() - timedelta(days=3)
    outreach = await create_outreach(
        client,
        owner,
        seeker["id"],
        ana["id"],
        channel="phone",
        status="sent",
        status_at=sent_at.isoformat(),
    )

    answered = await client.patch(
        f"/api/v1/outreach/{outreach['id']}", json={"status": "responded"}, headers=owner.headers
    )

    assert answered.status_code == 200
    assert answered.json()["responded_at"] is not None
    assert await interactions_of(client, owner.headers, ana["id"]) == [
        ("call", "inbound"),
        ("call", "outbound"),
    ]


async def test_a_response_before_sending_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    draft = await create_outreach(client, owner, seeker["id"], ana["id"])

    response = await client.patch(
        f"/api/v1/outreach/{draft['id']}", json={"status": "responded"}, headers=owner.headers
    )

    assert response.status_code == 409
    assert response.json()["allowed"] == ["sent"]
    assert await interactions_of(client, owner.headers, ana["id"]) == []


async def test_a_response_cannot_predate_the_sending(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    outreach = await create_outreach(client, owner, seeker["id"], ana["id"], status="sent")

    response = await client.patch(
        f"/api/v1/outreach/{outreach['id']}",
        json={"status": "declined", "status_at": (utc_now() - timedelta(days=1)).isoformat()},
        headers=owner.headers,
    )

    assert response.status_code == 422


async def test_a_late_answer_after_no_response_still_counts(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    outreach = await create_outreach(
        client, owner, seeker["id"], ana["id"], channel="linkedin", status="sent"
    )
    url = f"/api/v1/outreach/{outreach['id']}"
    silent = await client.patch(url, json={"status": "no_response"}, headers=owner.headers)
    late = await client.patch(url, json={"status": "responded"}, headers=owner.headers)
    again = await client.patch(url, json={"status": "sent"}, headers=owner.headers)

    assert (silent.status_code, late.status_code) == (200, 200)
    assert again.status_code == 409
    assert again.json()["allowed"] == []


async def test_sending_in_the_future_is_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    response = await client.post(
        f"/api/v1/clients/{seeker['id']}/outreach",
        json={
            "contact_id": ana["id"],
            "channel": "email",
            "purpose": "referral_request",
            "status": "sent",
            "status_at": (utc_now() + timedelta(days=1)).isoformat(),
        },
        headers=owner.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "status_at"]


async def test_outreach_links_only_to_the_same_clients_contact_and_company(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    other = await create_client(client, owner)
    mine = await create_contact(client, owner, seeker["id"])
    theirs = await create_contact(client, owner, other["id"])
    their_company = await create_company(client, owner, other["id"])
    url = f"/api/v1/clients/{seeker['id']}/outreach"
    base = {"channel": "email", "purpose": "informational_interview"}

    wrong_contact = await client.post(
        url, json={**base, "contact_id": theirs["id"]}, headers=owner.headers
    )
    wrong_company = await client.post(
        url,
        json={**base, "contact_id": mine["id"], "company_id": their_company["id"]},
        headers=owner.headers,
    )

    assert wrong_contact.status_code == 422
    assert wrong_contact.json()["errors"][0]["loc"] == ["body", "contact_id"]
    assert wrong_company.status_code == 422


async def test_outreach_lists_filter_by_status(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    await create_outreach(client, owner, seeker["id"], ana["id"])
    sent = await create_outreach(client, owner, seeker["id"], ana["id"], status="sent")
    listed = await client.get(
        f"/api/v1/clients/{seeker['id']}/outreach",
        params={"status": "sent"},
        headers=owner.headers,
    )
    assert [o["id"] for o in listed.json()["data"]] == [sent["id"]]


async def test_a_client_works_their_own_outreach_but_never_sees_anothers(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    owner, coach, seeker = cast.owner, cast.coach, cast.client_login
    mine, theirs = cast.seeker, cast.other
    my_contact = await create_contact(client, owner, mine["id"])
    their_contact = await create_contact(client, owner, theirs["id"])
    hidden = await create_outreach(client, owner, theirs["id"], their_contact["id"])

    own = await create_outreach(client, seeker, mine["id"], my_contact["id"], status="sent")
    assert own["status"] == "sent"
    for actor in (seeker, coach, await signup(client)):
        assert (
            await client.get(f"/api/v1/outreach/{hidden['id']}", headers=actor.headers)
        ).status_code == 404
        assert (
            await client.patch(
                f"/api/v1/outreach/{hidden['id']}", json={"status": "sent"}, headers=actor.headers
            )
        ).status_code == 404


async def test_required_outreach_fields_cannot_be_cleared(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"])
    outreach = await create_outreach(client, owner, seeker["id"], ana["id"])
    response = await client.patch(
        f"/api/v1/outreach/{outreach['id']}", json={"channel": None}, headers=owner.headers
    )
    assert response.status_code == 422
