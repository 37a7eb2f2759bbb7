from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from tests.factories.cast import Cast
from tests.factories.clients import create_client
from tests.factories.contacts import create_chain, create_contact, set_contact_columns
from tests.factories.identity import Actor, signup
from tests.factories.traction import get_caseload
from tests.interviews.pipeline_factories import (
    counting_statements,
    create_company,
    create_interview,
    create_outreach,
    hold,
    link_to_company,
    move,
)


def stages(board: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    lane = next(lane for lane in board["lanes"] if lane["kind"] == kind)
    return {stage["stage"]: stage for stage in lane["stages"]}


async def test_the_board_groups_interviews_by_kind_and_stage_with_counts_and_ages(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    ana = await create_contact(client, owner, seeker["id"], full_name="Ana")
    acme = await create_company(client, owner, seeker["id"], name="Acme")
    first = await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
    await create_interview(client, owner, seeker["id"], contact_id=ana["id"])
    old = await create_interview(
        client, owner, seeker["id"], contact_id=ana["id"], company_id=acme["id"]
    )
    await hold(client, owner, old["id"], at=(utc_now() - timedelta(hours=50)).isoformat())
    await create_interview(client, owner, seeker["id"], kind="job")

    response = await client.get(f"/api/v1/clients/{seeker['id']}/pipeline", headers=owner.headers)

    assert response.status_code == 200
    board = response.json()
    informational = stages(board, "informational")
    assert list(informational) == [
        "requested",
        "scheduled",
        "held",
        "followed_up",
        "cancelled",
        "no_show",
    ]
    assert {s: v["count"] for s, v in informational.items() if v["count"]} == {
        "requested": 2,
        "held": 1,
    }
    assert informational["requested"]["interviews"][0]["id"] == first["id"]
    held = informational["held"]
    assert held["oldest_age_hours"] >= 50
    assert held["interviews"][0]["company_name"] == "Acme"
    assert held["interviews"][0]["contact_name"] == "Ana"
    assert informational["cancelled"] == {
        "stage": "cancelled",
        "count": 0,
        "oldest_since": None,
        "oldest_age_hours": None,
        "interviews": [],
    }
    assert stages(board, "job")["scheduled"]["count"] == 1


async def test_a_client_sees_their_own_board_and_next_actions_and_no_one_elses(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    seeker, coach = cast.client_login, cast.coach
    mine, theirs = cast.seeker, cast.other
    outsider = await signup(client)

    for path in ("pipeline", "next-actions"):
        own = await client.get(f"/api/v1/clients/{mine['id']}/{path}", headers=seeker.headers)
        assert own.status_code == 200
        for actor in (seeker, coach, outsider):
            other = await client.get(
                f"/api/v1/clients/{theirs['id']}/{path}", headers=actor.headers
            )
            assert other.status_code == 404


async def arrange(http: httpx.AsyncClient, owner: Actor, db: AsyncSession, size: int) -> str:
    seeker = await create_client(http, owner)
    for i in range(size):
        contact = await create_contact(http, owner, seeker["id"], full_name=f"C{i}")
        interview = await create_interview(http, owner, seeker["id"], contact_id=contact["id"])
        await hold(http, owner, interview["id"], at=(utc_now() - timedelta(days=2)).isoformat())
        await create_outreach(
            http,
            owner,
            seeker["id"],
            contact["id"],
            status="sent",
            status_at=(utc_now() - timedelta(days=9)).isoformat(),
        )
        await create_company(http, owner, seeker["id"], name=f"Co{i}")
    return str(seeker["id"])


async def test_the_board_and_next_actions_cost_the_same_queries_for_any_size(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    counts: dict[str, list[int]] = {"pipeline": [], "next-actions": []}
    for size in (1, 8):
        owner = await signup(client)
        client_id = await arrange(client, owner, db, size)
        for path in counts:
            with counting_statements(app) as statements:
                response = await client.get(
                    f"/api/v1/clients/{client_id}/{path}", headers=owner.headers
                )
            assert response.status_code == 200
            counts[path].append(len(statements))
    assert counts["pipeline"][0] == counts["pipeline"][1]
    assert counts["next-actions"][0] == counts["next-actions"][1]


async def test_next_actions_are_ranked_with_reasons_and_the_objects_they_concern(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    now = utc_now()
    met, fresh = await create_chain(client, owner, cid, "Met Long Ago", "Fresh Referral")
    # Held two days ago, no thank-you, no referral from this meeting yet.
    thankless = await create_interview(client, owner, cid, contact_id=met["id"])
    await hold(client, owner, thankless["id"], at=(now - timedelta(days=2)).isoformat())
    # Held and followed up, and it yielded a name: nothing to do about it.
    done_contact = await create_contact(client, owner, cid, full_name="Done Deal")
    done = await create_interview(client, owner, cid, contact_id=done_contact["id"])
    await hold(client, owner, done["id"])
    assert (await move(client, owner, done["id"], "followed_up")).status_code == 200
    yielded = await client.post(
        f"/api/v1/interviews/{done['id']}/referrals",
        json={"contacts": [{"full_name": "Yielded Name"}]},
        headers=owner.headers,
    )
    assert yielded.status_code == 200
    silent = await create_contact(client, owner, cid, full_name="Silent Sam")
    unanswered = await create_outreach(
        client,
        owner,
        cid,
        silent["id"],
        status="sent",
        status_at=(now - timedelta(days=8)).isoformat(),
    )
    await create_outreach(client, owner, cid, silent["id"], status="sent")  # too recent
    cooling = await create_contact(client, owner, cid, full_name="Cooling Cara")
    await set_contact_columns(
        db, owner.organization_id, cooling["id"], last_contacted_at=now - timedelta(days=20)
    )
    due = await create_contact(client, owner, cid, full_name="Due Dan")
    await set_contact_columns(
        db, owner.organization_id, due["id"], next_follow_up_at=now - timedelta(hours=1)
    )
    empty_target = await create_company(client, owner, cid, name="Nobody Yet", status="targeted")
    staffed = await create_company(client, owner, cid, name="Staffed")
    await link_to_company(db, owner.organization_id, fresh["id"], staffed["id"])
    await create_company(client, owner, cid, name="Closed Co", status="closed")

    response = await client.get(f"/api/v1/clients/{cid}/next-actions", headers=owner.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["thresholds"] == {
        "thank_you_after_hours": 24,
        "outreach_follow_up_after_days": 7,
        "cold_after_days": 30,
        "stalled_after_days": 14,
    }
    actions = [
        (
            a["rank"],
            a["kind"],
            a["interview_id"],
            a["contact_id"],
            a["outreach_id"],
            a["company_id"],
        )
        for a in body["actions"]
    ]
    named = yielded.json()["referrals"][0]["contact_id"]
    # By priority: the overdue thank-you; the two introductions nobody followed yet (the
    # earlier first); the meeting without a name; the planned follow-up; the cooling
    # contact; the target without a person. Silent Sam's old outreach waits no longer:
    # the second message just sent to him is the follow-up. No one is advised as "knows
    # you well": none has strength 4 or answered, and the warm roots introduced someone.
    assert actions == [
        (1, "send_thank_you", thankless["id"], met["id"], None, None),
        (2, "contact_new_referral", None, fresh["id"], None, staffed["id"]),
        (3, "contact_new_referral", None, named, None, None),
        (4, "ask_for_referral", thankless["id"], met["id"], None, None),
        (5, "follow_up_due", None, due["id"], None, None),
        (6, "contact_turning_cold", None, cooling["id"], None, None),
        (7, "find_person_at_company", None, None, None, empty_target["id"]),
    ]
    assert unanswered["id"] not in {a["outreach_id"] for a in body["actions"]}
    assert all(a["reason"] and a["suggested_step"] for a in body["actions"])
    assert "Met Long Ago" in body["actions"][0]["reason"]
    assert body["actions"][0]["id"] == f"send_thank_you.{thankless['id']}"

    limited = await client.get(
        f"/api/v1/clients/{cid}/next-actions", params={"limit": 2}, headers=owner.headers
    )
    assert [a["kind"] for a in limited.json()["actions"]] == [
        "send_thank_you",
        "contact_new_referral",
    ]


async def test_a_meeting_whose_contact_was_deleted_asks_for_no_referral_in_either_view(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    held_at = (utc_now() - timedelta(days=2)).isoformat()
    gone = await create_contact(client, owner, cid, full_name="Gone Away")
    ana = await create_contact(client, owner, cid, full_name="Ana")
    interviews = {}
    for contact in (gone, ana):
        interviews[contact["full_name"]] = await create_interview(
            client, owner, cid, contact_id=contact["id"]
        )
        await hold(client, owner, interviews[contact["full_name"]]["id"], at=held_at)
    deleted = await client.delete(f"/api/v1/contacts/{gone['id']}", headers=owner.headers)
    assert deleted.status_code == 200, deleted.text

    response = await client.get(f"/api/v1/clients/{cid}/next-actions", headers=owner.headers)

    assert response.status_code == 200
    kinds = {}
    for action in response.json()["actions"]:
        kinds.setdefault(action["interview_id"], []).append(action["kind"])
    # The meeting stays (its contact is now unknown): a thank-you is still due, but there
    # is no one to ask for a name.
    assert kinds[interviews["Gone Away"]["id"]] == ["send_thank_you"]
    assert kinds[interviews["Ana"]["id"]] == ["send_thank_you", "ask_for_referral"]
    caseload = await get_caseload(client, owner)
    counts = [row["next_action_count"] for row in caseload["data"]]
    assert counts == [len(response.json()["actions"])]
