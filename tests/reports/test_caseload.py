import csv
import io
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import encode_cursor
from app.core.time import utc_now
from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact, set_contact_columns
from tests.factories.identity import Actor, add_api_key, add_member, signup
from tests.factories.traction import frozen_clock, get_caseload, get_traction
from tests.interviews.pipeline_factories import (
    counting_statements,
    create_company,
    create_interview,
    create_outreach,
    hold,
    move,
)

URL = "/api/v1/reports/caseload"


def names(page: dict[str, object]) -> list[str]:
    rows = page["data"]
    assert isinstance(rows, list)
    return [row["full_name"] for row in rows]


async def test_a_coach_sees_their_clients_and_an_owner_sees_everyone(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    org = owner.organization_id
    coach = await add_member(client, db, org, Role.coach)
    other_coach = await add_member(client, db, org, Role.coach)
    xena = await create_client(client, owner, full_name="Xena")
    yuri = await create_client(client, owner, full_name="Yuri")
    zoe = await create_client(client, owner, full_name="Zoe", status="placed")
    await assign_coach(client, owner, xena["id"], coach)
    await assign_coach(client, owner, yuri["id"], coach)
    await assign_coach(client, owner, zoe["id"], other_coach)
    await create_client(client, await signup(client), full_name="Elsewhere")

    assert names(await get_caseload(client, coach)) == ["Xena", "Yuri"]
    assert names(await get_caseload(client, owner)) == ["Xena", "Yuri", "Zoe"]
    assert names(await get_caseload(client, owner, coach_id=str(coach.user_id))) == [
        "Xena",
        "Yuri",
    ]
    # A coach asking for a colleague's caseload still sees only their own clients.
    assert names(await get_caseload(client, coach, coach_id=str(other_coach.user_id))) == []
    assert names(await get_caseload(client, owner, status="placed")) == ["Zoe"]
    row = (await get_caseload(client, coach))["data"][0]
    assert row["coach_ids"] == [str(coach.user_id)]

    login = await add_member(client, db, org, Role.client, client_id=xena["id"])
    assert (await client.get(URL, headers=login.headers)).status_code == 403
    reader = await add_api_key(db, org, [Scope.reports_read.value])
    assert names(await get_caseload(client, reader)) == ["Xena", "Yuri", "Zoe"]
    no_scope = await add_api_key(db, org, [Scope.clients_read.value])
    assert (await client.get(URL, headers=no_scope.headers)).status_code == 403


async def test_rows_carry_the_headline_figures_and_sort_and_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, [s.value for s in Scope])
    with frozen_clock("2026-09-01T09:00:00+00:00") as clock:
        ids = {}
        for name, sent in (("Ann", 1), ("bob", 3), ("Cid", 0), ("Dee", 3)):
            seeker = await create_client(client, key, full_name=name, weekly_outreach_goal=2)
            ids[name] = seeker["id"]
            ana = await create_contact(client, key, seeker["id"])
            clock.set("2026-10-10T09:00:00+00:00")
            for _ in range(sent):
                await create_outreach(client, key, seeker["id"], ana["id"], status="sent")
            clock.set("2026-09-01T09:00:00+00:00")
        clock.set("2026-10-16T09:00:00+00:00")
        window = {"from": "2026-10-05", "to": "2026-10-19"}
        by_name = await get_caseload(client, key, **window)
        by_outreach = await get_caseload(client, key, sort="-outreach_sent", **window)
        pages, cursor = [], None
        while True:
            params = {"sort": "-outreach_sent", "limit": 1, **window}
            page = await get_caseload(
                client, key, **params, **({"cursor": cursor} if cursor else {})
            )
            pages += names(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        by_movement = await get_caseload(client, key, sort="days_since_movement", **window)
        bad = await client.get(URL, params={"cursor": "not-a-cursor"}, headers=key.headers)
        wrong_type = await client.get(
            URL, params={"sort": "score", "cursor": by_name_cursor(by_name)}, headers=key.headers
        )

    assert names(by_name) == ["Ann", "bob", "Cid", "Dee"]  # by name, whatever the case
    assert by_name["window"]["from"] == "2026-10-05"
    assert by_name["previous_window"]["to"] == "2026-10-05"
    bob = by_name["data"][1]
    # bob: 3 sent of a 4 target → 22.5 points → 23; nothing the window before.
    assert {k: bob[k] for k in ("outreach_sent", "responses", "response_rate", "score")} == {
        "outreach_sent": 3,
        "responses": 0,
        "response_rate": 0.0,
        "score": 23,
    }
    assert (bob["previous_score"], bob["score_change"]) == (0, 23)
    assert bob["last_moving_event_at"] == "2026-10-10T09:00:00Z"
    assert (bob["days_since_movement"], bob["stalled"]) == (6, False)
    cid = by_name["data"][2]
    # Cid's last move: their contact, added with them on 09-01, 45 days ago.
    assert (cid["days_since_movement"], cid["stalled"]) == (45, True)
    # Ties (bob and Dee: 3 each) fall back to the client id, in the sort's direction.
    tied = sorted([ids["bob"], ids["Dee"]], reverse=True)
    expected = [next(n for n, i in ids.items() if i == t) for t in tied] + ["Ann", "Cid"]
    assert names(by_outreach) == expected
    assert pages == expected
    assert names(by_movement)[-1] == "Cid"
    assert bad.status_code == 422
    assert wrong_type.status_code == 422


def by_name_cursor(page: dict[str, object]) -> str:
    """A cursor made for the name order: a string where `score` needs a number."""
    rows = page["data"]
    assert isinstance(rows, list)
    return encode_cursor(["ann", rows[0]["client_id"]])


async def test_csv_has_a_header_and_every_row(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    await create_client(client, owner, full_name='=HYPERLINK("http://evil")')
    await create_client(client, owner, full_name="Bea, the second")
    await create_client(client, owner, full_name="Cy")

    by_format = await client.get(URL, params={"format": "csv", "limit": 1}, headers=owner.headers)
    by_accept = await client.get(
        URL, params={"limit": 1}, headers={**owner.headers, "Accept": "text/csv"}
    )
    as_json = await client.get(
        URL,
        params={"limit": 1},
        headers={**owner.headers, "Accept": "application/json, text/csv;q=0.5"},
    )

    for response in (by_format, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == [
            "client_id",
            "full_name",
            "status",
            "coach_ids",
            "outreach_sent",
            "responses",
            "response_rate",
            "informational_held",
            "job_interviews_held",
            "referrals",
            "score",
            "previous_score",
            "score_change",
            "stalled",
            "last_moving_event_at",
            "days_since_movement",
            "next_action_count",
            "offers",
            "cold_contacts",
            "next_meeting_at",
            "next_meeting_interview_id",
            "window_from",
            "window_to",
        ]
        body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        assert [r["full_name"] for r in body] == [
            '\'=HYPERLINK("http://evil")',
            "Bea, the second",
            "Cy",
        ]
        assert body[2]["stalled"] == "false"
        assert body[2]["score"] == "0"
    assert as_json.status_code == 200
    assert len(as_json.json()["data"]) == 1


async def test_csv_defuses_a_formula_hidden_behind_invisible_characters(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    hidden = '\u200b=HYPERLINK("http://evil","Open")'
    fullwidth = "\ufeff\uff1dcmd|' /C calc'!A0"
    for name in (hidden, fullwidth):
        await create_client(client, owner, full_name=name)

    response = await client.get(URL, params={"format": "csv"}, headers=owner.headers)

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["full_name"] for r in rows) == sorted(["'" + hidden, "'" + fullwidth])


async def test_next_action_count_matches_the_clients_next_actions(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    now = utc_now()
    ana = await create_contact(client, owner, cid, full_name="Ana")
    await create_contact(
        client, owner, cid, full_name="Due", next_follow_up_at=(now - timedelta(days=1)).isoformat()
    )
    cooling = await create_contact(client, owner, cid, full_name="Cooling")
    await set_contact_columns(
        db, owner.organization_id, cooling["id"], last_contacted_at=now - timedelta(days=20)
    )
    await create_company(client, owner, cid, name="Nobody There")
    silent = await create_contact(client, owner, cid, full_name="Silent")
    await create_outreach(
        client,
        owner,
        cid,
        silent["id"],
        status="sent",
        status_at=(now - timedelta(days=9)).isoformat(),
    )
    met = await create_interview(client, owner, cid, contact_id=ana["id"])
    await hold(client, owner, met["id"], at=(now - timedelta(hours=30)).isoformat())
    other = await create_client(client, owner)

    actions = await client.get(
        f"/api/v1/clients/{cid}/next-actions", params={"limit": 200}, headers=owner.headers
    )
    assert actions.status_code == 200
    kinds = {a["kind"] for a in actions.json()["actions"]}
    assert {
        "send_thank_you",
        "follow_up_due",
        "follow_up_outreach",
        "ask_for_referral",
        "contact_turning_cold",
        "find_person_at_company",
    } <= kinds
    rows = {r["client_id"]: r for r in (await get_caseload(client, owner))["data"]}
    assert rows[cid]["next_action_count"] == len(actions.json()["actions"])
    # A client with no contacts at all has one thing to do: build a first line.
    assert rows[other["id"]]["next_action_count"] == 1


async def _touch(http: httpx.AsyncClient, actor: Actor, contact_id: str, at: str) -> None:
    response = await http.post(
        f"/api/v1/contacts/{contact_id}/interactions",
        json={"kind": "call", "occurred_at": at},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.text


async def test_rows_count_offers_cold_contacts_and_show_the_next_meeting(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Window 2026-10-05..10-19, today 10-16; contacts go cold after 30 days.

    Ann  offers: the job offered on 10-09 (the one offered 09-25 is the window before)
         cold now: Cold (last call 09-10, cold since 10-10) and Long Gone (cold since
         09-19); not Warm (called again 10-01), nor Met (met today)
         next meeting: the one scheduled for 10-18 (10-20 is later, 10-10 is past, the
         one for 10-17 was held already)
    Bob  nothing: 0, 0 and no meeting
    """
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, [s.value for s in Scope])
    with frozen_clock("2026-09-01T09:00:00+00:00") as clock:
        ann = (await create_client(client, key, full_name="Ann"))["id"]
        await create_client(client, key, full_name="Bob")
        people = {
            name: (await create_contact(client, key, ann, full_name=name))["id"]
            for name in ("Cold", "Warm", "Long Gone", "Met")
        }
        clock.set("2026-10-16T09:00:00+00:00")
        await _touch(client, key, people["Long Gone"], "2026-08-20T10:00:00Z")
        await _touch(client, key, people["Cold"], "2026-09-10T10:00:00Z")
        await _touch(client, key, people["Warm"], "2026-09-10T10:00:00Z")
        await _touch(client, key, people["Warm"], "2026-10-01T10:00:00Z")
        for held_at, offered_at in (
            ("2026-09-22T10:00:00Z", "2026-09-25T10:00:00Z"),
            ("2026-10-07T10:00:00Z", "2026-10-09T10:00:00Z"),
        ):
            job = await create_interview(client, key, ann, kind="job")
            assert (await move(client, key, job["id"], "held", at=held_at)).is_success
            assert (await move(client, key, job["id"], "offer", at=offered_at)).is_success
        meetings = {}
        for day in ("10-20", "10-18", "10-10", "10-17"):
            meetings[day] = await create_interview(
                client,
                key,
                ann,
                contact_id=people["Met"],
                stage="scheduled",
                scheduled_at=f"2026-{day}T14:00:00Z",
            )
        assert (await move(client, key, meetings["10-17"]["id"], "held")).is_success
        window = {"from": "2026-10-05", "to": "2026-10-19"}
        rows = {r["full_name"]: r for r in (await get_caseload(client, key, **window))["data"]}
        traction = await get_traction(client, key, ann, **window)
        as_csv = await client.get(URL, params={**window, "format": "csv"}, headers=key.headers)

    new = ("offers", "cold_contacts", "next_meeting_at", "next_meeting_interview_id")
    assert {k: rows["Ann"][k] for k in new} == {
        "offers": 1,
        "cold_contacts": 2,
        "next_meeting_at": "2026-10-18T14:00:00Z",
        "next_meeting_interview_id": meetings["10-18"]["id"],
    }
    # Offers as traction counts them; of the two cold contacts, one crossed in the window.
    figures = traction["current"]["figures"]
    assert (figures["offers"], figures["contacts_gone_cold"]) == (1, 1)
    assert {k: rows["Bob"][k] for k in new} == {
        "offers": 0,
        "cold_contacts": 0,
        "next_meeting_at": None,
        "next_meeting_interview_id": None,
    }
    lines = list(csv.reader(io.StringIO(as_csv.text)))
    by_name = {line[1]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    assert {k: by_name["Ann"][k] for k in new} == {
        "offers": "1",
        "cold_contacts": "2",
        "next_meeting_at": "2026-10-18T14:00:00+00:00",
        "next_meeting_interview_id": meetings["10-18"]["id"],
    }
    assert {k: by_name["Bob"][k] for k in new} == {
        "offers": "0",
        "cold_contacts": "0",
        "next_meeting_at": "",
        "next_meeting_interview_id": "",
    }


async def _caseload_of(client: httpx.AsyncClient, size: int) -> Actor:
    owner = await signup(client)
    for number in range(size):
        seeker = await create_client(client, owner, full_name=f"Seeker {number:02}")
        ana = await create_contact(client, owner, seeker["id"])
        await create_outreach(client, owner, seeker["id"], ana["id"], status="sent")
    return owner


async def test_reports_run_the_same_number_of_queries_for_3_and_60_clients(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    counts = {}
    for size in (3, 60):
        owner = await _caseload_of(client, size)
        with counting_statements(app) as caseload:
            page = await get_caseload(client, owner, limit=200)
        with counting_statements(app) as organization:
            response = await client.get("/api/v1/reports/organization", headers=owner.headers)
        assert response.status_code == 200
        assert len(page["data"]) == size
        assert response.json()["organization"]["totals"]["outreach_sent"] == size
        counts[size] = (len(caseload), len(organization))
    assert counts[3] == counts[60], counts
