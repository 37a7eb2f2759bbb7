"""The activity report: a client's proof of job-search effort, as CSV or printable HTML."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.models.enums import Role
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import Actor, add_member, signup
from tests.interviews.pipeline_factories import (
    counting_statements,
    create_company,
    create_interview,
    create_outreach,
    link_to_company,
    move,
)

HEADER = ["Date", "Activity", "Company", "Contact", "Contact role", "Description"]
SCRIPT_NAME = "<script>alert('x')</script>"
FORMULA_NAME = "=cmd()|' /C calc'!A0"
# What must never reach a report: third-party details, free text, coach-only notes.
SECRETS = [
    "ana@example.com",
    "+1 555 0100",
    "linkedin.com/in/ana-root",
    "Ana's private note",
    "Lunch went long",
    "Would love 20 minutes",
    "Coffee next week?",
    "Interview notes: salary band",
    "COACH ONLY: seems anxious",
    "Transition note",
    "formula@example.com",
]


@dataclass
class Seeker:
    owner: Actor
    client_id: str


async def _report(
    http: httpx.AsyncClient, actor: Actor, client_id: str, **params: str
) -> httpx.Response:
    return await http.get(
        f"/api/v1/clients/{client_id}/activity-report", params=params, headers=actor.headers
    )


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text, newline="")))


async def _interaction(http: httpx.AsyncClient, actor: Actor, contact_id: str, **body: Any) -> None:
    response = await http.post(
        f"/api/v1/contacts/{contact_id}/interactions", json=body, headers=actor.headers
    )
    assert response.status_code == 201, response.text


async def _patch_outreach(
    http: httpx.AsyncClient, actor: Actor, outreach_id: str, **body: Any
) -> None:
    response = await http.patch(f"/api/v1/outreach/{outreach_id}", json=body, headers=actor.headers)
    assert response.status_code == 200, response.text


async def _moved(
    http: httpx.AsyncClient, actor: Actor, interview_id: str, stage: str, at: str
) -> None:
    response = await move(http, actor, interview_id, stage, at=at, note="Transition note")
    assert response.status_code == 200, response.text


async def _march_2024(http: httpx.AsyncClient, db: AsyncSession) -> Seeker:
    """A fixed month of activity: outreach, an informational interview, a job interview and
    hand-logged touches, some just outside the window [2024-03-01, 2024-03-29) in UTC."""
    owner = await signup(http)
    client_id = (await create_client(http, owner, full_name="Grace Jobseeker"))["id"]
    globex = await create_company(http, owner, client_id, name="Globex")
    initech = await create_company(http, owner, client_id, name="Initech")
    ana = await create_contact(
        http,
        owner,
        client_id,
        full_name="Ana Root",
        email="ana@example.com",
        phone="+1 555 0100",
        linkedin_url="https://www.linkedin.com/in/ana-root",
        company_name="Acme",
        role_at_company="hiring_manager",
        notes="Ana's private note",
    )
    script = await create_contact(
        http, owner, client_id, full_name=SCRIPT_NAME, company_name='Evil, Inc. "the best"'
    )
    formula = await create_contact(
        http,
        owner,
        client_id,
        full_name=FORMULA_NAME,
        email="formula@example.com",
        company_name="typed name, ignored once linked",
        role_at_company="hr",
    )
    await link_to_company(db, owner.organization_id, formula["id"], initech["id"])

    # Sent before the window (left out), declined exactly at its start (kept).
    late = await create_outreach(
        http,
        owner,
        client_id,
        formula["id"],
        channel="linkedin",
        purpose="follow_up",
        status="sent",
        status_at="2024-02-29T23:59:59Z",
    )
    await _patch_outreach(
        http, owner, late["id"], status="declined", status_at="2024-03-01T00:00:00Z"
    )
    asked = await create_outreach(
        http,
        owner,
        client_id,
        ana["id"],
        company_id=globex["id"],
        subject="Coffee next week?",
        message="Would love 20 minutes",
        status="sent",
        status_at="2024-03-04T09:00:00Z",
    )
    await _patch_outreach(
        http, owner, asked["id"], status="responded", status_at="2024-03-05T10:00:00Z"
    )

    # Requested today (outside the window), then back-dated steps.
    meeting = await create_interview(
        http,
        owner,
        client_id,
        contact_id=ana["id"],
        notes="Interview notes: salary band",
        coach_notes="COACH ONLY: seems anxious",
    )
    await _moved(http, owner, meeting["id"], "scheduled", "2024-03-06T08:00:00Z")
    await _moved(http, owner, meeting["id"], "held", "2024-03-07T15:00:00Z")
    await _moved(http, owner, meeting["id"], "followed_up", "2024-03-08T09:00:00Z")

    job = await create_interview(
        http, owner, client_id, kind="job", stage="scheduled", company_id=globex["id"]
    )
    await _moved(http, owner, job["id"], "held", "2024-03-20T10:00:00Z")
    await _moved(http, owner, job["id"], "offer", "2024-03-21T16:30:00Z")

    await _interaction(
        http,
        owner,
        script["id"],
        kind="call",
        occurred_at="2024-03-10T12:00:00Z",
        summary="Lunch went long",
    )
    await _interaction(http, owner, ana["id"], kind="note", occurred_at="2024-03-11T12:00:00Z")
    await _interaction(
        http,
        owner,
        ana["id"],
        kind="email",
        direction="inbound",
        occurred_at="2024-03-28T23:59:59Z",
    )
    await _interaction(http, owner, ana["id"], kind="meeting", occurred_at="2024-03-29T00:00:00Z")
    return Seeker(owner, client_id)


MARCH = {"from": "2024-03-01", "to": "2024-03-29", "tz": "UTC"}

EXPECTED = [
    HEADER,
    [
        "2024-03-01",
        "Outreach answered",
        "Initech",
        "'" + FORMULA_NAME,
        "HR",
        "Declined: follow-up",
    ],
    [
        "2024-03-04",
        "Outreach sent",
        "Globex",
        "Ana Root",
        "Hiring manager",
        "Sent by email: informational interview request",
    ],
    [
        "2024-03-05",
        "Outreach answered",
        "Globex",
        "Ana Root",
        "Hiring manager",
        "Replied: informational interview request",
    ],
    [
        "2024-03-06",
        "Informational interview",
        "Acme",
        "Ana Root",
        "Hiring manager",
        "Scheduled (was requested)",
    ],
    [
        "2024-03-07",
        "Informational interview",
        "Acme",
        "Ana Root",
        "Hiring manager",
        "Held (was scheduled)",
    ],
    [
        "2024-03-08",
        "Informational interview",
        "Acme",
        "Ana Root",
        "Hiring manager",
        "Followed up (was held)",
    ],
    ["2024-03-10", "Call", 'Evil, Inc. "the best"', SCRIPT_NAME, "", "Called them"],
    ["2024-03-20", "Job interview", "Globex", "", "", "Held (was scheduled)"],
    ["2024-03-21", "Job interview", "Globex", "", "", "Offer received (was held)"],
    ["2024-03-28", "Email", "Acme", "Ana Root", "Hiring manager", "Email received"],
]


async def test_the_csv_lists_the_months_activity_in_date_order(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)

    response = await _report(client, seeker.owner, seeker.client_id, **MARCH)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="activity-2024-03-01-to-2024-03-28.csv"'
    )
    # Pipeline steps appear once: the touches they log are not listed a second time.
    assert _rows(response) == EXPECTED


async def test_the_csv_follows_rfc_4180_and_defuses_formulas(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)

    text = (await _report(client, seeker.owner, seeker.client_id, **MARCH)).text

    lines = text.split("\r\n")
    assert lines[0] == "Date,Activity,Company,Contact,Contact role,Description"
    assert lines[-1] == ""  # every line, the last included, ends with CRLF
    assert '"Evil, Inc. ""the best"""' in text
    assert "'=cmd()" in text
    for row in csv.reader(io.StringIO(text, newline="")):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


