"""`due`: a planned follow-up or a keep-in-touch date that has come, as next actions see it."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import utc_now
from tests.factories.clients import create_client
from tests.factories.contacts import create_contact, set_contact_columns
from tests.factories.identity import Actor, signup


async def _due(http: httpx.AsyncClient, actor: Actor, client_id: str, **params: Any) -> list[str]:
    response = await http.get(
        f"/api/v1/clients/{client_id}/contacts", params=params, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return [c["full_name"] for c in response.json()["data"]]


async def test_a_follow_up_planned_for_yesterday_is_due_as_next_actions_say(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    yesterday = (utc_now() - timedelta(days=1)).isoformat()
    await create_contact(client, owner, seeker["id"], full_name="Ana", next_follow_up_at=yesterday)

    actions = await client.get(
        f"/api/v1/clients/{seeker['id']}/next-actions", headers=owner.headers
    )
    assert actions.status_code == 200, actions.text
    assert "follow_up_due" in {a["kind"] for a in actions.json()["actions"]}
    assert await _due(client, owner, seeker["id"], due="true") == ["Ana"]
    assert await _due(client, owner, seeker["id"], due="false") == []


async def test_due_and_not_due_split_every_contact_most_overdue_first(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    seeker = await create_client(client, owner)
    cid = seeker["id"]
    now = utc_now()
    # (follow-up in days, keep-in-touch due in days); None: not planned.
    plans: dict[str, tuple[int | None, int | None]] = {
        "Follow-up 3 days late": (-3, None),
        "Touch 10 days late": (None, -10),
        "Both, follow-up 20 days late": (-20, -1),
        "Both, touch 5 days late, follow-up ahead": (4, -5),
        "Follow-up ahead": (2, None),
        "Touch ahead": (None, 6),
        "Both ahead": (1, 9),
        "Nothing planned": (None, None),
    }
    for name, (follow_up, touch) in plans.items():
        contact = await create_contact(
            client,
            owner,
            cid,
            full_name=name,
            next_follow_up_at=None
            if follow_up is None
            else (now + timedelta(follow_up)).isoformat(),
        )
        if touch is not None:
            await set_contact_columns(
                db, owner.organization_id, contact["id"], next_touch_due_at=now + timedelta(touch)
            )

    overdue = [
        "Both, follow-up 20 days late",
        "Touch 10 days late",
        "Both, touch 5 days late, follow-up ahead",
        "Follow-up 3 days late",
    ]
    assert await _due(client, owner, cid, due="true") == overdue
    assert sorted(await _due(client, owner, cid, due="false")) == sorted(
        ["Follow-up ahead", "Touch ahead", "Both ahead", "Nothing planned"]
    )
    # Page by page, in the same order, each contact once.
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"due": "true", "limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        page = await client.get(
            f"/api/v1/clients/{cid}/contacts", params=params, headers=owner.headers
        )
        assert page.status_code == 200, page.text
        seen += [c["full_name"] for c in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == overdue
    # An explicit sort still wins.
    by_name = await _due(client, owner, cid, due="true", sort="name")
    assert by_name == sorted(overdue, key=str.lower)
    # A cursor of a name-sorted page is refused by the due order, not a 500.
    first = await client.get(
        f"/api/v1/clients/{cid}/contacts",
        params={"due": "true", "sort": "name", "limit": 1},
        headers=owner.headers,
    )
    reused = await client.get(
        f"/api/v1/clients/{cid}/contacts",
        params={"due": "true", "cursor": first.json()["next_cursor"]},
        headers=owner.headers,
    )
    assert reused.status_code == 422
