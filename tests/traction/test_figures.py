"""Every traction figure, computed by hand on a small fixed dataset built through the API.

The dataset (all times UTC, the organization's zone; cold after 30 days):

    window   2026-10-05 .. 2026-10-19 (two weeks, from Monday to Monday)
    previous 2026-09-21 .. 2026-10-05

    contacts  A, H, I, J (09-01), B at Beta (09-25), C at Acme (10-06),
              D referred in A's interview (10-08), E under A (10-13),
              F under B and G under D (10-14)
    touches   I 09-02, H 09-08, J 09-10 and 10-12 (cold crossings: I 10-02, H 10-08,
              J 10-10)
    outreach  O5 to B sent 09-28, answered 09-29 (24 h)
              O1 to A sent 10-05 10:00, answered 16:00 (6 h)
              O2 to B sent 10-06, declined 10-07 (24 h)
              O3 to C sent 10-13, answered 10-20 (after the window)
              O4 to C sent 10-14, never answered; a draft to C
    interviews I1 informational with A: scheduled 10-06, held 10-07 15:00, thanked
              10-08 09:00 (18 h)
              I2 informational with B: created scheduled 10-13, held 10-14, thanked
              10-17 (72 h, late)
              I3 job with C: held 10-15, offer 10-16, no thank-you
"""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Scope
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, signup
from tests.factories.traction import Clock, frozen_clock, get_traction
from tests.interviews.pipeline_factories import create_company, create_interview, create_outreach

WINDOW = {"from": "2026-10-05", "to": "2026-10-19"}


