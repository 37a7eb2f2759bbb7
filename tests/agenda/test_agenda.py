"""The coach's agenda: every action across the caseload, ranked, and the answers to it."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from app.db.tenancy import bind_organization
from app.models import Client
from app.models.enums import Role
from tests.factories.cast import Cast
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_chain, create_contact, set_contact_columns
from tests.factories.identity import Actor, add_api_key, add_member, signup
from tests.factories.traction import get_caseload
from tests.interviews.pipeline_factories import (
    counting_statements,
    create_company,
    create_interview,
    create_outreach,
    hold,
    move,
)


async def agenda(http: httpx.AsyncClient, actor: Actor, **params: Any) -> list[dict[str, Any]]:
    response = await http.get(
        "/api/v1/agenda", params={"limit": 200, **params}, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def kinds_of(items: list[dict[str, Any]], subject_id: str | None = None) -> list[str]:
    return [i["kind"] for i in items if subject_id is None or i["subject"]["id"] == subject_id]


async def set_state(
    http: httpx.AsyncClient, actor: Actor, item_id: str, **body: Any
) -> httpx.Response:
    return await http.put(f"/api/v1/agenda/items/{item_id}/state", json=body, headers=actor.headers)


async def quiet_since(
    db: AsyncSession, organization_id: uuid.UUID, client_id: str, days: int
) -> None:
    """Backdate a client's creation, so that with nothing moving it is stalled."""
    await bind_organization(db, organization_id)
    await db.execute(
        update(Client)
        .where(Client.id == uuid.UUID(client_id))
        .values(created_at=utc_now() - timedelta(days=days))
    )
    await db.commit()


async def busy_client(http: httpx.AsyncClient, actor: Actor, db: AsyncSession) -> dict[str, Any]:
    """A client with a bit of everything to do."""
    now = utc_now()
    seeker = await create_client(http, actor, full_name="Busy Bea")
    cid = seeker["id"]
    met, fresh = await create_chain(http, actor, cid, "Met Mona", "Fresh Fred")
    thankless = await create_interview(http, actor, cid, contact_id=met["id"])
    await hold(http, actor, thankless["id"], at=(now - timedelta(days=2)).isoformat())
    silent = await create_contact(http, actor, cid, full_name="Silent Sam")
    await create_outreach(
        http,
        actor,
        cid,
        silent["id"],
        status="sent",
        status_at=(now - timedelta(days=9)).isoformat(),
    )
    cooling = await create_contact(http, actor, cid, full_name="Cooling Cara")
    await set_contact_columns(
        db, actor.organization_id, cooling["id"], last_contacted_at=now - timedelta(days=20)
    )
    due = await create_contact(http, actor, cid, full_name="Due Dan")
    await set_contact_columns(
        db, actor.organization_id, due["id"], next_follow_up_at=now - timedelta(hours=1)
    )
    await create_company(http, actor, cid, name="Nobody Yet", status="targeted", priority=1)
    upcoming = await create_contact(http, actor, cid, full_name="Soon Sue")
    meeting = await create_interview(
        http,
        actor,
        cid,
        contact_id=upcoming["id"],
        stage="scheduled",
        scheduled_at=(now + timedelta(days=1)).isoformat(),
        questions=["What does a good first year look like?"],
    )
    return {
        "client": seeker,
        "met": met,
        "fresh": fresh,
        "thankless": thankless,
        "silent": silent,
        "cooling": cooling,
        "due": due,
        "meeting": meeting,
    }


