"""A member's calendar feed URL: issued once, rotated, revoked; the URL is the credential."""

import hashlib
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.models import CalendarFeed
from app.models.enums import Scope
from tests.calendar.factories import FEED, fetch, issue_feed, read_calendar
from tests.factories.cast import Cast
from tests.factories.identity import add_api_key, signup


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="coach_api.access"):
        yield caplog


async def test_a_member_issues_a_feed_url_shown_once_and_subscribes_without_signing_in(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    before = await client.get(FEED, headers=cast.coach.headers)
    assert before.status_code == 200, before.text
    assert before.json() == {"active": False, "created_at": None}

    issued = await client.post(FEED, headers=cast.coach.headers)
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    assert issued.headers["location"] == FEED
    token = issued.json()["url"].rpartition("/")[2].removesuffix(".ics")
    feed_id, _, secret = token.partition("_")
    assert len(feed_id) == 32
    assert len(secret) >= 43

    status = await client.get(FEED, headers=cast.coach.headers)
    assert status.json() == {"active": True, "created_at": issued.json()["created_at"]}
    assert token not in status.text

    calendar = await read_calendar(client, issued.json()["url"].removeprefix("http://testserver"))
    assert calendar["VERSION"] == "2.0"
    assert "interviews" in str(calendar["X-WR-CALNAME"])
    assert "90 days ago" in str(calendar["X-WR-CALDESC"])


async def test_the_secret_is_stored_only_as_its_sha256(
    client: httpx.AsyncClient, cast: Cast, db: AsyncSession
) -> None:
    path = await issue_feed(client, cast.client_login)
    token = path.rpartition("/")[2].removesuffix(".ics")
    feed_id, _, secret = token.partition("_")
    await bind_organization(db, cast.owner.organization_id)
    feed = (
        await db.execute(select(CalendarFeed).where(CalendarFeed.id == uuid.UUID(hex=feed_id)))
    ).scalar_one()
    assert feed.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in feed.secret_hash


async def test_issuing_again_rotates_and_the_old_url_answers_404_at_once(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    old = await issue_feed(client, cast.coach)
    assert (await fetch(client, old)).status_code == 200
    new = await issue_feed(client, cast.coach)
    assert new != old

    gone = await fetch(client, old)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert (await fetch(client, new)).status_code == 200


async def test_revoking_stops_the_url_and_a_second_revoke_is_404(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    path = await issue_feed(client, cast.owner)
    revoked = await client.delete(FEED, headers=cast.owner.headers)
    assert revoked.status_code == 204, revoked.text
    assert (await fetch(client, path)).status_code == 404
    assert (await client.get(FEED, headers=cast.owner.headers)).json()["active"] is False
    again = await client.delete(FEED, headers=cast.owner.headers)
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"


async def test_feeds_are_one_per_member_and_each_members_own(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    coach_feed = await issue_feed(client, cast.coach)
    owner_feed = await issue_feed(client, cast.owner)
    # The owner revoking its own leaves the coach's alone.
    assert (await client.delete(FEED, headers=cast.owner.headers)).status_code == 204
    assert (await fetch(client, coach_feed)).status_code == 200
    assert (await fetch(client, owner_feed)).status_code == 404


async def test_a_removed_members_feed_answers_404(client: httpx.AsyncClient, cast: Cast) -> None:
    path = await issue_feed(client, cast.coach)
    removed = await client.delete(
        f"/api/v1/members/{cast.coach.user_id}", headers=cast.owner.headers
    )
    assert removed.status_code == 204, removed.text
    assert (await fetch(client, path)).status_code == 404


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        f"{uuid.UUID(int=7).hex}_{'a' * 43}",  # no such feed
        f"{uuid.UUID(int=7)}_{'a' * 43}",  # an id with hyphens is no feed id
        "_" * 50,
    ],
)
async def test_a_wrong_token_answers_404(client: httpx.AsyncClient, token: str) -> None:
    response = await fetch(client, f"/api/v1/calendar/{token}.ics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_right_id_with_a_wrong_secret_answers_404(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    path = await issue_feed(client, cast.coach)
    feed_id = path.rpartition("/")[2].partition("_")[0]
    guessed = await fetch(client, f"/api/v1/calendar/{feed_id}_{'A' * 43}.ics")
    assert guessed.status_code == 404


async def test_an_api_key_may_not_issue_read_or_revoke_a_feed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, [s.value for s in Scope])
    for method in ("POST", "GET", "DELETE"):
        response = await client.request(method, FEED, headers=key.headers)
        assert response.status_code == 403, f"{method}: {response.text}"
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_feed_needs_no_authorization_and_ignores_a_strangers(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    path = await issue_feed(client, cast.coach)
    stranger = await signup(client)
    calendar = await read_calendar(client, path, Authorization=f"Bearer {stranger.token}")
    assert calendar["VERSION"] == "2.0"


async def test_issue_rotate_and_revoke_are_in_the_audit_log_without_the_secret(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    first = await issue_feed(client, cast.coach)
    second = await issue_feed(client, cast.coach)
    assert (await client.delete(FEED, headers=cast.coach.headers)).status_code == 204
    log = await client.get(
        "/api/v1/audit-log", params={"object_type": "calendar_feed"}, headers=cast.owner.headers
    )
    assert log.status_code == 200, log.text
    entries = list(reversed(log.json()["data"]))
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert {e["actor_user_id"] for e in entries} == {str(cast.coach.user_id)}
    assert set(entries[1]["changes"]) == {"issued_at", "secret_hash"}
    for path in (first, second):
        assert path.rpartition("_")[2].removesuffix(".ics") not in log.text


async def test_the_token_never_reaches_the_access_log(
    client: httpx.AsyncClient, cast: Cast, access_log: pytest.LogCaptureFixture
) -> None:
    path = await issue_feed(client, cast.coach)
    token = path.rpartition("/")[2].removesuffix(".ics")
    assert (await fetch(client, path)).status_code == 200
    assert (await fetch(client, path.replace("_", "_x", 1))).status_code == 404
    logged = [r for r in access_log.records if r.name == "coach_api.access"]
    paths = [getattr(r, "path", "") for r in logged]
    assert paths.count("/api/v1/calendar/{token}.ics") == 2, paths
    # Every record of the app's (the test's own HTTP client logs the URL it sent).
    server = [r for r in access_log.records if not r.name.startswith(("httpx", "httpcore"))]
    for part in token.partition("_")[::2]:
        assert all(part not in str(r.__dict__) for r in server)
