"""`GET /clients/{client_id}/export`: everything stored about one client."""

import csv
import io
import zipfile
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import add_api_key, add_member, sign_in, signup
from tests.interviews.pipeline_factories import (
    counting_statements,
    create_company,
    create_interview,
    create_outreach,
    hold,
)
from tests.privacy.dataset import LOGIN_PASSWORD, export_of, rich_client


async def test_the_export_holds_everything_about_the_client(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    data = await rich_client(client, owner)
    other = await create_client(client, owner, full_name="Somebody Else")
    await create_contact(client, owner, other["id"], full_name="Not Graces Contact")

    response = await export_of(client, owner, data.client_id)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["client"]["id"] == data.client_id
    assert export["client"]["notes"] == "Coach note: nervous about interviews"
    assert [login["email"] for login in export["logins"]] == [data.login_email]
    names = [c["full_name"] for c in export["contacts"]]
    assert names == ["Ada Lovelaceworth", "Charles Babbageford"]
    referral = export["contacts"][1]
    assert referral["referred_by_id"] == data.contact_id
    assert referral["referred_in_interview_id"] == data.interview_id
    # The call logged by hand; the email and the meeting that sending the outreach and
    # holding the interview logged.
    assert {i["kind"] for i in export["interactions"]} == {"call", "email", "meeting"}
    assert [c["why_interested"] for c in export["companies"]] == ["Dream of Babbage"]
    assert [o["message"] for o in export["outreach"]] == ["Dear Ada, would you spare 20 minutes"]
    (interview,) = export["interviews"]
    assert interview["coach_notes"] == "Coach: push for a referral"
    assert [s["to_stage"] for s in interview["stage_history"]] == [
        "requested",
        "scheduled",
        "held",
    ]
    assert interview["stage_history"][-1]["note"] == "Went well at the tea room"
    types = [e["type"] for e in export["events"]]
    assert "client.created" in types
    assert "contact.created" in types
    # The client's login joined through an invitation: that event is about them too.
    assert "member.joined" in types
    assert all(
        e["client_id"] == data.client_id or e["data"].get("client_id") == data.client_id
        for e in export["events"]
    )
    assert "Not Graces Contact" not in response.text
    assert "Somebody Else" not in response.text


async def test_the_client_exports_their_own_data_without_coach_notes_or_events(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    data = await rich_client(client, owner)
    signed_in = await sign_in(client, data.login_email, password=LOGIN_PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    response = await client.get(f"/api/v1/clients/{data.client_id}/export", headers=headers)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["client"]["notes"] is None
    assert export["interviews"][0]["coach_notes"] is None
    assert export["interviews"][0]["notes"] == "She loves poetry"
    assert export["events"] is None
    assert "Coach note" not in response.text
    assert "push for a referral" not in response.text


async def test_who_may_export(client: httpx.AsyncClient, db: AsyncSession, cast: Cast) -> None:
    owner, coach = cast.owner, cast.coach
    org = owner.organization_id
    grace, henry = cast.seeker, cast.other
    admin = await add_member(client, db, org, Role.admin)
    henrys_login = await add_member(client, db, org, Role.client, client_id=henry["id"])
    stranger = await signup(client, organization_name="Elsewhere")
    key = await add_api_key(db, org, ["clients:read", "contacts:read", "reports:read"])

    for allowed in (owner, admin, coach):
        assert (await export_of(client, allowed, grace["id"])).status_code == 200
    assert (await export_of(client, coach, henry["id"])).status_code == 404
    assert (await export_of(client, henrys_login, grace["id"])).status_code == 404
    assert (await export_of(client, stranger, grace["id"])).status_code == 404
    refused = await export_of(client, key, grace["id"])
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_the_zip_has_one_csv_per_table_safe_for_spreadsheets(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    data = await rich_client(client, owner)
    await create_contact(client, owner, data.client_id, full_name='=HYPERLINK("http://x")')

    response = await export_of(client, owner, data.client_id, format="zip")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "client.csv",
        "companies.csv",
        "contacts.csv",
        "events.csv",
        "interactions.csv",
        "interview_stage_changes.csv",
        "interviews.csv",
        "logins.csv",
        "outreach.csv",
    ]

    def table(name: str) -> list[dict[str, Any]]:
        text = archive.read(name).decode("utf-8")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    contacts = table("contacts.csv")
    assert [c["full_name"] for c in contacts] == [
        "Ada Lovelaceworth",
        "Charles Babbageford",
        '\'=HYPERLINK("http://x")',
    ]
    assert contacts[0]["tags"] == '["numbers-lady"]'
    assert [row["to_stage"] for row in table("interview_stage_changes.csv")] == [
        "requested",
        "scheduled",
        "held",
    ]
    assert {row["interview_id"] for row in table("interview_stage_changes.csv")} == {
        data.interview_id
    }
    assert table("client.csv")[0]["id"] == data.client_id
    assert "stage_history" not in table("interviews.csv")[0]


async def test_an_export_is_recorded_in_the_audit_log(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    grace = await create_client(client, owner)
    assert (await export_of(client, owner, grace["id"], format="zip")).status_code == 200
    log = await client.get("/api/v1/audit-log", params={"action": "export"}, headers=owner.headers)
    (entry,) = log.json()["data"]
    assert (entry["object_type"], entry["object_id"], entry["client_id"]) == (
        "client",
        grace["id"],
        grace["id"],
    )
    assert entry["actor_user_id"] == str(owner.user_id)
    assert entry["changes"] == ["format:zip"]


async def test_the_export_costs_the_same_queries_for_a_small_or_a_large_client(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await signup(client)
    small = await rich_client(client, owner, tag="-s")
    large = await rich_client(client, owner, tag="-l")
    for n in range(3):
        extra = await create_contact(client, owner, large.client_id, full_name=f"Extra {n}")
        company = await create_company(client, owner, large.client_id, name=f"Extra Co {n}")
        await create_outreach(client, owner, large.client_id, extra["id"], status="sent")
        interview = await create_interview(
            client, owner, large.client_id, contact_id=extra["id"], company_id=company["id"]
        )
        await hold(client, owner, interview["id"])

    counts = []
    for data in (small, large):
        with counting_statements(app) as statements:
            assert (await export_of(client, owner, data.client_id)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