async def test_a_coach_sees_every_kind_of_action_across_clients_in_one_ranked_list(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    busy = await busy_client(client, owner, db)
    idle = await create_client(client, owner, full_name="Idle Ian")
    stalled = await create_client(client, owner, full_name="Stalled Stu")
    await create_contact(client, owner, stalled["id"], full_name="Old Friend")
    await quiet_since(db, owner.organization_id, stalled["id"], days=40)
    # The contact was added 40 days ago too (it moved the client then).
    await set_contact_columns(
        db,
        owner.organization_id,
        (await agenda_contacts(client, owner, stalled["id"]))[0],
        created_at=utc_now() - timedelta(days=40),
    )
    for seeker in (busy["client"], idle, stalled):
        await assign_coach(client, owner, seeker["id"], coach)

    items = await agenda(client, coach)

    by_kind = {(i["kind"], i["subject"]["id"]): i for i in items}
    expected = {
        ("send_thank_you", busy["thankless"]["id"]),
        ("ask_for_referral", busy["thankless"]["id"]),
        ("prepare_for_meeting", busy["meeting"]["id"]),
        ("follow_up_outreach", None),
        ("contact_new_referral", busy["fresh"]["id"]),
        ("follow_up_due", busy["due"]["id"]),
        ("contact_turning_cold", busy["cooling"]["id"]),
        ("find_person_at_company", None),
        ("build_first_line", idle["id"]),
        ("client_stalled", stalled["id"]),
    }
    for kind, subject in expected:
        assert any(
            i["kind"] == kind and (subject is None or i["subject"]["id"] == subject) for i in items
        ), (kind, kinds_of(items))
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    assert len({i["id"] for i in items}) == len(items)

    thank_you = by_kind[("send_thank_you", busy["thankless"]["id"])]
    assert thank_you["client"] == {"id": busy["client"]["id"], "full_name": "Busy Bea"}
    assert thank_you["subject"]["type"] == "interview"
    assert thank_you["contact_id"] == busy["met"]["id"]
    assert thank_you["overdue"] is True
    assert "Met Mona" in thank_you["reason"]
    assert thank_you["suggested_step"]
    assert thank_you["id"] == f"send_thank_you.{busy['thankless']['id']}"
    meeting = by_kind[("prepare_for_meeting", busy["meeting"]["id"])]
    assert meeting["questions"] == ["What does a good first year look like?"]
    assert meeting["overdue"] is False

    # Idle clients are not buried: each one's only item is within the first five.
    first_five = {i["client"]["id"] for i in items[:5]}
    assert {idle["id"], stalled["id"]} <= first_five
    # Within one client, what decides traction comes first.
    busy_kinds = [i["kind"] for i in items if i["client"]["id"] == busy["client"]["id"]]
    assert busy_kinds[0] == "send_thank_you"
    assert busy_kinds.index("find_person_at_company") > busy_kinds.index("follow_up_due")


async def agenda_contacts(http: httpx.AsyncClient, actor: Actor, client_id: str) -> list[str]:
    response = await http.get(f"/api/v1/clients/{client_id}/contacts", headers=actor.headers)
    return [c["id"] for c in response.json()["data"]]


async def test_advice_to_ask_for_people_needs_a_strong_tie_or_a_two_way_history(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    # Found by calling the company, one unanswered phone call, no strength set.
    cold_call = await create_contact(
        client, owner, cid, full_name="Called Carl", source="company_call"
    )
    await create_outreach(
        client,
        owner,
        cid,
        cold_call["id"],
        channel="phone",
        status="sent",
        status_at=(utc_now() - timedelta(days=8)).isoformat(),
    )
    strong = await create_contact(client, owner, cid, full_name="Strong Stella", strength=4)
    await client.post(
        f"/api/v1/contacts/{strong['id']}/interactions",
        json={"kind": "call"},
        headers=owner.headers,
    )
    answered = await create_contact(client, owner, cid, full_name="Answering Al")
    await client.post(
        f"/api/v1/contacts/{answered['id']}/interactions",
        json={"kind": "email", "direction": "inbound"},
        headers=owner.headers,
    )
    one_way = await create_contact(client, owner, cid, full_name="One Way Will")
    await client.post(
        f"/api/v1/contacts/{one_way['id']}/interactions",
        json={"kind": "email"},
        headers=owner.headers,
    )
    # A hiring manager who made an offer is no one to ask for names.
    manager = await create_contact(client, owner, cid, full_name="Hiring Hank", strength=5)
    job = await create_interview(client, owner, cid, kind="job", contact_id=manager["id"])
    assert (await move(client, owner, job["id"], "held")).status_code == 200
    assert (await move(client, owner, job["id"], "offer")).status_code == 200

    items = await agenda(client, owner)

    assert kinds_of(items, cold_call["id"]) == []  # its item is about the outreach
    assert [i["kind"] for i in items if i["contact_id"] == cold_call["id"]] == [
        "follow_up_outreach"
    ]
    assert "ask_root_for_people" in kinds_of(items, strong["id"])
    assert "ask_root_for_people" in kinds_of(items, answered["id"])
    assert "ask_root_for_people" not in kinds_of(items, one_way["id"])
    assert "ask_root_for_people" not in kinds_of(items, manager["id"])


async def test_done_hides_an_item_until_its_condition_arises_again(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cooling = await create_contact(client, owner, seeker["id"], full_name="Cooling Cara")
    now = utc_now()
    await set_contact_columns(
        db, owner.organization_id, cooling["id"], last_contacted_at=now - timedelta(days=20)
    )
    item_id = f"contact_turning_cold.{cooling['id']}"
    assert item_id in [i["id"] for i in await agenda(client, owner)]

    done = await set_state(client, owner, item_id, status="done")

    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["client_id"] == seeker["id"]
    assert item_id not in [i["id"] for i in await agenda(client, owner)]
    # Touched again, then cooling again later: the same condition arose anew.
    await set_contact_columns(
        db, owner.organization_id, cooling["id"], last_contacted_at=now - timedelta(days=18)
    )
    assert item_id in [i["id"] for i in await agenda(client, owner)]


async def test_snoozed_items_return_after_the_date_and_dismissed_ones_never(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    seeker = await create_client(client, owner)
    await assign_coach(client, owner, seeker["id"], coach)
    company = await create_company(client, owner, seeker["id"], name="Far Off")
    first_line = f"build_first_line.{seeker['id']}"
    target = f"find_person_at_company.{company['id']}"

    later = (utc_now() + timedelta(days=3)).isoformat()
    snoozed = await set_state(client, coach, target, status="snoozed", snoozed_until=later)
    assert snoozed.status_code == 200, snoozed.text
    dismissed = await set_state(client, coach, first_line, status="dismissed")
    assert dismissed.status_code == 200, dismissed.text

    ids = [i["id"] for i in await agenda(client, coach)]
    assert target not in ids
    assert first_line not in ids
    # Answers are the caller's own: the owner still sees both.
    assert {target, first_line} <= {i["id"] for i in await agenda(client, owner)}
    # A snooze that ran out shows the item again.
    soon = (utc_now() + timedelta(seconds=1)).isoformat()
    assert (
        await set_state(client, coach, target, status="snoozed", snoozed_until=soon)
    ).status_code == 200
    from tests.factories.traction import frozen_clock

    with frozen_clock(utc_now() + timedelta(minutes=1)):
        ids = [i["id"] for i in await agenda(client, coach)]
    assert target in ids
    assert first_line not in ids
    # Taking the answer back shows the dismissed item again.
    cleared = await client.delete(f"/api/v1/agenda/items/{first_line}/state", headers=coach.headers)
    assert cleared.status_code == 204
    assert first_line in [i["id"] for i in await agenda(client, coach)]
    again = await client.delete(f"/api/v1/agenda/items/{first_line}/state", headers=coach.headers)
    assert again.status_code == 404


async def test_answers_are_checked_and_audited(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    item_id = f"build_first_line.{seeker['id']}"

    assert (await set_state(client, owner, item_id, status="snoozed")).status_code == 422
    past = (utc_now() - timedelta(days=1)).isoformat()
    late = await set_state(client, owner, item_id, status="snoozed", snoozed_until=past)
    assert late.status_code == 422
    assert (
        await set_state(client, owner, item_id, status="done", snoozed_until=past)
    ).status_code == 422
    for unknown in (f"no_such_kind.{seeker['id']}", "build_first_line.not-a-uuid", "nothing"):
        assert (await set_state(client, owner, unknown, status="done")).status_code == 404
    await create_contact(client, owner, seeker["id"])  # the condition no longer holds
    assert (await set_state(client, owner, item_id, status="done")).status_code == 404

    company = await create_company(client, owner, seeker["id"], name="Audited Co")
    target = f"find_person_at_company.{company['id']}"
    assert (await set_state(client, owner, target, status="done")).status_code == 200
    log = await client.get("/api/v1/audit-log", params={"limit": 200}, headers=owner.headers)
    assert log.status_code == 200
    assert any(e["object_type"] == "agenda_item_state" for e in log.json()["data"]), [
        e["object_type"] for e in log.json()["data"]
    ]

    key = await add_api_key(db, owner.organization_id, ["contacts:read", "contacts:write"])
    assert (await client.get("/api/v1/agenda", headers=key.headers)).status_code == 200
    assert (await set_state(client, key, target, status="done")).status_code == 403


async def test_doing_the_work_clears_the_item_without_a_separate_call(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    due = await create_contact(client, owner, cid, full_name="Due Dan")
    await set_contact_columns(
        db, owner.organization_id, due["id"], next_follow_up_at=utc_now() - timedelta(days=1)
    )
    met = await create_contact(client, owner, cid, full_name="Met Mona")
    meeting = await create_interview(client, owner, cid, contact_id=met["id"])
    await hold(client, owner, meeting["id"], at=(utc_now() - timedelta(days=2)).isoformat())
    before = {i["id"] for i in await agenda(client, owner)}
    assert {f"follow_up_due.{due['id']}", f"send_thank_you.{meeting['id']}"} <= before

    touched = await client.post(
        f"/api/v1/contacts/{due['id']}/interactions", json={"kind": "call"}, headers=owner.headers
    )
    assert touched.status_code == 201
    assert (await move(client, owner, meeting["id"], "followed_up")).status_code == 200

    after = {i["id"] for i in await agenda(client, owner)}
    assert f"follow_up_due.{due['id']}" not in after
    assert f"send_thank_you.{meeting['id']}" not in after
    # The contacts list agrees: a planned follow-up done by a touch since is not due.
    listed = await client.get(
        f"/api/v1/clients/{cid}/contacts", params={"due": "true"}, headers=owner.headers
    )
    assert due["id"] not in [c["id"] for c in listed.json()["data"]]


async def test_each_caller_sees_only_their_own_clients_items(
    client: httpx.AsyncClient, db: AsyncSession, cast: Cast
) -> None:
    owner, coach, login = cast.owner, cast.coach, cast.client_login
    mine, theirs = cast.seeker, cast.other
    other_coach = await add_member(client, db, owner.organization_id, Role.coach)
    await assign_coach(client, owner, theirs["id"], other_coach)
    for seeker in (mine, theirs):
        await quiet_since(db, owner.organization_id, seeker["id"], days=30)
    stranger = await signup(client)

    assert {i["client"]["id"] for i in await agenda(client, coach)} == {mine["id"]}
    assert {i["client"]["id"] for i in await agenda(client, owner)} == {mine["id"], theirs["id"]}
    narrowed = await agenda(client, owner, coach_id=str(other_coach.user_id))
    assert {i["client"]["id"] for i in narrowed} == {theirs["id"]}
    own = await agenda(client, login)
    assert {i["client"]["id"] for i in own} == {mine["id"]}
    # A stall is for the coaches: the client login gets only what it can act on.
    assert "client_stalled" in kinds_of(await agenda(client, coach))
    assert "client_stalled" not in kinds_of(own)
    assert "build_first_line" in kinds_of(own)
    assert await agenda(client, stranger) == []

    stalled_theirs = f"client_stalled.{theirs['id']}"
    assert (await set_state(client, coach, stalled_theirs, status="done")).status_code == 404
    assert (
        await set_state(client, login, f"client_stalled.{mine['id']}", status="done")
    ).status_code == 404
    assert (await set_state(client, stranger, stalled_theirs, status="done")).status_code == 404
    for outsider in (coach, stranger):
        response = await client.get(
            "/api/v1/agenda", params={"client_id": theirs["id"]}, headers=outsider.headers
        )
        assert response.status_code == 404


async def test_filters_and_pages_walk_the_whole_list_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    busy = await busy_client(client, owner, db)
    idle = await create_client(client, owner, full_name="Idle Ian")
    everything = await agenda(client, owner)

    walked: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/agenda", params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        walked += response.json()["data"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert [i["id"] for i in walked] == [i["id"] for i in everything]

    only_idle = await agenda(client, owner, client_id=idle["id"])
    assert kinds_of(only_idle) == ["build_first_line"]
    picked = await agenda(client, owner, kind=["send_thank_you", "follow_up_due"])
    assert set(kinds_of(picked)) == {"send_thank_you", "follow_up_due"}
    overdue = await agenda(client, owner, due_before=utc_now().isoformat())
    assert overdue
    assert all(i["overdue"] for i in overdue)
    upcoming = await agenda(client, owner, due_after=utc_now().isoformat())
    assert "prepare_for_meeting" in kinds_of(upcoming)
    assert not any(i["overdue"] for i in upcoming)
    assert busy["client"]["id"] in {i["client"]["id"] for i in picked}

    bad = await client.get("/api/v1/agenda", params={"cursor": "bm9wZQ"}, headers=owner.headers)
    assert bad.status_code == 422
    wrong_kind = await client.get("/api/v1/agenda", params={"kind": "nap"}, headers=owner.headers)
    assert wrong_kind.status_code == 422


async def test_next_actions_and_the_caseload_count_are_the_agenda_narrowed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    busy = await busy_client(client, owner, db)
    cid = busy["client"]["id"]
    items = await agenda(client, owner, client_id=cid)
    await set_state(client, owner, items[-1]["id"], status="dismissed")
    items = await agenda(client, owner, client_id=cid)

    actions = await client.get(f"/api/v1/clients/{cid}/next-actions", headers=owner.headers)

    assert actions.status_code == 200
    assert [(a["kind"], a["rank"]) for a in actions.json()["actions"]] == [
        (i["kind"], i["rank"]) for i in items
    ]
    caseload = await get_caseload(client, owner)
    assert [r["next_action_count"] for r in caseload["data"]] == [len(items)]


async def test_the_agenda_costs_the_same_statements_for_any_caseload(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    counts = []
    for size in (1, 4):
        owner = await signup(client)
        for _ in range(size):
            await busy_client(client, owner, db)
        with counting_statements(app) as statements:
            response = await client.get("/api/v1/agenda", headers=owner.headers)
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
