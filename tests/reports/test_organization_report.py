"""The organization report, by hand on a small fixed dataset (window 2026-10-05..10-19).

Xena (coach C1)       4 outreach sent, 2 answered; an informational interview held
                      that gave 1 referral; a job interview held, then an offer
Yuri (C1 and C2)      2 outreach sent, 1 answered; an informational interview held
Zoe (no coach)        1 outreach sent on 10-06, then nothing: stalled by 10-25
Walt (C2, placed)     a job interview held, then an offer
C3                    a coach without clients
"""

import csv
import io
import statistics
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_api_key, add_member, signup
from tests.factories.traction import Clock, frozen_clock, get_caseload
from tests.interviews.pipeline_factories import create_interview, create_outreach, hold, move

URL = "/api/v1/reports/organization"
WINDOW = {"from": "2026-10-05", "to": "2026-10-19"}


async def _seeker(
    http: httpx.AsyncClient, key: Actor, name: str, clock: Clock, **fields: Any
) -> tuple[str, str]:
    clock.set("2026-10-01T09:00:00+00:00")
    seeker = await create_client(http, key, full_name=name, **fields)
    contact = await create_contact(http, key, seeker["id"], full_name=f"{name}'s contact")
    return seeker["id"], contact["id"]


async def _outreach(
    http: httpx.AsyncClient, key: Actor, ids: tuple[str, str], sent: int, answered: int
) -> None:
    for number in range(sent):
        outreach = await create_outreach(
            http, key, ids[0], ids[1], status="sent", status_at="2026-10-12T10:00:00+00:00"
        )
        if number < answered:
            response = await http.patch(
                f"/api/v1/outreach/{outreach['id']}",
                json={"status": "responded", "status_at": "2026-10-13T10:00:00+00:00"},
                headers=key.headers,
            )
            assert response.status_code == 200, response.text


async def _job_offer(http: httpx.AsyncClient, key: Actor, ids: tuple[str, str]) -> None:
    job = await create_interview(http, key, ids[0], kind="job", contact_id=ids[1])
    response = await move(http, key, job["id"], "held", at="2026-10-14T10:00:00+00:00")
    assert response.status_code == 200, response.text
    response = await move(http, key, job["id"], "offer", at="2026-10-16T10:00:00+00:00")
    assert response.status_code == 200, response.text