async def test_no_contact_details_free_text_or_coach_notes_reach_either_format(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)

    for fmt in ("csv", "html"):
        response = await _report(client, seeker.owner, seeker.client_id, format=fmt, **MARCH)
        assert response.status_code == 200, response.text
        text = response.text
        assert "Informational interview" in text or "informational" in text.lower()
        leaked = [secret for secret in SECRETS if secret in text]
        assert leaked == [], f"{fmt}: {leaked}"
        assert "@" not in text.replace("@page", "").replace("@media", "")


async def test_the_html_page_is_printable_self_contained_and_escaped(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)

    response = await _report(client, seeker.owner, seeker.client_id, format="html", **MARCH)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Evil, Inc. &quot;the best&quot;" in page
    assert "=cmd()|&#x27; /C calc&#x27;!A0" in page
    # Nothing to fetch: no links, sources or imports; print rules inline.
    for external in ("src=", "href=", "@import", "url(", "http://", "https://"):
        assert external not in page
    assert "@page" in page
    assert "display: table-header-group" in page
    assert page.count("<thead>") == 1
    assert page.count("<tr>") == 1 + (len(EXPECTED) - 1) + 6  # header, rows, summary lines
    assert "From 2024-03-01 to 2024-03-28 (inclusive, UTC)" in page
    assert "10 activities" in page


async def test_the_summary_counts_each_meeting_once_when_it_was_held(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)

    page = (await _report(client, seeker.owner, seeker.client_id, format="html", **MARCH)).text

    summary = page.split('<table class="summary"><tbody>')[1].split("</tbody>")[0]
    # The informational interview was scheduled, held and followed up: one meeting. The
    # job interview was held, then made an offer: one more.
    assert summary == "".join(
        f"<tr><td>{label}</td><td>{count}</td></tr>"
        for label, count in (
            ("Call", 1),
            ("Email", 1),
            ("Informational interviews held", 1),
            ("Job interviews held", 1),
            ("Outreach answered", 2),
            ("Outreach sent", 1),
        )
    )


