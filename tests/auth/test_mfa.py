"""Two-factor sign-in: enrolment, the second sign-in step, recovery codes and the
organization's requirement for staff."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pyotp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.time import set_clock, utc_now
from app.models.enums import Role
from tests.factories.identity import (
    PASSWORD,
    Actor,
    add_api_key,
    add_member,
    sign_in,
    signup,
    unique_email,
)

MFA = "/api/v1/me/mfa"
TOKEN_MFA = "/api/v1/auth/token/mfa"


class SteppingClock:
    """A frozen clock at the start of a 30-second TOTP step, moved by hand."""

    def __init__(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self.now = now - timedelta(seconds=now.second % 30)

    def __call__(self) -> datetime:
        return self.now

    def next_step(self) -> None:
        self.now += timedelta(seconds=30)


@pytest.fixture
def clock() -> Iterator[SteppingClock]:
    stepping = SteppingClock()
    set_clock(stepping)
    yield stepping
    set_clock(None)


def code(secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(utc_now(), counter_offset=steps)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Enrolled:
    secret: str
    recovery_codes: list[str]


async def enrol(http: httpx.AsyncClient, actor: Actor, clock: SteppingClock) -> Enrolled:
    started = await http.post(MFA, headers=actor.headers)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = await http.post(
        f"{MFA}/confirm", json={"code": code(secret)}, headers=actor.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    # The confirming code is used up: the next sign-in needs the next one.
    clock.next_step()
    return Enrolled(secret, confirmed.json()["recovery_codes"])


async def mfa_token(http: httpx.AsyncClient, email: str | None, kind: str = "mfa-required") -> str:
    assert email is not None
    response = await sign_in(http, email)
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["type"].endswith(f"/{kind}")
    assert "access_token" not in problem
    token: str = problem["mfa_token"]
    return token


async def test_enrolment_shows_a_qr_code_uri_and_starts_only_once_a_code_is_confirmed(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    assert owner.email is not None
    started = await client.post(MFA, headers=owner.headers)
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    uri = urlparse(started.json()["otpauth_uri"])
    query = parse_qs(uri.query)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Coach API:{owner.email}"
    assert query["issuer"] == ["Coach API"]
    assert query["secret"] == [started.json()["secret"]]

    status = (await client.get(MFA, headers=owner.headers)).json()
    assert status["enabled"] is False
    assert status["enrolment_pending"] is True
    # Pending is not in force: the password alone still signs in.
    assert (await sign_in(client, owner.email)).status_code == 200

    secret = started.json()["secret"]
    wrong = await client.post(
        f"{MFA}/confirm", json={"code": code(secret, 5)}, headers=owner.headers
    )
    assert wrong.status_code == 422, wrong.text
    confirmed = await client.post(
        f"{MFA}/confirm", json={"code": code(secret)}, headers=owner.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    recovery_codes = confirmed.json()["recovery_codes"]
    assert len(recovery_codes) == len(set(recovery_codes)) == 10
    assert confirmed.json()["tokens"] is None

    status = (await client.get(MFA, headers=owner.headers)).json()
    assert status["enabled"] is True
    assert status["enrolment_pending"] is False
    assert status["recovery_codes_remaining"] == 10
    again = await client.post(MFA, headers=owner.headers)
    assert again.status_code == 409, again.text


async def test_sign_in_asks_for_a_code_and_the_code_completes_it(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)

    token = await mfa_token(client, owner.email)
    wrong = await client.post(
        TOKEN_MFA, json={"mfa_token": token, "code": code(enrolled.secret, 3)}
    )
    assert wrong.status_code == 401, wrong.text
    assert wrong.headers["content-type"] == "application/problem+json"

    signed_in = await client.post(
        TOKEN_MFA, json={"mfa_token": token, "code": code(enrolled.secret)}
    )
    assert signed_in.status_code == 200, signed_in.text
    tokens = signed_in.json()
    assert tokens["organization_id"] == str(owner.organization_id)
    me = await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["email"] == owner.email


async def test_a_code_works_once_and_an_older_one_not_after_a_newer(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    current = code(enrolled.secret)
    first = await client.post(
        TOKEN_MFA, json={"mfa_token": await mfa_token(client, owner.email), "code": current}
    )
    assert first.status_code == 200, first.text

    replayed = await client.post(
        TOKEN_MFA, json={"mfa_token": await mfa_token(client, owner.email), "code": current}
    )
    assert replayed.status_code == 401, replayed.text

    # Still inside the ±1 step window, but older than the code already used.
    clock.next_step()
    older = await client.post(
        TOKEN_MFA,
        json={"mfa_token": await mfa_token(client, owner.email), "code": code(enrolled.secret, -2)},
    )
    assert older.status_code == 401, older.text
    fresh = await client.post(
        TOKEN_MFA,
        json={"mfa_token": await mfa_token(client, owner.email), "code": code(enrolled.secret)},
    )
    assert fresh.status_code == 200, fresh.text


async def test_a_recovery_code_signs_in_once(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    recovery_code = enrolled.recovery_codes[0]

    # Typed in capitals and without dashes, it is the same code.
    typed = recovery_code.replace("-", "").upper()
    used = await client.post(
        TOKEN_MFA,
        json={"mfa_token": await mfa_token(client, owner.email), "recovery_code": typed},
    )
    assert used.status_code == 200, used.text
    again = await client.post(
        TOKEN_MFA,
        json={"mfa_token": await mfa_token(client, owner.email), "recovery_code": recovery_code},
    )
    assert again.status_code == 401, again.text
    status = await client.get(MFA, headers=bearer(used.json()["access_token"]))
    assert status.json()["recovery_codes_remaining"] == 9


async def test_the_second_step_takes_exactly_one_factor(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    token = await mfa_token(client, owner.email)
    both = await client.post(
        TOKEN_MFA,
        json={
            "mfa_token": token,
            "code": code(enrolled.secret),
            "recovery_code": enrolled.recovery_codes[0],
        },
    )
    neither = await client.post(TOKEN_MFA, json={"mfa_token": token})
    # The factor not sent is left out: a null beside the other is refused as the
    # contract says (neither field is nullable), not taken for "absent".
    with_null = await client.post(
        TOKEN_MFA,
        json={"mfa_token": token, "code": None, "recovery_code": enrolled.recovery_codes[0]},
    )
    assert both.status_code == neither.status_code == with_null.status_code == 422


async def test_an_mfa_token_is_not_an_access_token_nor_the_reverse(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    token = await mfa_token(client, owner.email)

    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401
    assert (await client.get("/api/v1/clients", headers=bearer(token))).status_code == 401
    # A token waiting for a code does not open the enrolment endpoints either.
    assert (await client.get(MFA, headers=bearer(token))).status_code == 401
    access_as_mfa = await client.post(
        TOKEN_MFA, json={"mfa_token": owner.token, "code": code(enrolled.secret)}
    )
    assert access_as_mfa.status_code == 401, access_as_mfa.text


async def test_an_mfa_token_expires_after_five_minutes(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    token = await mfa_token(client, owner.email)
    clock.now += timedelta(minutes=5, seconds=1)
    late = await client.post(TOKEN_MFA, json={"mfa_token": token, "code": code(enrolled.secret)})
    assert late.status_code == 401, late.text


async def test_wrong_codes_count_as_failed_sign_ins(
    client: httpx.AsyncClient, clock: SteppingClock, settings: Settings
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    token = await mfa_token(client, owner.email)
    for steps in range(settings.login_max_failures):
        wrong = await client.post(
            TOKEN_MFA, json={"mfa_token": token, "code": code(enrolled.secret, steps + 3)}
        )
        assert wrong.status_code == 401, wrong.text

    right_code = await client.post(
        TOKEN_MFA, json={"mfa_token": token, "code": code(enrolled.secret)}
    )
    assert right_code.status_code == 429, right_code.text
    assert int(right_code.headers["retry-after"]) >= 1
    # The right password does not reset the count while the second factor is owed.
    assert owner.email is not None
    assert (await sign_in(client, owner.email)).status_code == 429


async def test_disabling_needs_a_code_then_the_password_alone_signs_in(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    assert owner.email is not None

    password_only = await client.request(
        "DELETE", MFA, json={"password": "correct horse battery staple"}, headers=owner.headers
    )
    assert password_only.status_code == 422
    wrong = await client.request(
        "DELETE", MFA, json={"code": code(enrolled.secret, 4)}, headers=owner.headers
    )
    assert wrong.status_code == 422
    assert (await mfa_token(client, owner.email)) != ""

    disabled = await client.request(
        "DELETE", MFA, json={"code": code(enrolled.secret)}, headers=owner.headers
    )
    assert disabled.status_code == 204, disabled.text
    assert (await sign_in(client, owner.email)).status_code == 200
    status = (await client.get(MFA, headers=owner.headers)).json()
    assert status == {
        "enabled": False,
        "enabled_at": None,
        "enrolment_pending": False,
        "recovery_codes_remaining": 0,
        "required_by_organization": False,
    }


async def test_new_recovery_codes_replace_the_old_ones(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    owner = await signup(client)
    enrolled = await enrol(client, owner, clock)
    replaced = await client.post(
        f"{MFA}/recovery-codes", json={"code": code(enrolled.secret)}, headers=owner.headers
    )
    assert replaced.status_code == 200, replaced.text
    fresh = replaced.json()["recovery_codes"]
    assert len(fresh) == 10
    assert set(fresh).isdisjoint(enrolled.recovery_codes)

    old = await client.post(
        TOKEN_MFA,
        json={
            "mfa_token": await mfa_token(client, owner.email),
            "recovery_code": enrolled.recovery_codes[1],
        },
    )
    assert old.status_code == 401
    new = await client.post(
        TOKEN_MFA,
        json={"mfa_token": await mfa_token(client, owner.email), "recovery_code": fresh[0]},
    )
    assert new.status_code == 200, new.text


async def test_api_keys_have_no_second_factor_to_manage(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    key = await add_api_key(db, owner.organization_id, ["organization:read"])
    assert (await client.get(MFA, headers=key.headers)).status_code == 403
    assert (await client.post(MFA, headers=key.headers)).status_code == 403


async def _require_mfa_for_staff(http: httpx.AsyncClient, owner: Actor, value: object) -> None:
    response = await http.patch(
        "/api/v1/organization", json={"require_mfa_for_staff": value}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["require_mfa_for_staff"] is value


async def test_only_owners_and_admins_set_the_requirement(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    assert (await client.get("/api/v1/organization", headers=coach.headers)).json()[
        "require_mfa_for_staff"
    ] is False
    by_coach = await client.patch(
        "/api/v1/organization", json={"require_mfa_for_staff": True}, headers=coach.headers
    )
    assert by_coach.status_code == 403
    null = await client.patch(
        "/api/v1/organization", json={"require_mfa_for_staff": None}, headers=owner.headers
    )
    assert null.status_code == 422


async def test_the_requirement_makes_staff_enrol_before_they_get_tokens(
    client: httpx.AsyncClient, db: AsyncSession, clock: SteppingClock
) -> None:
    owner = await signup(client)
    coach = await add_member(client, db, owner.organization_id, Role.coach)
    job_seeker = await add_member(
        client,
        db,
        owner.organization_id,
        Role.client,
        client_id=(
            await client.post("/api/v1/clients", json={"full_name": "Jo"}, headers=owner.headers)
        ).json()["id"],
    )
    await _require_mfa_for_staff(client, owner, True)

    token = await mfa_token(client, coach.email, kind="mfa-enrolment-required")
    # The enrolment token opens the enrolment endpoints and nothing else.
    assert (await client.get("/api/v1/clients", headers=bearer(token))).status_code == 401
    assert (await client.get(MFA, headers=bearer(token))).json()["required_by_organization"]
    started = await client.post(MFA, headers=bearer(token))
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    confirmed = await client.post(
        f"{MFA}/confirm", json={"code": code(secret)}, headers=bearer(token)
    )
    assert confirmed.status_code == 200, confirmed.text
    tokens = confirmed.json()["tokens"]
    assert tokens["role"] == "coach"
    assert len(confirmed.json()["recovery_codes"]) == 10
    me = await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    # From now on the coach signs in with a code, like anyone enrolled.
    clock.next_step()
    signed_in = await client.post(
        TOKEN_MFA, json={"mfa_token": await mfa_token(client, coach.email), "code": code(secret)}
    )
    assert signed_in.status_code == 200, signed_in.text

    # The requirement is for staff: a job seeker's password still signs them in.
    assert job_seeker.email is not None
    assert (await sign_in(client, job_seeker.email)).status_code == 200


async def test_the_requirement_reaches_sessions_already_open_at_refresh(
    client: httpx.AsyncClient, db: AsyncSession, clock: SteppingClock
) -> None:
    owner = await signup(client)
    await enrol(client, owner, clock)
    admin = await add_member(client, db, owner.organization_id, Role.admin)
    await _require_mfa_for_staff(client, owner, True)

    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token}
    )
    assert refreshed.status_code == 403, refreshed.text
    assert refreshed.json()["type"].endswith("/mfa-enrolment-required")
    assert refreshed.json()["mfa_token"]
    # The enrolled owner's session goes on.
    owner_refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
    )
    assert owner_refresh.status_code == 200, owner_refresh.text


async def _accept_invitation(
    http: httpx.AsyncClient, inviter: Actor, email: str, role: str, password: str
) -> httpx.Response:
    invited = await http.post(
        "/api/v1/invitations", json={"email": email, "role": role}, headers=inviter.headers
    )
    assert invited.status_code == 201, invited.text
    return await http.post(
        f"/api/v1/invitations/{invited.json()['token']}/accept",
        json={"full_name": "Ivy Invitee", "password": password},
    )


async def test_accepting_an_invitation_is_no_way_around_the_second_factor(
    client: httpx.AsyncClient, clock: SteppingClock
) -> None:
    """Someone holding only an enrolled user's password invites that email to their own
    organization and accepts: they must get no session without the code."""
    victim = await signup(client)
    enrolled = await enrol(client, victim, clock)
    assert victim.email is not None
    attacker = await signup(client, organization_name="Elsewhere")

    accepted = await _accept_invitation(client, attacker, victim.email, "coach", PASSWORD)
    assert accepted.status_code == 403, accepted.text
    problem = accepted.json()
    assert problem["type"].endswith("/mfa-required")
    assert "access_token" not in problem

    # The join itself stands; the owner of the account finishes it with their code.
    finished = await client.post(
        TOKEN_MFA, json={"mfa_token": problem["mfa_token"], "code": code(enrolled.secret)}
    )
    assert finished.status_code == 200, finished.text
    assert finished.json()["organization_id"] == str(attacker.organization_id)
    assert finished.json()["role"] == "coach"


async def test_new_staff_joining_an_organization_that_requires_it_enrol_first(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    await _require_mfa_for_staff(client, owner, True)
    accepted = await _accept_invitation(
        client, owner, unique_email("coach"), "coach", "a brand new passphrase"
    )
    assert accepted.status_code == 403, accepted.text
    assert accepted.json()["type"].endswith("/mfa-enrolment-required")
    assert "access_token" not in accepted.json()
    enrolment = await client.get(MFA, headers=bearer(accepted.json()["mfa_token"]))
    assert enrolment.status_code == 200
