"""Digest preferences: per membership, partial, validated; and when a period is due."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_organization
from app.digests.periods import Schedule, current_period, is_due
from app.models import DigestFrequency, Membership
from app.models.enums import Role
from tests.factories.identity import add_api_key, add_member, sign_in, signup

URL = "/api/v1/me/digest"


async def test_a_member_who_never_chose_has_weekly_on_monday_at_8_in_the_organizations_zone(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    login = await add_member(client, db, owner.organization_id, Role.coach)

    for actor in (owner, login):
        response = await client.get(URL, headers=actor.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["frequency"] == "weekly"
        assert (body["weekday"], body["weekday_name"], body["hour"]) == (0, "mon", 8)
        assert body["timezone_is_organization_default"] is True
        assert body["last_period_start"] is None
        assert body["next_digest_at"] is not None


async def test_a_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    owner = await signup(client)

    daily = await client.patch(URL, json={"frequency": "daily"}, headers=owner.headers)
    friday = await client.patch(URL, json={"weekday": "fri", "hour": 17}, headers=owner.headers)
    zoned = await client.patch(URL, json={"timezone": "Europe/Berlin"}, headers=owner.headers)
    numbered = await client.patch(URL, json={"weekday": 2}, headers=owner.headers)

    assert daily.status_code == 200, daily.text
    assert daily.json()["frequency"] == "daily"
    assert friday.json() | {"frequency": "daily", "weekday": 4, "weekday_name": "fri"} == (
        friday.json()
    )
    assert friday.json()["hour"] == 17
    assert zoned.json()["timezone"] == "Europe/Berlin"
    assert zoned.json()["timezone_is_organization_default"] is False
    body = numbered.json()
    assert (body["frequency"], body["weekday"], body["hour"], body["timezone"]) == (
        "daily",
        2,
        17,
        "Europe/Berlin",
    )
    assert (await client.get(URL, headers=owner.headers)).json() == body


@pytest.mark.parametrize(
    "body",
    [
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../etc/passwd"},
        {"timezone": ""},
        {"weekday": 7},
        {"weekday": -1},
        {"weekday": "funday"},
        {"hour": 24},
        {"frequency": "hourly"},
        {"frequency": None},
        {"weekday": None},
        {"hour": None},
        {"timezone": None},
        {"colour": "blue"},
    ],
)
async def test_a_patch_the_rules_refuse_is_a_422(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    owner = await signup(client)

    response = await client.patch(URL, json=body, headers=owner.headers)

    assert response.status_code == 422, response.text
    assert (await client.get(URL, headers=owner.headers)).json()["frequency"] == "weekly"


async def test_api_keys_may_not_read_or_set_digest_preferences(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, ["clients:read", "clients:write"])

    read = await client.get(URL, headers=key.headers)
    written = await client.patch(URL, json={"frequency": "never"}, headers=key.headers)

    assert read.status_code == 403
    assert written.status_code == 403


async def test_a_person_in_two_practices_chooses_per_practice(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await signup(client, organization_name="First Practice")
    second = await signup(client, organization_name="Second Practice")
    assert first.email is not None
    assert first.user_id is not None
    await bind_organization(db, second.organization_id)
    db.add(Membership(organization_id=second.organization_id, user_id=first.user_id, role="coach"))
    await db.commit()
    signed_in = await sign_in(client, first.email, organization_id=str(second.organization_id))
    assert signed_in.status_code == 200, signed_in.text
    in_second = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    changed = await client.patch(URL, json={"frequency": "never"}, headers=first.headers)
    other = await client.get(URL, headers=in_second)

    assert changed.json()["frequency"] == "never"
    assert other.json()["frequency"] == "weekly"


async def test_a_client_login_chooses_its_own(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await signup(client)
    created = await client.post(
        "/api/v1/clients", json={"full_name": "Grace Seeker"}, headers=owner.headers
    )
    login = await add_member(
        client, db, owner.organization_id, Role.client, client_id=created.json()["id"]
    )

    response = await client.patch(URL, json={"frequency": "daily"}, headers=login.headers)

    assert response.status_code == 200, response.text
    assert (await client.get(URL, headers=owner.headers)).json()["frequency"] == "weekly"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_weekly_period_starts_at_the_hour_of_the_chosen_day_in_the_members_zone() -> None:
    berlin = Schedule(DigestFrequency.weekly, 0, 8, "Europe/Berlin")  # winter: UTC+1

    before = current_period(berlin, _at("2027-03-01T06:59:00+00:00"))
    after = current_period(berlin, _at("2027-03-01T07:00:00+00:00"))
    midweek = current_period(berlin, _at("2027-03-04T12:00:00+00:00"))

    assert before is not None
    assert after is not None
    assert midweek is not None
    assert before.start == _at("2027-02-22T07:00:00+00:00")
    assert after.start == midweek.start == _at("2027-03-01T07:00:00+00:00")
    assert after.previous_start == before.start
    assert after.next_start == _at("2027-03-08T07:00:00+00:00")


def test_a_daily_period_keeps_its_local_hour_across_a_clock_change() -> None:
    new_york = Schedule(DigestFrequency.daily, 0, 7, "America/New_York")

    saturday = current_period(new_york, _at("2027-03-13T12:30:00+00:00"))  # EST, UTC-5
    sunday = current_period(new_york, _at("2027-03-14T11:30:00+00:00"))  # EDT, UTC-4

    assert saturday is not None
    assert sunday is not None
    assert saturday.start == _at("2027-03-13T12:00:00+00:00")
    assert sunday.start == _at("2027-03-14T11:00:00+00:00")
    assert saturday.next_start == sunday.start


def test_a_period_is_due_until_it_is_settled_and_never_is_never_due() -> None:
    schedule = Schedule(DigestFrequency.daily, 0, 8, "UTC")
    now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    start = datetime(2027, 3, 1, 8, tzinfo=UTC)

    assert is_due(schedule, None, now)
    assert is_due(schedule, datetime(2027, 2, 28, 8, tzinfo=UTC), now)
    assert not is_due(schedule, start, now)
    assert not is_due(Schedule(DigestFrequency.never, 0, 8, "UTC"), None, now)
    assert current_period(Schedule(DigestFrequency.never, 0, 8, "UTC"), now) is None
