"""A meeting that already happened is created as held (or later) in one request, with
the whole stage history and everything the steps would have done."""

from datetime import timedelta
from typing import Any

import httpx

from app.core.time import utc_now
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, signup
from tests.interviews.pipeline_factories import create_company, create_interview, move


def _steps(interview: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    return [(h["from_stage"], h["to_stage"], h["occurred_at"]) for h in interview["stage_history"]]


async def _kinds(http: httpx.AsyncClient, actor: Actor, contact_id: str) -> list[str]:
    response = await http.get(f"/api/v1/contacts/{contact_id}/interactions", headers=actor.headers)
    assert response.status_code == 200, response.text
    return sorted(i["kind"] for i in response.json()["data"])


async def _event_types(http: httpx.AsyncClient, actor: Actor, client_id: str) -> list[str]:
    response = await http.get(
        "/api/v1/events", params={"client_id": client_id, "limit": 200}, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return sorted(e["type"] for e in response.json()["data"] if e["type"].startswith("interview"))


async def test_a_meeting_held_yesterday_is_created_held_with_its_history(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    acme = await create_company(client, owner, seeker["id"], name="Acme")
    ana = await create_contact(client, owner, seeker["id"], full_name="Ana")
    met_at = (utc_now() - timedelta(days=1)).replace(microsecond=0)
    stamp = met_at.isoformat().replace("+00:00", "Z")

    held = await create_interview(
        client,
        owner,
        seeker["id"],
        contact_id=ana["id"],
        company_id=acme["id"],
        stage="held",
        held_at=met_at.isoformat(),
    )

    assert (held["stage"], held["held_at"], held["stage_changed_at"]) == ("held", stamp, stamp)
    assert held["thank_you_sent_at"] is None
    assert held["allowed_next_stages"] == ["followed_up"]
    # The shortest way in: an informational interview may start scheduled.
    assert _steps(held) == [(None, "scheduled", stamp), ("scheduled", "held", stamp)]
    assert await _kinds(client, owner, ana["id"]) == ["meeting"]
    company = await client.get(f"/api/v1/companies/{acme['id']}", headers=owner.headers)
    assert company.json()["status"] == "engaged"
    assert await _event_types(client, owner, seeker["id"]) == [
        "interview.held",
        "interview.scheduled",
        "interview.stage_changed",
    ]
    # It carries on from there like any other.
    followed = await move(client, owner, held["id"], "followed_up")
    assert followed.status_code == 200, followed.text


async def test_a_meeting_already_thanked_for_is_created_followed_up(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"], full_name="Ana")
    met_at = (utc_now() - timedelta(hours=5)).replace(microsecond=0)
    stamp = met_at.isoformat().replace("+00:00", "Z")

    followed = await create_interview(
        client,
        owner,
        seeker["id"],
        contact_id=ana["id"],
        stage="followed_up",
        held_at=met_at.isoformat(),
    )

    assert followed["stage"] == "followed_up"
    assert (followed["held_at"], followed["thank_you_sent_at"]) == (stamp, stamp)
    assert _steps(followed) == [
        (None, "scheduled", stamp),
        ("scheduled", "held", stamp),
        ("held", "followed_up", stamp),
    ]
    assert await _kinds(client, owner, ana["id"]) == ["meeting", "thank_you"]
    assert await _event_types(client, owner, seeker["id"]) == [
        "interview.followed_up",
        "interview.held",
        "interview.scheduled",
        "interview.stage_changed",
        "interview.stage_changed",
    ]


async def test_a_job_offer_is_created_in_one_request_held_now_by_default(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)

    offer = await create_interview(client, owner, seeker["id"], kind="job", stage="offer")

    assert offer["stage"] == "offer"
    assert offer["held_at"] is not None
    assert [(h["from_stage"], h["to_stage"]) for h in offer["stage_history"]] == [
        (None, "scheduled"),
        ("scheduled", "held"),
        ("held", "offer"),
    ]
    traction = await client.get(f"/api/v1/clients/{seeker['id']}/traction", headers=owner.headers)
    figures = traction.json()["current"]["figures"]
    assert (figures["job_interviews_held"], figures["offers"]) == (1, 1)


async def test_a_new_interview_only_takes_stages_its_kind_can_reach_and_no_future_meeting(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"], full_name="Ana")
    url = f"/api/v1/clients/{seeker['id']}/interviews"

    async def refused(**body: Any) -> dict[str, Any]:
        response = await client.post(
            url, json={"contact_id": ana["id"], **body}, headers=owner.headers
        )
        assert response.status_code == 422, response.text
        return dict(response.json())

    not_its_own = await refused(kind="informational", stage="offer")
    assert not_its_own["errors"][0]["loc"] == ["body", "stage"]
    assert "An informational interview" in not_its_own["detail"]
    await refused(kind="job", stage="followed_up")
    future = await refused(
        kind="informational",
        stage="held",
        held_at=(utc_now() + timedelta(hours=2)).isoformat(),
    )
    assert future["errors"][0]["loc"] == ["body", "held_at"]
    # `held_at` says when it was held: an interview not held yet has none.
    not_held = await refused(kind="informational", stage="scheduled", held_at=utc_now().isoformat())
    assert not_held["errors"][0]["loc"] == ["body", "held_at"]
    listed = await client.get(url, headers=owner.headers)
    assert listed.json()["data"] == []
    assert await _kinds(client, owner, ana["id"]) == []


async def test_a_cancelled_request_is_created_with_its_one_step(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"], full_name="Ana")

    cancelled = await create_interview(
        client, owner, seeker["id"], contact_id=ana["id"], stage="cancelled"
    )

    assert [(h["from_stage"], h["to_stage"]) for h in cancelled["stage_history"]] == [
        (None, "requested"),
        ("requested", "cancelled"),
    ]
    assert cancelled["held_at"] is None
    assert await _kinds(client, owner, ana["id"]) == []
