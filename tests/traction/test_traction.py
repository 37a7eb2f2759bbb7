"""Traction's edges: empty windows, no goals, the window's bounds, time zones, the chart."""

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role, Scope
from app.traction.score import ScoreInputs, traction_score
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, add_member, signup
from tests.factories.traction import frozen_clock, get_traction
from tests.interviews.pipeline_factories import create_interview, create_outreach, hold

SVG = "{http://www.w3.org/2000/svg}"


async def _key(http: httpx.AsyncClient, db: AsyncSession) -> tuple[Actor, Actor]:
    owner = await signup(http)
    return owner, await add_api_key(db, owner.organization_id, [s.value for s in Scope])


async def _sent(
    http: httpx.AsyncClient, key: Actor, client_id: str, contact_id: str, *moments: str
) -> None:
    for moment in moments:
        await create_outreach(http, key, client_id, contact_id, status="sent", status_at=moment)


async def test_an_empty_window_scores_zero_and_has_no_rates(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, key = await _key(client, db)
    with frozen_clock("2026-09-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        clock.set("2026-10-25T12:00:00+00:00")
        traction = await get_traction(
            client, key, seeker["id"], **{"from": "2026-10-05", "to": "2026-10-19"}
        )

    figures = traction["current"]["figures"]
    assert {k: v for k, v in figures.items() if v not in (0, None)} == {}
    for rate in (
        "response_rate",
        "median_hours_to_response",
        "referrals_per_informational",
        "thank_you_rate",
    ):
        assert figures[rate] is None
    assert traction["current"]["score"]["score"] == 0
    assert all(part["points"] == 0 for part in traction["current"]["score"]["parts"])
    assert traction["previous"]["score"]["score"] == 0
    assert traction["score_change"] == 0
    assert [w["week_start"] for w in traction["weeks"]] == ["2026-10-05", "2026-10-12"]
    assert all(w["outreach_sent"] == 0 for w in traction["weeks"])
    # Nothing ever moved: stalled, counted from the client's creation 54 days ago.
    assert traction["last_moving_event_at"] is None
    assert traction["stalled"] is True


async def test_a_client_without_goals_is_scored_against_the_default_targets(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, key = await _key(client, db)
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        cid = seeker["id"]
        ana = await create_contact(client, key, cid, full_name="Ana")
        clock.set("2026-10-08T12:00:00+00:00")
        await _sent(
            client, key, cid, ana["id"], *[f"2026-10-0{d}T10:00:00+00:00" for d in (5, 6, 7, 8)]
        )
        await _sent(client, key, cid, ana["id"], "2026-10-08T11:00:00+00:00")
        met = await create_interview(client, key, cid, contact_id=ana["id"])
        await hold(client, key, met["id"], at="2026-10-06T15:00:00+00:00")
        recent = await create_interview(client, key, cid, contact_id=ana["id"])
        await hold(client, key, recent["id"], at="2026-10-08T11:30:00+00:00")
        clock.set("2026-10-09T09:00:00+00:00")
        traction = await get_traction(
            client, key, cid, **{"from": "2026-10-05", "to": "2026-10-12"}
        )

    current = traction["current"]
    assert current["goals"] == {"outreach": None, "informational": None}
    assert [(w["outreach_goal_met"], w["informational_goal_met"]) for w in traction["weeks"]] == [
        (None, None)
    ]
    # The meeting on 10-06 went 48 h without a thank-you; yesterday's is not late yet.
    assert current["figures"]["thank_you_rate"] == 0.0
    parts = {p["name"]: (p["value"], p["points"]) for p in current["score"]["parts"]}
    # One week: targets 5 outreach and 1 meeting; 5 sent and 2 held fill both.
    assert parts == {
        "outreach": (1.0, 30.0),
        "meetings": (1.0, 30.0),
        "responses": (0.0, 0.0),
        "referrals": (0.0, 0.0),
        "follow_through": (0.0, 0.0),
    }
    assert current["score"]["score"] == 60


async def test_an_interview_held_yesterday_without_a_thank_you_is_not_late_yet(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, key = await _key(client, db)
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        ana = await create_contact(client, key, seeker["id"], full_name="Ana")
        clock.set("2026-10-08T12:00:00+00:00")
        met = await create_interview(client, key, seeker["id"], contact_id=ana["id"])
        await hold(client, key, met["id"], at="2026-10-07T15:00:00+00:00")
        traction = await get_traction(
            client, key, seeker["id"], **{"from": "2026-10-05", "to": "2026-10-12"}
        )
    assert traction["current"]["figures"]["informational_held"] == 1
    assert traction["current"]["figures"]["thank_you_rate"] is None


async def test_the_window_includes_its_start_and_excludes_its_end(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, key = await _key(client, db)
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        cid = seeker["id"]
        ana = await create_contact(client, key, cid, full_name="Ana")
        clock.set("2026-10-25T09:00:00+00:00")
        at_start = await create_interview(client, key, cid, contact_id=ana["id"])
        await hold(client, key, at_start["id"], at="2026-10-05T00:00:00+00:00")
        at_end = await create_interview(client, key, cid, kind="job", contact_id=ana["id"])
        response = await client.post(
            f"/api/v1/interviews/{at_end['id']}/transitions",
            json={"to_stage": "held", "at": "2026-10-19T00:00:00+00:00"},
            headers=key.headers,
        )
        assert response.status_code == 200, response.text
        window = await get_traction(client, key, cid, **{"from": "2026-10-05", "to": "2026-10-19"})
        after = await get_traction(client, key, cid, **{"from": "2026-10-19", "to": "2026-10-20"})

    figures = window["current"]["figures"]
    assert (figures["informational_held"], figures["job_interviews_held"]) == (1, 0)
    assert window["weeks"][0]["informational_held"] == 1
    assert window["previous"]["figures"]["informational_held"] == 0
    assert after["current"]["figures"]["job_interviews_held"] == 1
    # The next window's "previous" is this one's last day: nothing was held on 10-18.
    assert after["previous"]["window"]["from"] == "2026-10-18"
    assert after["previous"]["figures"]["informational_held"] == 0


async def test_weeks_start_on_monday_in_the_time_zone_across_a_dst_change(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, key = await _key(client, db)
    response = await client.patch(
        "/api/v1/organization", json={"timezone": "Europe/Berlin"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        cid = seeker["id"]
        ana = await create_contact(client, key, cid, full_name="Ana")
        clock.set("2026-11-10T09:00:00+00:00")
        # Berlin leaves summer time on Sunday 2026-10-25 at 03:00 (UTC+2 → UTC+1).
        await _sent(
            client,
            key,
            cid,
            ana["id"],
            "2026-10-18T21:59:00+00:00",  # Sun 23:59 CEST: the previous window
            "2026-10-18T22:00:00+00:00",  # Mon 10-19 00:00 CEST: the first instant
            "2026-10-25T22:30:00+00:00",  # Sun 23:30 CET: still the first week
            "2026-10-25T23:00:00+00:00",  # Mon 10-26 00:00 CET: the second week
            "2026-11-01T22:59:00+00:00",  # Sun 23:59 CET: the last minute
            "2026-11-01T23:00:00+00:00",  # Mon 11-02 00:00 CET: after the window
        )
        window = {"from": "2026-10-19", "to": "2026-11-02"}
        berlin = await get_traction(client, key, cid, **window)
        utc = await get_traction(client, key, cid, tz="UTC", **window)

    assert berlin["current"]["window"] == {
        "from": "2026-10-19",
        "to": "2026-11-02",
        "tz": "Europe/Berlin",
        "days": 14,
        "starts_at": "2026-10-18T22:00:00Z",
        "ends_at": "2026-11-01T23:00:00Z",
    }
    assert [
        (w["week_start"], w["starts_at"], w["ends_at"], w["outreach_sent"]) for w in berlin["weeks"]
    ] == [
        ("2026-10-19", "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z", 2),  # 169 hours
        ("2026-10-26", "2026-10-25T23:00:00Z", "2026-11-01T23:00:00Z", 2),
    ]
    assert berlin["current"]["figures"]["outreach_sent"] == 4
    assert berlin["previous"]["figures"]["outreach_sent"] == 1
    # The same instants, counted in UTC days.
    assert [w["outreach_sent"] for w in utc["weeks"]] == [2, 2]
    assert utc["current"]["window"]["starts_at"] == "2026-10-19T00:00:00Z"
    assert utc["previous"]["figures"]["outreach_sent"] == 2


async def test_the_default_window_is_the_last_28_days_in_the_organization_zone(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, key = await _key(client, db)
    await client.patch(
        "/api/v1/organization", json={"timezone": "Asia/Tokyo"}, headers=owner.headers
    )
    with frozen_clock("2026-10-20T20:00:00+00:00"):  # already 10-21 in Tokyo
        seeker = await create_client(client, key)
        traction = await get_traction(client, key, seeker["id"])
    window = traction["current"]["window"]
    assert (window["from"], window["to"], window["tz"], window["days"]) == (
        "2026-09-24",
        "2026-10-22",
        "Asia/Tokyo",
        28,
    )
    assert traction["previous"]["window"]["from"] == "2026-08-27"
    # 09-24 is a Thursday: the first week is cut to its last 4 days.
    assert [(w["week_start"], w["days_in_window"]) for w in traction["weeks"]] == [
        ("2026-09-21", 4),
        ("2026-09-28", 7),
        ("2026-10-05", 7),
        ("2026-10-12", 7),
        ("2026-10-19", 3),
    ]


async def test_bad_windows_and_time_zones_are_refused(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    url = f"/api/v1/clients/{seeker['id']}/traction"
    for params in (
        {"tz": "Mars/Olympus_Mons"},
        {"tz": "../../etc/passwd"},
        {"tz": ""},
        {"from": "2026-10-05", "to": "2026-10-05"},
        {"from": "2026-10-06", "to": "2026-10-05"},
        {"from": "2025-01-01", "to": "2026-10-05"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "yesterday"},
    ):
        response = await client.get(url, params=params, headers=owner.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_client_sees_their_own_traction_and_keys_need_the_reports_scope(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    login = await add_member(client, db, owner.organization_id, Role.client, client_id=seeker["id"])
    assert (await get_traction(client, login, seeker["id"]))["client_id"] == seeker["id"]
    no_reports = await add_api_key(db, owner.organization_id, [Scope.clients_read.value])
    response = await client.get(
        f"/api/v1/clients/{seeker['id']}/traction", headers=no_reports.headers
    )
    assert response.status_code == 403


async def test_the_chart_is_self_contained_svg_with_a_point_per_week_and_series(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, key = await _key(client, db)
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        seeker = await create_client(client, key)
        cid = seeker["id"]
        ana = await create_contact(client, key, cid, full_name="Ana <&> O'Neil")
        clock.set("2026-10-30T09:00:00+00:00")
        await _sent(
            client,
            key,
            cid,
            ana["id"],
            "2026-10-06T10:00:00+00:00",
            "2026-10-13T10:00:00+00:00",
            "2026-10-14T10:00:00+00:00",
        )
        met = await create_interview(client, key, cid, contact_id=ana["id"])
        await hold(client, key, met["id"], at="2026-10-21T10:00:00+00:00")
        params = {"from": "2026-10-05", "to": "2026-10-26"}
        response = await client.get(
            f"/api/v1/clients/{cid}/traction/chart.svg", params=params, headers=key.headers
        )
        traction = await get_traction(client, key, cid, **params)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)  # noqa: S314 - our own response
    assert root.tag == f"{SVG}svg"
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert not tags & {"script", "foreignObject", "image", "style", "a", "use"}
    assert not any(
        "href" in name or value.strip().lower().startswith(("javascript:", "url(http"))
        for element in root.iter()
        for name, value in element.attrib.items()
    )
    series = {g.get("data-series"): g for g in root.iter(f"{SVG}g") if g.get("data-series")}
    assert set(series) == {"outreach_sent", "interviews_held", "referrals"}
    weeks = traction["weeks"]
    assert len(weeks) == 3
    for name, group in series.items():
        points = group.findall(f"{SVG}circle")
        assert [p.get("data-week") for p in points] == [w["week_start"] for w in weeks]
        assert [int(p.get("data-value") or -1) for p in points] == [w[name] for w in weeks]
    assert [w["outreach_sent"] for w in weeks] == [1, 2, 0]
    assert [w["interviews_held"] for w in weeks] == [0, 0, 1]


def test_the_score_caps_each_part_and_treats_a_goal_of_zero_as_none() -> None:
    def score(**inputs: Any) -> dict[str, float]:
        base = {
            "days": 14,
            "outreach_sent": 0,
            "responses": 0,
            "informational_held": 0,
            "job_interviews_held": 0,
            "referrals": 0,
            "thank_you_rate": None,
            "weekly_outreach_goal": None,
            "weekly_informational_goal": None,
        }
        result = traction_score(ScoreInputs(**(base | inputs)))
        return {"score": result.score, **{p.name: p.points for p in result.parts}}

    # Goal 0 falls back to 5 a week: 5 of 10 over two weeks is half the outreach part.
    assert score(outreach_sent=5, weekly_outreach_goal=0)["outreach"] == 15.0
    assert score(outreach_sent=50, weekly_outreach_goal=2)["outreach"] == 30.0
    # Referrals without a meeting in the window still count, against one meeting.
    assert score(referrals=1)["referrals"] == 15.0
    assert score(outreach_sent=4, responses=1)["responses"] == 7.5
    everything = score(
        outreach_sent=20,
        responses=20,
        informational_held=4,
        job_interviews_held=1,
        referrals=9,
        thank_you_rate=1.0,
        weekly_outreach_goal=10,
        weekly_informational_goal=2,
    )
    assert everything["score"] == 100


@pytest.mark.parametrize("bound", ["to=0", "from=1700000000", "to=2030-13-01"])
async def test_a_window_bound_must_be_a_written_date(client: httpx.AsyncClient, bound: str) -> None:
    """`?to=0` must not quietly mean the Unix epoch."""
    owner = await signup(client)
    grace = await create_client(client, owner)
    response = await client.get(
        f"/api/v1/clients/{grace['id']}/traction?{bound}", headers=owner.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_score_parts_read_one_interview_and_two_interviews() -> None:
    def bases(held: int, referrals: int) -> dict[str, str]:
        inputs = ScoreInputs(
            days=7,
            outreach_sent=1,
            responses=0,
            informational_held=held,
            job_interviews_held=0,
            referrals=referrals,
            thank_you_rate=None,
            weekly_outreach_goal=None,
            weekly_informational_goal=None,
        )
        return {p.name: p.basis for p in traction_score(inputs).parts}

    one = bases(1, 1)
    assert one["meetings"] == "1 interview held of a target of 1"
    assert one["referrals"] == "1 referral from 1 informational interview held"
    two = bases(2, 0)
    assert two["meetings"] == "2 interviews held of a target of 1"
    assert two["referrals"] == "0 referrals from 2 informational interviews held"
