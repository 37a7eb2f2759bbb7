"""Sign-in limits that fit real networks (issue #15).

Failed sign-ins are counted per email from every address together (`login-failures`),
so guesses spread over many addresses add up, and per client address over every email
(`login-failures-ip`), generously, so one office behind one address is not locked out
by a colleague. Each test serves its own app behind a trusted load balancer and plays
many client addresses through `X-Forwarded-For`.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis

from app.core.config import Settings
from app.core.rate_limit import MemoryCounterStore, RateLimiter, RateLimitPolicy
from app.core.time import set_clock
from tests.auth.test_mfa import SteppingClock, code, enrol, mfa_token
from tests.core.test_rate_limits import PROBLEM, REDIS_URL, from_ip, needs_redis, serving
from tests.factories.identity import PASSWORD, Actor, signup, unique_email

TOKEN = "/api/v1/auth/token"
TOKEN_MFA = "/api/v1/auth/token/mfa"
LOAD_BALANCER = "10.0.0.2"
WRONG_PASSWORD = "wrong guess!"


@pytest.fixture
def clock() -> Iterator[SteppingClock]:
    """Stopped (a TOTP step's start), so windows and `Retry-After` stay put."""
    stepping = SteppingClock()
    set_clock(stepping)
    yield stepping
    set_clock(None)


@asynccontextmanager
async def behind_load_balancer(
    settings: Settings, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An app trusting the load balancer at 10.0.0.2, and a client connecting through it."""
    trusted = Settings(trusted_proxies="10.0.0.0/8").trusted_proxies  # type: ignore[arg-type]
    async with (
        serving(settings, trusted_proxies=trusted, **overrides) as app,
        from_ip(app, LOAD_BALANCER) as http,
    ):
        yield http


def at(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def attempt(
    http: httpx.AsyncClient, email: str | None, address: str, password: str = WRONG_PASSWORD
) -> httpx.Response:
    assert email is not None
    return await http.post(
        TOKEN, data={"username": email, "password": password}, headers=at(address)
    )


async def member(http: httpx.AsyncClient) -> Actor:
    """Someone with an account, signed up from the load balancer's own address."""
    owner = await signup(http)
    assert owner.email is not None
    return owner


def assert_refused(response: httpx.Response, policy: str, quota: int, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"].endswith("/rate-limited")
    assert (body["policy"], body["quota"], body["window_seconds"]) == (policy, quota, window)


async def test_guesses_from_many_addresses_add_up_on_the_account(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(settings, login_max_failures=3) as http:
        victim = await member(http)
        for botnet_host in range(3):
            guess = await attempt(http, victim.email, f"198.51.100.{botnet_host + 1}")
            assert guess.status_code == 401, guess.text

        # Even the right password, from an address that never failed, until the window ends.
        refused = await attempt(http, victim.email, "203.0.113.50", PASSWORD)
        assert_refused(refused, "login-failures", 3, settings.login_failure_window_seconds)
        assert "per email" in refused.json()["detail"]
        # Any spelling of the email is the same account.
        assert victim.email is not None
        shouted = await attempt(http, f"  {victim.email.upper()} ", "203.0.113.51", PASSWORD)
        assert shouted.status_code == 429

        clock.now += timedelta(seconds=settings.login_failure_window_seconds + 1)
        assert (await attempt(http, victim.email, "203.0.113.50", PASSWORD)).status_code == 200


async def test_an_unknown_email_gets_the_same_answers(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(settings, login_max_failures=2) as http:
        known = await member(http)
        unknown = unique_email("nobody")
        answers: dict[str, list[httpx.Response]] = {}
        for email in (known.email, unknown):
            assert email is not None
            answers[email] = [
                await attempt(http, email, f"198.51.100.{n}", password)
                for n, password in ((1, WRONG_PASSWORD), (2, WRONG_PASSWORD), (3, PASSWORD))
            ]

        assert known.email is not None
        for mine, theirs in zip(answers[known.email], answers[unknown], strict=True):
            assert (mine.status_code, mine.json()) == (theirs.status_code, theirs.json())
            assert mine.headers.get("retry-after") == theirs.headers.get("retry-after")
        assert [a.status_code for a in answers[unknown]] == [401, 401, 429]


async def test_a_colleagues_failures_do_not_lock_out_the_office(
    settings: Settings, clock: SteppingClock
) -> None:
    """A morning at an office behind one address, with the shipped limits."""
    defaults = {
        name: Settings.model_fields[name].default
        for name in (
            "rate_limit_auth_per_ip",
            "login_max_failures",
            "login_max_failures_per_ip",
        )
    }
    office = "192.0.2.10"
    async with behind_load_balancer(settings, **defaults) as http:
        fumbler, *colleagues = [await member(http) for _ in range(13)]
        for _ in range(defaults["login_max_failures"]):
            assert (await attempt(http, fumbler.email, office)).status_code == 401

        assert (await attempt(http, fumbler.email, office, PASSWORD)).status_code == 429
        for colleague in colleagues:
            signed_in = await attempt(http, colleague.email, office, PASSWORD)
            assert signed_in.status_code == 200, signed_in.text
        # And their apps keep refreshing through the same address.
        for colleague in colleagues:
            refreshed = await http.post(
                "/api/v1/auth/refresh",
                json={"refresh_token": colleague.refresh_token},
                headers=at(office),
            )
            assert refreshed.status_code == 200, refreshed.text


async def test_the_address_limit_counts_failures_on_every_account(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(
        settings, login_max_failures=5, login_max_failures_per_ip=4
    ) as http:
        colleague, sprayer = await member(http), await member(http)
        office = "192.0.2.10"
        for _ in range(3):
            assert (await attempt(http, unique_email("sprayed"), office)).status_code == 401
        # A success of one's own does not reset the address's count for others.
        assert (await attempt(http, sprayer.email, office, PASSWORD)).status_code == 200
        assert (await attempt(http, unique_email("sprayed"), office)).status_code == 401

        refused = await attempt(http, colleague.email, office, PASSWORD)
        assert_refused(
            refused, "login-failures-ip", 4, settings.login_failure_window_seconds_per_ip
        )
        assert "per IP address" in refused.json()["detail"]
        # The account itself is fine from anywhere else.
        assert (await attempt(http, colleague.email, "203.0.113.7", PASSWORD)).status_code == 200


async def test_concurrent_guesses_cannot_overshoot_the_account_limit(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(settings, login_max_failures=3) as http:
        victim = await member(http)
        guesses = await asyncio.gather(
            *(attempt(http, victim.email, f"198.51.100.{n}") for n in range(1, 13))
        )

        statuses = sorted(guess.status_code for guess in guesses)
        assert statuses == [401] * 3 + [429] * 9


async def test_refused_and_successful_attempts_are_not_failures(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(
        settings, login_max_failures=2, login_max_failures_per_ip=4
    ) as http:
        locked, colleague = await member(http), await member(http)
        office = "192.0.2.10"
        for _ in range(2):
            assert (await attempt(http, locked.email, office)).status_code == 401
        # Knocking on a locked account does not use up the address's failures,
        for _ in range(5):
            assert (await attempt(http, locked.email, office)).status_code == 429
        # and neither do sign-ins that succeed.
        for _ in range(5):
            assert (await attempt(http, colleague.email, office, PASSWORD)).status_code == 200

        # Two failures so far: two more use up the address's four, then it is refused.
        assert (await attempt(http, unique_email("typo"), office)).status_code == 401
        assert (await attempt(http, colleague.email, office, PASSWORD)).status_code == 200
        assert (await attempt(http, unique_email("typo"), office)).status_code == 401
        refused = await attempt(http, colleague.email, office, PASSWORD)
        assert_refused(
            refused, "login-failures-ip", 4, settings.login_failure_window_seconds_per_ip
        )


async def test_refresh_failures_are_not_sign_in_failures(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(settings, login_max_failures_per_ip=2) as http:
        colleague = await member(http)
        office = "192.0.2.10"
        for _ in range(4):
            stale = await http.post(
                "/api/v1/auth/refresh", json={"refresh_token": "x" * 40}, headers=at(office)
            )
            assert stale.status_code == 401
        assert (await attempt(http, colleague.email, office, PASSWORD)).status_code == 200


async def test_wrong_codes_and_wrong_passwords_share_the_accounts_budget(
    settings: Settings, clock: SteppingClock
) -> None:
    async with behind_load_balancer(settings, login_max_failures=3) as http:
        owner = await member(http)
        enrolled = await enrol(http, owner, clock)
        assert (await attempt(http, owner.email, "198.51.100.1")).status_code == 401
        token = await mfa_token(http, owner.email)
        for n, steps in ((2, 4), (3, 5)):
            wrong = await http.post(
                TOKEN_MFA,
                json={"mfa_token": token, "code": code(enrolled.secret, steps)},
                headers=at(f"198.51.100.{n}"),
            )
            assert wrong.status_code == 401, wrong.text

        right = await http.post(
            TOKEN_MFA,
            json={"mfa_token": token, "code": code(enrolled.secret)},
            headers=at("203.0.113.50"),
        )
        assert_refused(right, "login-failures", 3, settings.login_failure_window_seconds)
        password = await attempt(http, owner.email, "203.0.113.51", PASSWORD)
        assert_refused(password, "login-failures", 3, settings.login_failure_window_seconds)


async def used(limiter: RateLimiter, policy: RateLimitPolicy, subject: str) -> int:
    usage = await limiter.peek(policy, subject)
    assert usage is not None
    return usage.used


async def test_a_released_unit_goes_back_to_its_open_window(
    settings: Settings, clock: SteppingClock
) -> None:
    limiter = RateLimiter(settings, MemoryCounterStore())
    policy = limiter.login_failures
    for _ in range(2):
        await limiter.hit(policy, "ada@example.com")
    await limiter.release(policy, "ada@example.com")
    await limiter.release(policy, "grace@example.com")  # no window: nothing to give back

    assert await used(limiter, policy, "ada@example.com") == 1
    assert await used(limiter, policy, "grace@example.com") == 0
    await limiter.release(policy, "ada@example.com")
    await limiter.release(policy, "ada@example.com")
    assert await used(limiter, policy, "ada@example.com") == 0
    # A window that has closed is not reopened by a late release.
    await limiter.hit(policy, "ada@example.com")
    clock.now += timedelta(seconds=policy.window_seconds + 1)
    await limiter.release(policy, "ada@example.com")
    assert await used(limiter, policy, "ada@example.com") == 0
    await limiter.hit(policy, "ada@example.com")
    assert await used(limiter, policy, "ada@example.com") == 1


@needs_redis
async def test_redis_releases_without_going_negative_or_losing_the_expiry() -> None:
    prefix = f"coach-test-{uuid.uuid4().hex}:"
    limiter = RateLimiter.from_settings(Settings(redis_url=REDIS_URL, rate_limit_key_prefix=prefix))
    policy = limiter.login_failures
    try:
        await limiter.hit(policy, "ada@example.com")
        await limiter.hit(policy, "ada@example.com")
        await limiter.release(policy, "ada@example.com")
        peeked = await limiter.peek(policy, "ada@example.com")
        assert peeked is not None
        assert peeked.used == 1
        assert 1 <= peeked.reset_after <= policy.window_seconds
        for _ in range(3):
            await limiter.release(policy, "ada@example.com")
            await limiter.release(policy, "grace@example.com")
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        assert len(keys) == 1  # grace never got a key
        assert int(client.get(keys[0]) or 0) == 0
        assert client.pttl(keys[0]) > 0
        client.delete(*keys)
        client.close()
    finally:
        await limiter.close()


async def test_an_invitation_to_an_existing_account_shares_its_budget(
    settings: Settings, clock: SteppingClock
) -> None:
    """Accepting an invitation checks an existing account's password: guesses there count
    against the account like guesses at `POST /auth/token`, and the other way round."""
    async with behind_load_balancer(settings, login_max_failures=3) as http:
        victim = await member(http)
        inviter = await member(http)
        invited = await http.post(
            "/api/v1/invitations",
            json={"email": victim.email, "role": "coach"},
            headers=inviter.headers,
        )
        assert invited.status_code == 201, invited.text
        accept = f"/api/v1/invitations/{invited.json()['token']}/accept"
        body = {"full_name": "Victim", "password": WRONG_PASSWORD}
        for host in range(2):
            guess = await http.post(accept, json=body, headers=at(f"198.51.100.{host + 1}"))
            assert guess.status_code == 401, guess.text
        assert (await attempt(http, victim.email, "198.51.100.9")).status_code == 401
        refused = await http.post(
            accept, json={**body, "password": PASSWORD}, headers=at("203.0.113.50")
        )
        assert_refused(refused, "login-failures", 3, settings.login_failure_window_seconds)
        assert (await attempt(http, victim.email, "203.0.113.50", PASSWORD)).status_code == 429