async def _touch(http: httpx.AsyncClient, actor: Actor, contact: dict[str, Any]) -> None:
    response = await http.post(
        f"/api/v1/contacts/{contact['id']}/interactions",
        json={"kind": "call"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.text


async def _answer(
    http: httpx.AsyncClient, actor: Actor, outreach: dict[str, Any], status: str
) -> None:
    response = await http.patch(
        f"/api/v1/outreach/{outreach['id']}", json={"status": status}, headers=actor.headers
    )
    assert response.status_code == 200, response.text


async def _move(
    http: httpx.AsyncClient, actor: Actor, interview: dict[str, Any], stage: str
) -> None:
    response = await http.post(
        f"/api/v1/interviews/{interview['id']}/transitions",
        json={"to_stage": stage},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text


async def build_dataset(http: httpx.AsyncClient, key: Actor, clock: Clock) -> str:
    """The dataset above; returns the client's id."""
    clock.set("2026-09-01T09:00:00+00:00")
    seeker = await create_client(http, key, weekly_outreach_goal=2, weekly_informational_goal=1)
    cid = seeker["id"]
    acme = await create_company(http, key, cid, name="Acme")
    beta = await create_company(http, key, cid, name="Beta")
    a = await create_contact(http, key, cid, full_name="A")
    h = await create_contact(http, key, cid, full_name="H")
    i = await create_contact(http, key, cid, full_name="I")
    j = await create_contact(http, key, cid, full_name="J")
    clock.set("2026-09-02T12:00:00+00:00")
    await _touch(http, key, i)
    clock.set("2026-09-08T12:00:00+00:00")
    await _touch(http, key, h)
    clock.set("2026-09-10T12:00:00+00:00")
    await _touch(http, key, j)
    clock.set("2026-09-25T09:00:00+00:00")
    b = await create_contact(http, key, cid, full_name="B", company_id=beta["id"])
    clock.set("2026-09-28T10:00:00+00:00")
    o5 = await create_outreach(http, key, cid, b["id"], status="sent")
    clock.set("2026-09-29T10:00:00+00:00")
    await _answer(http, key, o5, "responded")

    clock.set("2026-10-05T09:00:00+00:00")
    i1 = await create_interview(http, key, cid, contact_id=a["id"])
    clock.set("2026-10-05T10:00:00+00:00")
    o1 = await create_outreach(http, key, cid, a["id"], status="sent")
    clock.set("2026-10-05T16:00:00+00:00")
    await _answer(http, key, o1, "responded")
    clock.set("2026-10-06T09:00:00+00:00")
    c = await create_contact(http, key, cid, full_name="C", company_id=acme["id"])
    clock.set("2026-10-06T10:00:00+00:00")
    o2 = await create_outreach(http, key, cid, b["id"], status="sent")
    await _move(http, key, i1, "scheduled")
    clock.set("2026-10-07T10:00:00+00:00")
    await _answer(http, key, o2, "declined")
    clock.set("2026-10-07T15:00:00+00:00")
    await _move(http, key, i1, "held")
    clock.set("2026-10-08T09:00:00+00:00")
    await _move(http, key, i1, "followed_up")
    clock.set("2026-10-08T10:00:00+00:00")
    referred = await http.post(
        f"/api/v1/interviews/{i1['id']}/referrals",
        json={"contacts": [{"full_name": "D"}]},
        headers=key.headers,
    )
    assert referred.status_code == 200, referred.text
    d_id = referred.json()["referrals"][0]["contact_id"]

    clock.set("2026-10-12T09:00:00+00:00")
    i3 = await create_interview(http, key, cid, kind="job", contact_id=c["id"])
    clock.set("2026-10-12T10:00:00+00:00")
    await _touch(http, key, j)
    clock.set("2026-10-13T08:00:00+00:00")
    i2 = await create_interview(http, key, cid, contact_id=b["id"], stage="scheduled")
    clock.set("2026-10-13T09:00:00+00:00")
    await create_contact(http, key, cid, full_name="E", referred_by_id=a["id"])
    clock.set("2026-10-13T10:00:00+00:00")
    o3 = await create_outreach(http, key, cid, c["id"], status="sent")
    clock.set("2026-10-14T10:00:00+00:00")
    await create_outreach(http, key, cid, c["id"], status="sent")
    await create_outreach(http, key, cid, c["id"])  # a draft: never sent
    await _move(http, key, i2, "held")
    clock.set("2026-10-14T11:00:00+00:00")
    await create_contact(http, key, cid, full_name="F", referred_by_id=b["id"])
    await create_contact(http, key, cid, full_name="G", referred_by_id=d_id)
    clock.set("2026-10-15T10:00:00+00:00")
    await _move(http, key, i3, "held")
    clock.set("2026-10-16T10:00:00+00:00")
    await _move(http, key, i3, "offer")
    clock.set("2026-10-17T10:00:00+00:00")
    await _move(http, key, i2, "followed_up")
    clock.set("2026-10-20T10:00:00+00:00")
    await _answer(http, key, o3, "responded")
    return cid


async def test_every_figure_of_the_window_and_the_one_before(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, [s.value for s in Scope])
    with frozen_clock("2026-09-01T09:00:00+00:00") as clock:
        cid = await build_dataset(client, key, clock)
        clock.set("2026-10-25T12:00:00+00:00")
        traction = await get_traction(client, key, cid, **WINDOW)

    current = traction["current"]
    assert current["window"] == {
        "from": "2026-10-05",
        "to": "2026-10-19",
        "tz": "UTC",
        "days": 14,
        "starts_at": "2026-10-05T00:00:00Z",
        "ends_at": "2026-10-19T00:00:00Z",
    }
    assert current["figures"] == {
        "outreach_sent": 4,  # O1, O2, O3, O4 (not the draft)
        "responses": 2,  # O1 and O2 (a decline is an answer); O3's came after the window
        "response_rate": 0.5,
        "median_hours_to_response": 15.0,  # (6 + 24) / 2
        "informational_scheduled": 2,  # I1 moved there, I2 was created there
        "informational_held": 2,  # I1, I2
        "job_interviews_held": 1,  # I3
        "offers": 1,  # I3
        # D (through I1's referrals), E (under A, met in I1), F (under B, met in I2);
        # not G (under D, never met).
        "referrals": 3,
        "referrals_per_informational": 1.5,  # 3 / 2
        "thank_you_rate": 0.3333,  # I1 on time; I2 late; I3 none: 1 / 3
        "new_contacts": 5,  # C, D, E, F, G
        "network_size": 10,  # A, B, C, D, E, F, G, H, I, J
        "deepest_chain": 2,  # A → D → G
        "companies_engaged": 2,  # Acme (C touched), Beta (B touched)
        "contacts_gone_cold": 2,  # H (10-08) and J (10-10, warmed again on 10-12)
    }
    assert traction["previous"]["window"]["from"] == "2026-09-21"
    assert traction["previous"]["window"]["to"] == "2026-10-05"
    assert traction["previous"]["figures"] == {
        "outreach_sent": 1,  # O5
        "responses": 1,
        "response_rate": 1.0,
        "median_hours_to_response": 24.0,
        "informational_scheduled": 0,
        "informational_held": 0,
        "job_interviews_held": 0,
        "offers": 0,
        "referrals": 0,
        "referrals_per_informational": None,
        "thank_you_rate": None,
        "new_contacts": 1,  # B
        "network_size": 5,  # A, B, H, I, J
        "deepest_chain": 0,
        "companies_engaged": 1,  # Beta
        "contacts_gone_cold": 1,  # I (10-02)
    }

    weeks = [{k: w[k] for k in w if k not in ("starts_at", "ends_at")} for w in traction["weeks"]]
    assert weeks == [
        {
            "week_start": "2026-10-05",
            "days_in_window": 7,
            "outreach_sent": 2,
            "responses": 2,
            "informational_scheduled": 1,
            "informational_held": 1,
            "job_interviews_held": 0,
            "interviews_held": 1,
            "offers": 0,
            "referrals": 1,
            "new_contacts": 2,
            "outreach_goal_met": True,
            "informational_goal_met": True,
        },
        {
            "week_start": "2026-10-12",
            "days_in_window": 7,
            "outreach_sent": 2,
            "responses": 0,
            "informational_scheduled": 1,
            "informational_held": 1,
            "job_interviews_held": 1,
            "interviews_held": 2,
            "offers": 1,
            "referrals": 2,
            "new_contacts": 3,
            "outreach_goal_met": True,
            "informational_goal_met": True,
        },
    ]
    assert current["goals"] == {
        "outreach": {"weekly_goal": 2, "target": 4.0, "actual": 4, "progress": 1.0},
        "informational": {"weekly_goal": 1, "target": 2.0, "actual": 2, "progress": 1.0},
    }

    # Score by hand: outreach 4/4 → 30; meetings 3/2 capped → 30; response rate 0.5/0.5
    # → 15; referrals 3/2 capped → 15; thank-you rate 1/3 → 3.33: 93.33 → 93.
    parts = {p["name"]: p["points"] for p in current["score"]["parts"]}
    assert parts == {
        "outreach": 30.0,
        "meetings": 30.0,
        "responses": 15.0,
        "referrals": 15.0,
        "follow_through": 3.33,
    }
    assert current["score"]["score"] == 93
    # Previous: outreach 1/4 → 7.5; responses 1.0/0.5 capped → 15: 22.5 → 23 (half up).
    assert traction["previous"]["score"]["score"] == 23
    assert traction["score_change"] == 70

    # The latest moving event: O3's answer on 10-20, five days before "now".
    assert traction["last_moving_event_at"] == "2026-10-20T10:00:00Z"
    assert traction["stalled"] is False
    assert traction["stalled_after_days"] == 14
