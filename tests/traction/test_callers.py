"""One caller asking about several clients and windows, and several callers about one."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import Role, Scope
from tests.factories.clients import assign_coach, create_client
from tests.factories.contacts import create_contact
from tests.factories.identity import add_api_key, add_member, signup
from tests.factories.traction import frozen_clock, get_traction
from tests.interviews.pipeline_factories import create_outreach

TWO_WEEKS = {"from": "2026-10-05", "to": "2026-10-19"}
THREE_WEEKS = {"from": "2026-09-28", "to": "2026-10-19"}


def _weekly_outreach(traction: dict[str, object]) -> list[int]:
    weeks = traction["weeks"]
    assert isinstance(weeks, list)
    return [week["outreach_sent"] for week in weeks]


async def test_each_answer_counts_its_own_client_and_window_whoever_asks(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    key = await add_api_key(db, owner.organization_id, [s.value for s in Scope])
    with frozen_clock("2026-09-01T09:00:00+00:00") as clock:
        ann = await create_client(client, key, full_name="Ann")
        bob = await create_client(client, key, full_name="Bob")
        sent = {ann["id"]: ["2026-09-29", "2026-10-06", "2026-10-13"], bob["id"]: ["2026-10-07"]}
        for client_id, days in sent.items():
            await assign_coach(client, key, client_id, coach)
            contact = await create_contact(client, key, client_id)
            for day in days:
                clock.set(f"{day}T10:00:00+00:00")
                await create_outreach(client, key, client_id, contact["id"], status="sent")

    # The logins ask now, about windows in the past.
    coach_ann = await get_traction(client, coach, ann["id"], **TWO_WEEKS)
    coach_bob = await get_traction(client, coach, bob["id"], **TWO_WEEKS)
    coach_ann_longer = await get_traction(client, coach, ann["id"], **THREE_WEEKS)
    owner_bob = await get_traction(client, owner, bob["id"], **THREE_WEEKS)
    coach_ann_again = await get_traction(client, coach, ann["id"], **TWO_WEEKS)

    assert _weekly_outreach(coach_ann) == [1, 1]
    assert coach_ann["previous"]["figures"]["outreach_sent"] == 1  # 09-29
    assert _weekly_outreach(coach_bob) == [1, 0]
    assert coach_bob["previous"]["figures"]["outreach_sent"] == 0
    assert _weekly_outreach(coach_ann_longer) == [1, 1, 1]
    assert _weekly_outreach(owner_bob) == [0, 1, 0]
    assert {**coach_ann_again, "generated_at": None} == {**coach_ann, "generated_at": None}