async def test_the_organization_per_coach_with_totals_medians_and_the_funnel(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    org = owner.organization_id
    key = await add_api_key(db, org, [s.value for s in Scope])
    c1 = await add_member(client, db, org, Role.coach)
    c2 = await add_member(client, db, org, Role.coach)
    c3 = await add_member(client, db, org, Role.coach)
    login = await add_member(client, db, org, Role.client)
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        xena = await _seeker(client, key, "Xena", clock)
        yuri = await _seeker(client, key, "Yuri", clock)
        zoe = await _seeker(client, key, "Zoe", clock)
        walt = await _seeker(client, key, "Walt", clock)
        for seeker, coaches in ((xena, [c1]), (yuri, [c1, c2]), (walt, [c2])):
            for coach in coaches:
                await assign_coach(client, owner, seeker[0], coach)
        clock.set("2026-10-06T10:00:00+00:00")
        await create_outreach(client, key, zoe[0], zoe[1], status="sent")
        clock.set("2026-10-17T10:00:00+00:00")
        await _outreach(client, key, xena, 4, 2)
        await _outreach(client, key, yuri, 2, 1)
        for seeker in (xena, yuri):
            met = await create_interview(client, key, seeker[0], contact_id=seeker[1])
            await hold(client, key, met["id"], at="2026-10-15T10:00:00+00:00")
            if seeker is xena:
                referred = await client.post(
                    f"/api/v1/interviews/{met['id']}/referrals",
                    json={"contacts": [{"full_name": "Sam Suggested"}]},
                    headers=key.headers,
                )
                assert referred.status_code == 200, referred.text
        await _job_offer(client, key, xena)
        await _job_offer(client, key, walt)
        response = await client.patch(
            f"/api/v1/clients/{walt[0]}", json={"status": "placed"}, headers=key.headers
        )
        assert response.status_code == 200, response.text
        clock.set("2026-10-25T12:00:00+00:00")
        response = await client.get(URL, params=WINDOW, headers=key.headers)
        caseload = await get_caseload(client, key, **WINDOW)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["window"]["from"] == "2026-10-05"
    whole = report["organization"]
    assert (whole["clients"], whole["active_clients"], whole["stalled_clients"]) == (4, 3, 1)
    assert whole["totals"] == {
        "outreach_sent": 7,
        "responses": 3,
        "informational_held": 2,
        "job_interviews_held": 2,
        "referrals": 1,
        "offers": 2,
    }
    scores = [r["score"] for r in caseload["data"] if r["full_name"] != "Walt"]
    # Medians over the active clients: Xena, Yuri and Zoe.
    assert whole["medians"] == {
        "outreach_sent": 2.0,  # 4, 2, 1
        "responses": 1.0,  # 2, 1, 0
        "informational_held": 1.0,  # 1, 1, 0
        "job_interviews_held": 0.0,  # 1, 0, 0
        "referrals": 0.0,  # 1, 0, 0
        "offers": 0.0,  # 1, 0, 0
        "score": statistics.median(scores),
    }
    assert [(s["step"], s["count"], s["conversion"]) for s in whole["funnel"]] == [
        ("outreach_sent", 7, None),
        ("responses", 3, 0.4286),  # 3 / 7
        ("informational_held", 2, 0.6667),  # 2 / 3
        ("referrals", 1, 0.5),  # 1 / 2
        ("job_interviews_held", 2, 2.0),  # 2 / 1
        ("offers", 2, 1.0),  # 2 / 2
    ]

    coaches = {c["coach_id"]: c for c in report["coaches"]}
    assert set(coaches) == {str(c.user_id) for c in (c1, c2, c3)}
    first = coaches[str(c1.user_id)]  # Xena and Yuri
    assert (first["clients"], first["active_clients"], first["stalled_clients"]) == (2, 2, 0)
    assert first["totals"] == {
        "outreach_sent": 6,
        "responses": 3,
        "informational_held": 2,
        "job_interviews_held": 1,
        "referrals": 1,
        "offers": 1,
    }
    second = coaches[str(c2.user_id)]  # Yuri and Walt (placed)
    assert (second["clients"], second["active_clients"]) == (2, 1)
    assert second["totals"]["offers"] == 1
    assert second["medians"]["outreach_sent"] == 2.0  # Yuri alone is active
    idle = coaches[str(c3.user_id)]
    assert (idle["clients"], idle["totals"]["outreach_sent"], idle["funnel"][1]["conversion"]) == (
        0,
        0,
        None,
    )
    assert idle["medians"]["score"] is None
    unassigned = report["unassigned"]
    assert (unassigned["clients"], unassigned["stalled_clients"]) == (1, 1)  # Zoe
    assert unassigned["totals"]["outreach_sent"] == 1

    # Owners and admins only.
    assert (await client.get(URL, headers=c1.headers)).status_code == 403
    assert (await client.get(URL, headers=login.headers)).status_code == 403
    assert (await client.get(URL, headers=owner.headers)).status_code == 200


async def test_the_organization_report_as_csv_has_a_row_per_group(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client, organization_name="Northstar, Inc.")
    org = owner.organization_id
    key = await add_api_key(db, org, [s.value for s in Scope])
    coach = await add_member(client, db, org, Role.coach)
    with frozen_clock("2026-10-01T09:00:00+00:00") as clock:
        xena = await _seeker(client, key, "Xena", clock)
        zoe = await _seeker(client, key, "Zoe", clock)
        await assign_coach(client, owner, xena[0], coach)
        clock.set("2026-10-17T10:00:00+00:00")
        await _outreach(client, key, xena, 3, 1)
        await _outreach(client, key, zoe, 1, 0)
        await _job_offer(client, key, xena)
        by_format = await client.get(URL, params={**WINDOW, "format": "csv"}, headers=key.headers)
        by_accept = await client.get(
            URL, params=WINDOW, headers={**key.headers, "Accept": "text/csv"}
        )
        as_json = await client.get(
            URL,
            params=WINDOW,
            headers={**key.headers, "Accept": "application/json, text/csv;q=0.5"},
        )
    coach_name = next(
        c["full_name"] for c in as_json.json()["coaches"] if c["coach_id"] == str(coach.user_id)
    )

    for response in (by_format, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == (
            'attachment; filename="organization-2026-10-05-2026-10-19.csv"'
        )
        rows = list(csv.reader(io.StringIO(response.text, newline="")))
        assert rows == [
            [
                "group",
                "coach_id",
                "full_name",
                "clients",
                "active_clients",
                "stalled_clients",
                "outreach_sent",
                "responses",
                "informational_held",
                "job_interviews_held",
                "referrals",
                "offers",
                "window_from",
                "window_to",
            ],
            [
                "organization",
                "",
                "Northstar, Inc.",
                *("2", "2", "0", "4", "1", "0", "1", "0", "1"),
                *("2026-10-05", "2026-10-19"),
            ],
            [
                "coach",
                str(coach.user_id),
                coach_name,
                *("1", "1", "0", "3", "1", "0", "1", "0", "1"),
                *("2026-10-05", "2026-10-19"),
            ],
            [
                "unassigned",
                "",
                "",
                *("1", "1", "0", "1", "0", "0", "0", "0", "0"),
                *("2026-10-05", "2026-10-19"),
            ],
        ]
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
