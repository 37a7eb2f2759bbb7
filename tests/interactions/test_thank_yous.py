"""A thank-you logged by hand counts for the interviews it follows: the interview is
followed up, traction's thank-you rate and the score's follow-through move."""

import asyncio
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Scope
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, signup
from tests.factories.traction import frozen_clock, get_traction
from tests.interviews.pipeline_factories import create_interview, hold, move


async def _log(http: httpx.AsyncClient, actor: Actor, contact_id: str, **body: Any) -> None:
    response = await http.post(
        f"/api/v1/contacts/{contact_id}/interactions", json=body, headers=actor.headers
    )
    assert response.status_code == 201, response.text


async def _interview(http: httpx.AsyncClient, actor: Actor, interview_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/interviews/{interview_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _kinds(http: httpx.AsyncClient, actor: Actor, contact_id: str) -> list[str]:
    response = await http.get(f"/api/v1/contacts/{contact_id}/interactions", headers=actor.headers)
    assert response.status_code == 200, response.text
    return sorted(i["kind"] for i in response.json()["data"])


async def _events(
    http: httpx.AsyncClient, actor: Actor, client_id: str, type_: str
) -> list[dict[str, Any]]:
    response = await http.get(
        "/api/v1/events",
        params={"client_id": client_id, "type": type_, "limit": 200},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text
    return [e["data"] for e in response.json()["data"]]


async def test_a_logged_thank_you_follows_up_the_meeting_it_thanks_for(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, [s.value for s in Scope])
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        cid = seeker["id"]
        ana = await create_contact(client, key, cid, full_name="Ana")
        clock.set("2026-10-07T09:00:00+00:00")
        met = await create_interview(client, key, cid, contact_id=ana["id"])
        await hold(client, key, met["id"], at="2026-10-06T15:00:00+00:00")
        # Held after the thank-you below: that note cannot be for this one.
        later = await create_interview(client, key, cid, kind="job", contact_id=ana["id"])
        assert (await move(client, key, later["id"], "held", at="2026-10-06T20:00:00Z")).is_success
        # An inbound thank-you is theirs, not the client's.
        await _log(client, key, ana["id"], kind="thank_you", direction="inbound")
        assert (await _interview(client, key, met["id"]))["thank_you_sent_at"] is None

        await _log(client, key, ana["id"], kind="thank_you", occurred_at="2026-10-06T18:00:00Z")

        clock.set("2026-10-09T09:00:00+00:00")
        thanked = await _interview(client, key, met["id"])
        unthanked = await _interview(client, key, later["id"])
        traction = await get_traction(
            client, key, cid, **{"from": "2026-10-05", "to": "2026-10-12"}
        )

    assert thanked["thank_you_sent_at"] == "2026-10-06T18:00:00Z"
    assert thanked["stage"] == "followed_up"
    assert thanked["stage_changed_at"] == "2026-10-06T18:00:00Z"
    # (The clock stood still while it was recorded: find the step by its stage.)
    assert [
        (h["from_stage"], h["occurred_at"])
        for h in thanked["stage_history"]
        if h["to_stage"] == "followed_up"
    ] == [("held", "2026-10-06T18:00:00Z")]
    assert (unthanked["stage"], unthanked["thank_you_sent_at"]) == ("held", None)
    # The note logged is the thank-you: no second one is written for the interview.
    assert await _kinds(client, key, ana["id"]) == ["meeting", "meeting", "thank_you", "thank_you"]
    changed = await _events(client, key, cid, "interview.stage_changed")
    assert [(e["id"], e["previous_stage"]) for e in changed if e["stage"] == "followed_up"] == [
        (met["id"], "held")
    ]
    followed = await _events(client, key, cid, "interview.followed_up")
    assert [(e["id"], e["thank_you_sent_at"]) for e in followed] == [
        (met["id"], "2026-10-06T18:00:00Z")
    ]
    current = traction["current"]
    # Both meetings are past their 48 h; the informational one was thanked in 3 h.
    assert current["figures"]["thank_you_rate"] == 0.5
    parts = {p["name"]: p["points"] for p in current["score"]["parts"]}
    assert parts["follow_through"] == 5.0


async def test_a_thank_you_credits_a_held_job_interview_without_moving_it(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    bo = await create_contact(client, owner, seeker["id"], full_name="Bo")
    job = await create_interview(client, owner, seeker["id"], kind="job", contact_id=bo["id"])
    assert (await move(client, owner, job["id"], "held")).is_success
    assert (await move(client, owner, job["id"], "offer")).is_success

    await _log(client, owner, bo["id"], kind="thank_you")

    credited = await _interview(client, owner, job["id"])
    assert credited["stage"] == "offer"
    assert credited["thank_you_sent_at"] is not None
    assert await _events(client, owner, seeker["id"], "interview.followed_up") == []


async def test_following_up_through_the_transition_logs_exactly_one_thank_you(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"], full_name="Ana")
    met = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
    await hold(client, owner, met["id"])

    followed = await move(client, owner, met["id"], "followed_up")

    assert followed.status_code == 200, followed.text
    assert await _kinds(client, owner, ana["id"]) == ["meeting", "thank_you"]
    assert len(await _events(client, owner, seeker["id"], "interview.followed_up")) == 1


async def test_a_thank_you_logged_while_the_meeting_is_followed_up_counts_once(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    for _ in range(4):
        ana = await create_contact(client, owner, seeker["id"], full_name="Ana")
        met = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
        await hold(client, owner, met["id"])

        moved, logged = await asyncio.gather(
            move(client, owner, met["id"], "followed_up"),
            client.post(
                f"/api/v1/contacts/{ana['id']}/interactions",
                json={"kind": "thank_you"},
                headers=owner.headers,
            ),
        )

        # Whichever came first followed the meeting up; neither failed on the other.
        assert (moved.status_code, logged.status_code) in ((200, 201), (409, 201)), (
            moved.text,
            logged.text,
        )
        interview = await _interview(client, owner, met["id"])
        steps = [h["to_stage"] for h in interview["stage_history"]]
        assert steps.count("followed_up") == 1
