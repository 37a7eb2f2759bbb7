"""`coach-api seed-demo`: a demo practice that shows the whole product, read back through
the API as its coaches, owner and client would."""

import csv
import io
import itertools
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.time import utc_now
from app.db.session import async_database_url
from app.demo import (
    DEMO_ORGANIZATION,
    DEMO_PASSWORD,
    FIRST_CALLS,
    LOGINS,
    describe_logins,
    seed_demo_database,
)
from app.demo.caseload import CLIENTS, HIROSHI, JONAS, LUCIA, MAYA, SVEN
from app.demo.cast import CAMERON, COACHES, OWNER
from app.demo.story import INFORMATIONAL, JOB, Ask, Meeting, Person, path
from app.models import Organization
from tests.conftest import POSTGRES_URL, Database, _admin_execute

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# ---- the command, on databases of every kind ----------------------------------------


def seed_demo_command(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """`coach-api seed-demo` as a newcomer runs it: a process of its own, with only the
    `COACH_*` variables given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env |= {"COACH_ENV": "test", "PYTHONPATH": str(PROJECT_ROOT), **environment}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "seed-demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_seed_demo_migrates_a_fresh_database_first_and_seeds_it_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    url = f"sqlite+aiosqlite:///{path}"

    first = seed_demo_command(tmp_path, COACH_DATABASE_URL=url)
    again = seed_demo_command(tmp_path, COACH_DATABASE_URL=url)

    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert f'"{DEMO_ORGANIZATION}" created' in first.stdout
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout
    with sqlite3.connect(path) as database:
        organizations = database.execute("SELECT count(*) FROM organizations").fetchone()
        clients = database.execute("SELECT count(*) FROM clients").fetchone()
    assert organizations == (1,)
    assert clients == (len(CLIENTS),)


def test_seed_demo_says_in_one_line_when_it_cannot_reach_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'coach.db'}"

    result = seed_demo_command(tmp_path, COACH_DATABASE_URL=url)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("seed-demo: cannot reach")


def test_seed_demo_refuses_a_production_deployment(tmp_path: Path) -> None:
    path = tmp_path / "production.db"

    result = seed_demo_command(
        tmp_path,
        COACH_ENV="production",
        COACH_JWT_SECRET="production-like-secret-" + "x" * 40,
        COACH_TOTP_ENCRYPTION_KEYS="production-like-totp-key-" + "x" * 40,
        COACH_DATABASE_URL=f"sqlite+aiosqlite:///{path}",
    )

    assert result.returncode == 1
    assert result.stderr.startswith("seed-demo: refused with COACH_ENV=production")
    assert not path.exists()


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs COACH_TEST_POSTGRES_URL")
async def test_seed_demo_as_a_role_that_cannot_create_tables_says_what_to_run(
    tmp_path: Path,
) -> None:
    """The API's role on an empty database may not create the schema, so the command
    says how to migrate as the tables' owner."""
    assert POSTGRES_URL is not None
    suffix = uuid.uuid4().hex[:12]
    name, role = f"coach_demo_{suffix}", f"coach_demo_app_{suffix}"
    server = make_url(async_database_url(POSTGRES_URL))
    await _admin_execute(
        POSTGRES_URL, f'CREATE DATABASE "{name}"', f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'x'"
    )
    try:
        # PostgreSQL 15 grants no CREATE on `public` already; older servers did.
        superuser = server.set(database=name).render_as_string(hide_password=False)
        await _admin_execute(superuser, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        url = server.set(database=name, username=role, password="x")

        result = seed_demo_command(
            tmp_path, COACH_DATABASE_URL=url.render_as_string(hide_password=False)
        )

        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        said = result.stderr.splitlines()[-1]
        assert said.startswith("seed-demo: cannot migrate"), result.stderr
        assert "permission denied" in said
        assert "coach-api migrate" in said
        assert ":x@" not in said  # the password stays hidden
    finally:
        await _admin_execute(
            POSTGRES_URL,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{role}"',
        )


async def test_seed_demo_twice_does_not_duplicate(
    database: Database, settings: Settings, db: AsyncSession
) -> None:
    await seed_demo_database(settings, database.owner_url)

    again = await seed_demo_database(settings, database.owner_url)

    assert again is False
    assert "already exists" in describe_logins(created=again)
    organizations = await db.execute(
        select(func.count()).select_from(Organization).where(Organization.name == DEMO_ORGANIZATION)
    )
    assert organizations.scalar_one() == 1


# ---- the practice, through the API ----------------------------------------------------


@pytest.fixture
async def demo(database: Database, settings: Settings) -> None:
    """The demo practice in the session's database (seeded by the first test asking)."""
    await seed_demo_database(settings, database.owner_url)


async def sign_in(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def get(http: httpx.AsyncClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = await http.get(f"/api/v1{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def client_ids(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    listed = await get(http, headers, "/clients", limit=200)
    return {c["full_name"]: c["id"] for c in listed["data"]}


async def contacts_of(
    http: httpx.AsyncClient, headers: dict[str, str], client_id: str
) -> list[dict[str, Any]]:
    listed = await get(http, headers, f"/clients/{client_id}/contacts", limit=200)
    assert listed["next_cursor"] is None
    return list(listed["data"])


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.usefixtures("demo")
async def test_the_printed_logins_sign_in_and_the_summary_says_where_to_start(
    client: httpx.AsyncClient,
) -> None:
    printed = describe_logins(created=True)

    password = re.search(r"Password for every demo login: (\S+)", printed)
    logins = re.findall(r"^\s+(owner|coach|client)\s+(\S+@\S+)", printed, re.MULTILINE)
    assert password is not None
    assert sorted(role for role, _ in logins) == ["client", "coach", "coach", "owner"]
    for _, email in logins:
        headers = await sign_in(client, email)
        me = await get(client, headers, "/me")
        assert me["organization_name"] == DEMO_ORGANIZATION
    assert "GET /api/v1/reports/caseload" in printed
    assert "GET /api/v1/agenda" in printed


@pytest.mark.usefixtures("demo")
async def test_the_suggested_first_calls_answer_a_demo_coach(client: httpx.AsyncClient) -> None:
    cameron = await sign_in(client, CAMERON.email)
    maya = (await client_ids(client, cameron))[MAYA.full_name]

    for call, _ in FIRST_CALLS:
        method, path = call.split()
        response = await client.request(method, path.format(client_id=maya), headers=cameron)

        assert response.status_code == 200, (call, response.text)


@pytest.mark.usefixtures("demo")
async def test_each_coach_sees_only_their_own_clients_and_the_client_only_herself(
    client: httpx.AsyncClient,
) -> None:
    seen: set[str] = set()
    for coach in COACHES:
        headers = await sign_in(client, coach.email)
        theirs = {c.full_name for c in CLIENTS if c.coach == coach}

        listed = await client_ids(client, headers)
        caseload = await get(client, headers, "/reports/caseload", limit=200)

        assert set(listed) == theirs
        assert {row["full_name"] for row in caseload["data"]} == theirs
        seen |= theirs
    assert seen == {c.full_name for c in CLIENTS}
    assert len(await client_ids(client, await sign_in(client, OWNER.email))) == len(CLIENTS)
    (own,) = [login for login in LOGINS if login.role == "client"]
    assert list(await client_ids(client, await sign_in(client, own.email))) == [own.full_name]


@pytest.mark.usefixtures("demo")
async def test_the_caseload_shows_varied_scores_and_a_stalled_client(
    client: httpx.AsyncClient,
) -> None:
    cameron = await sign_in(client, CAMERON.email)

    rows = (await get(client, cameron, "/reports/caseload", limit=200))["data"]

    scores = [row["score"] for row in rows]
    assert all(score > 0 for score in scores)
    assert len(set(scores)) == len(scores)
    assert [row["full_name"] for row in rows if row["stalled"]] == [JONAS.full_name]
    assert all(row["next_action_count"] > 0 for row in rows)


@pytest.mark.usefixtures("demo")
async def test_the_thriving_client_has_traction_and_the_stalled_one_has_not(
    client: httpx.AsyncClient,
) -> None:
    cameron = await sign_in(client, CAMERON.email)
    ids = await client_ids(client, cameron)

    thriving = await get(client, cameron, f"/clients/{ids[MAYA.full_name]}/traction")
    stalled = await get(client, cameron, f"/clients/{ids[JONAS.full_name]}/traction")

    high, low = thriving["current"]["score"]["score"], stalled["current"]["score"]["score"]
    assert high >= 80
    assert high - low >= 60
    figures = thriving["current"]["figures"]
    assert figures["responses"] > 0
    assert figures["informational_held"] > 0
    assert figures["referrals"] >= figures["informational_held"]
    assert thriving["stalled"] is False
    assert stalled["stalled"] is True
    quiet = utc_now() - moment(stalled["last_moving_event_at"])
    assert quiet > timedelta(days=stalled["stalled_after_days"])


@pytest.mark.usefixtures("demo")
async def test_the_pipeline_shows_informational_and_job_interviews_at_every_turn(
    client: httpx.AsyncClient,
) -> None:
    cameron = await sign_in(client, CAMERON.email)
    ids = await client_ids(client, cameron)
    stages: dict[str, set[str]] = {"informational": set(), "job": set()}

    for client_id in ids.values():
        board = await get(client, cameron, f"/clients/{client_id}/pipeline")
        for lane in board["lanes"]:
            stages[lane["kind"]] |= {s["stage"] for s in lane["stages"] if s["count"]}

    assert {"scheduled", "held", "followed_up", "cancelled"} <= stages["informational"]
    assert {"scheduled", "held", "offer", "rejected"} <= stages["job"]
    interviews = (await get(client, cameron, f"/clients/{ids[MAYA.full_name]}/interviews"))["data"]
    upcoming = [
        i for i in interviews if i["scheduled_at"] and moment(i["scheduled_at"]) > utc_now()
    ]
    assert upcoming
    assert all(i["questions"] and i["stage"] == "scheduled" for i in upcoming)
    for interview in interviews:
        history = interview["stage_history"]
        assert history[0]["from_stage"] is None
        assert history[-1]["to_stage"] == interview["stage"]
        assert moment(history[-1]["occurred_at"]) == moment(interview["stage_changed_at"])


@pytest.mark.usefixtures("demo")
async def test_the_contact_tree_holds_a_chain_of_three_referrals_from_interviews(
    client: httpx.AsyncClient,
) -> None:
    cameron = await sign_in(client, CAMERON.email)
    maya = (await client_ids(client, cameron))[MAYA.full_name]
    contacts = {c["id"]: c for c in await contacts_of(client, cameron, maya)}
    from_interviews = [c for c in contacts.values() if c["referred_in_interview_id"]]
    deepest = max(from_interviews, key=lambda c: c["depth"])

    chain = (await get(client, cameron, f"/contacts/{deepest['id']}/chain"))["contacts"]

    assert deepest["depth"] >= 3
    assert len(chain) == deepest["depth"] + 1
    for referrer, referred in itertools.pairwise(chain):
        contact = contacts[referred["id"]]
        interview = await get(client, cameron, f"/interviews/{contact['referred_in_interview_id']}")
        assert contact["referred_by_id"] == referrer["id"]
        assert contact["source"] == "referral"
        assert interview["contact_id"] == referrer["id"]
        assert interview["held_at"] is not None


@pytest.mark.usefixtures("demo")
async def test_contacts_agree_with_their_interactions_as_the_services_keep_them(
    client: httpx.AsyncClient,
) -> None:
    robin = await sign_in(client, COACHES[1].email)
    for client_id in (await client_ids(client, robin)).values():
        contacts = await contacts_of(client, robin, client_id)
        touches = (await get(client, robin, f"/clients/{client_id}/interactions", limit=200))[
            "data"
        ]
        by_id = {c["id"]: c for c in contacts}
        for contact in contacts:
            mine = [moment(t["occurred_at"]) for t in touches if t["contact_id"] == contact["id"]]
            last = contact["last_contacted_at"]
            assert (moment(last) if last else None) == max(mine, default=None)
            assert all(at >= moment(contact["created_at"]) for at in mine)
            parent = by_id.get(contact["referred_by_id"] or "")
            assert contact["depth"] == (parent["depth"] + 1 if parent else 0)


@pytest.mark.usefixtures("demo")
async def test_the_other_states_show_through_the_api(client: httpx.AsyncClient) -> None:
    robin = await sign_in(client, COACHES[1].email)
    cameron = await sign_in(client, CAMERON.email)
    ids = {**await client_ids(client, robin), **await client_ids(client, cameron)}
    now = utc_now()

    cold = await contacts_of(client, robin, ids[SVEN.full_name])
    starting = await get(client, robin, f"/clients/{ids[HIROSHI.full_name]}")
    starting_contacts = await contacts_of(client, robin, ids[HIROSHI.full_name])
    offer = await get(client, cameron, f"/clients/{ids[LUCIA.full_name]}/pipeline")
    assert sum(c["warmth"] == "cold" for c in cold) > len(cold) / 2
    assert now - moment(starting["created_at"]) < timedelta(days=7)
    assert len(starting_contacts) <= 3
    assert all(c["last_contacted_at"] is None for c in starting_contacts)
    (job,) = [lane for lane in offer["lanes"] if lane["kind"] == "job"]
    assert {s["stage"]: s["count"] for s in job["stages"]}["offer"] == 1


@pytest.mark.usefixtures("demo")
async def test_follow_ups_are_planned_some_past_due(client: httpx.AsyncClient) -> None:
    owner = await sign_in(client, OWNER.email)
    planned = [
        moment(c["next_follow_up_at"])
        for client_id in (await client_ids(client, owner)).values()
        for c in await contacts_of(client, owner, client_id)
        if c["next_follow_up_at"]
    ]

    assert any(at < utc_now() for at in planned)
    assert any(at > utc_now() for at in planned)


@pytest.mark.usefixtures("demo")
async def test_every_active_search_has_an_activity_report(client: httpx.AsyncClient) -> None:
    cameron = await sign_in(client, CAMERON.email)
    activities: dict[str, set[str]] = {}

    for name, client_id in (await client_ids(client, cameron)).items():
        response = await client.get(f"/api/v1/clients/{client_id}/activity-report", headers=cameron)
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows, name
        activities[name] = {row["Activity"] for row in rows}

    assert {
        "Outreach sent",
        "Outreach answered",
        "Informational interview",
        "Job interview",
    } <= activities[MAYA.full_name]


@pytest.mark.usefixtures("demo")
async def test_the_webhook_endpoint_is_disabled_and_points_at_loopback(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_in(client, OWNER.email)

    (endpoint,) = (await get(client, owner, "/webhook-endpoints"))["data"]

    assert endpoint["enabled"] is False
    assert httpx.URL(endpoint["url"]).host == "127.0.0.1"


def test_a_cast_that_contradicts_itself_is_refused_before_any_row_is_written() -> None:
    with pytest.raises(ValueError, match="answered before it was sent"):
        Ask(3, answered=5)
    with pytest.raises(ValueError, match="cannot start"):
        Meeting(JOB, path(requested=3))
    with pytest.raises(ValueError, match="cannot go from"):
        Meeting(INFORMATIONAL, path(requested=9, held=3))
    with pytest.raises(ValueError, match="not held"):
        Meeting(INFORMATIONAL, path(requested=9), referrals=(Person("A B", None, None),))