async def test_one_activity_reads_in_the_singular(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]
    ana = await create_contact(client, owner, client_id, full_name="Ana Root")
    await _interaction(client, owner, ana["id"], kind="call")

    page = (await _report(client, owner, client_id, format="html")).text

    assert "&middot; 1 activity &middot;" in page


async def test_an_empty_window_gives_the_header_alone_and_an_empty_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)
    window = {"from": "2023-01-01", "to": "2023-02-01"}

    csv_response = await _report(client, seeker.owner, seeker.client_id, **window)
    html_response = await _report(client, seeker.owner, seeker.client_id, format="html", **window)

    assert _rows(csv_response) == [HEADER]
    assert "No activity recorded in this period." in html_response.text


async def test_the_window_is_whole_days_from_to_in_the_time_zone(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]
    ana = await create_contact(client, owner, client_id, full_name="Ana Root")
    # Paris is UTC+1 in early March: the window [03-01, 03-08) is
    # [2024-02-29T23:00Z, 2024-03-07T23:00Z).
    for at in (
        "2024-02-29T22:59:59Z",  # out: 23:59:59 on Feb 29 in Paris
        "2024-02-29T23:00:00Z",  # in: midnight starting March 1 in Paris
        "2024-03-07T22:59:59Z",  # in: the last second of March 7 in Paris
        "2024-03-07T23:00:00Z",  # out: `to` is exclusive
    ):
        await _interaction(client, owner, ana["id"], kind="call", occurred_at=at)

    response = await _report(
        client, owner, client_id, **{"from": "2024-03-01", "to": "2024-03-08", "tz": "Europe/Paris"}
    )

    assert [row[0] for row in _rows(response)[1:]] == ["2024-03-01", "2024-03-07"]


async def test_the_default_window_is_the_last_28_days_in_the_organizations_zone(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]
    ana = await create_contact(client, owner, client_id, full_name="Ana Root")
    now = utc_now()
    for days_ago in (0, 27, 29):
        at = (now - timedelta(days=days_ago)).isoformat()
        await _interaction(client, owner, ana["id"], kind="call", occurred_at=at)

    rows = _rows(await _report(client, owner, client_id))

    expected_days = [(now - timedelta(days=d)).date().isoformat() for d in (27, 0)]
    assert [row[0] for row in rows[1:]] == expected_days


async def test_an_unknown_format_or_a_bad_window_is_a_422(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]

    for params in (
        {"format": "pdf"},
        {"from": "2024-03-08", "to": "2024-03-01"},
        {"from": "2024-03-01", "to": "2024-03-01"},
        {"from": "2022-01-01", "to": "2024-01-01"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"tz": "Mars/Olympus_Mons"},
        {"from": "not-a-date"},
    ):
        response = await _report(client, owner, client_id, **params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_client_prints_their_own_report_and_no_one_else_sees_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    seeker = await _march_2024(client, db)
    own_login = await add_member(
        client, db, seeker.owner.organization_id, Role.client, client_id=seeker.client_id
    )
    stranger = await signup(client, organization_name="Elsewhere")
    other_seeker = (await create_client(client, seeker.owner))["id"]
    other_login = await add_member(
        client, db, seeker.owner.organization_id, Role.client, client_id=other_seeker
    )

    own = await _report(client, own_login, seeker.client_id, **MARCH)
    foreign = await _report(client, stranger, seeker.client_id, **MARCH)
    sibling = await _report(client, other_login, seeker.client_id, **MARCH)

    assert own.status_code == 200
    assert _rows(own) == EXPECTED
    assert foreign.status_code == 404
    assert sibling.status_code == 404


async def test_the_report_takes_the_same_queries_for_few_or_many_activities(
    app: Any, client: httpx.AsyncClient
) -> None:
    owner = await signup(client)
    client_id = (await create_client(client, owner))["id"]
    ana = await create_contact(client, owner, client_id, full_name="Ana Root")
    await _interaction(client, owner, ana["id"], kind="call")

    with counting_statements(app) as few:
        assert (await _report(client, owner, client_id)).status_code == 200
    for _ in range(5):
        contact = await create_contact(client, owner, client_id, full_name="Ben Busy")
        await _interaction(client, owner, contact["id"], kind="meeting")
        await create_outreach(client, owner, client_id, contact["id"], status="sent")
        interview = await create_interview(client, owner, client_id, contact_id=contact["id"])
        await move(client, owner, interview["id"], "scheduled")
    with counting_statements(app) as many:
        response = await _report(client, owner, client_id, format="html")

    assert response.status_code == 200
    assert "21 activities" in response.text  # 1 + 5 x (meeting, sent, requested, scheduled)
    assert len(many) == len(few)
