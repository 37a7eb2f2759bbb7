"""Rate limits: per user, per API key, per IP on sign-in, shared through Redis.

Each test serves its own app with small quotas (the suite's shared app keeps its
limits out of reach) and talks to it from its own client IP.
"""

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.rate_limit import RateLimiter, Usage
from app.core.time import set_clock, utc_now
from app.main import create_app
from tests.conftest import TEST_JWT_SECRET
from tests.factories.identity import PASSWORD, add_api_key, sign_in, signup, unique_email

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

# CI sets COACH_TEST_REDIS_URL and then insists on Redis; elsewhere a missing Redis skips.
REQUIRED_REDIS_URL = os.environ.get("COACH_TEST_REDIS_URL")
REDIS_URL = REQUIRED_REDIS_URL or "redis://127.0.0.1:6379/0"
PROBLEM = "application/problem+json"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


needs_redis = pytest.mark.skipif(
    REQUIRED_REDIS_URL is None and not _redis_reachable(), reason="Redis is not reachable"
)


@asynccontextmanager
async def serving(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        yield app


def from_ip(app: FastAPI, ip: str = "203.0.113.10") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _assert_refused(response: httpx.Response, policy: str, quota: int) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) >= 1
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/rate-limited")
    assert (body["policy"], body["quota"], body["window_seconds"]) == (policy, quota, 60)
    assert f"`{policy}`" in body["detail"]
    assert f"{quota} " in body["detail"]
    assert f'"{policy}";r=0;' in response.headers["ratelimit"]
    return body


@pytest.fixture
def frozen_clock() -> Iterator[list[Any]]:
    """The app clock, stopped; tests move it by replacing `now[0]`."""
    now = [utc_now()]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def test_every_authenticated_response_reports_the_callers_limit(
    settings: Settings,
) -> None:
    async with serving(settings, rate_limit_per_user=5) as app, from_ip(app) as http:
        owner = await signup(http)  # and one GET /me

        me = await http.get("/api/v1/me", headers=owner.headers)

        assert me.status_code == 200
        assert me.headers["ratelimit-policy"] == '"user";q=5;w=60'
        assert me.headers["ratelimit"].startswith('"user";r=3;t=')
        assert 1 <= int(me.headers["ratelimit"].rsplit("t=", 1)[1]) <= 60


async def test_a_user_over_quota_is_refused_until_the_window_ends(
    settings: Settings, frozen_clock: list[Any]
) -> None:
    async with serving(settings, rate_limit_per_user=4) as app, from_ip(app) as http:
        owner = await signup(http)
        for _ in range(3):
            assert (await http.get("/api/v1/me", headers=owner.headers)).status_code == 200

        refused = await http.get("/api/v1/me", headers=owner.headers)

        body = _assert_refused(refused, "user", 4)
        assert "per user" in body["detail"]
        assert refused.headers["ratelimit-policy"] == '"user";q=4;w=60'
        # Another user behind the same IP has a quota of their own.
        colleague = await signup(http)
        assert (await http.get("/api/v1/me", headers=colleague.headers)).status_code == 200

        frozen_clock[0] += timedelta(seconds=61)
        again = await http.get("/api/v1/me", headers=owner.headers)
        assert again.status_code == 200
        assert again.headers["ratelimit"].startswith('"user";r=3;')


async def test_an_api_key_has_its_own_quota(settings: Settings, db: AsyncSession) -> None:
    async with serving(settings, rate_limit_per_api_key=3) as app, from_ip(app) as http:
        owner = await signup(http)
        key = await add_api_key(db, owner.organization_id, ["clients:read"])
        for remaining in (2, 1, 0):
            listed = await http.get("/api/v1/clients", headers=key.headers)
            assert listed.status_code == 200, listed.text
            assert listed.headers["ratelimit-policy"] == '"api-key";q=3;w=60'
            assert listed.headers["ratelimit"].startswith(f'"api-key";r={remaining};')

        _assert_refused(await http.get("/api/v1/clients", headers=key.headers), "api-key", 3)
        # The key's owner signs in as a user: a different counter.
        assert (await http.get("/api/v1/clients", headers=owner.headers)).status_code == 200


async def test_a_wrong_api_key_secret_does_not_use_up_the_keys_quota(
    settings: Settings, db: AsyncSession
) -> None:
    async with serving(settings, rate_limit_per_api_key=2) as app, from_ip(app) as http:
        owner = await signup(http)
        key = await add_api_key(db, owner.organization_id, ["clients:read"])
        key_id = key.token.split("_")[1]
        forged = {"Authorization": f"Bearer ck_{key_id}_not-the-secret"}
        for _ in range(4):
            assert (await http.get("/api/v1/clients", headers=forged)).status_code == 401

        for _ in range(2):
            assert (await http.get("/api/v1/clients", headers=key.headers)).status_code == 200
        _assert_refused(await http.get("/api/v1/clients", headers=key.headers), "api-key", 2)


async def test_sign_in_attempts_are_limited_per_ip(settings: Settings) -> None:
    async with (
        serving(settings, rate_limit_auth_per_ip=3) as app,
        from_ip(app, "198.51.100.1") as attacker,
        from_ip(app, "198.51.100.2") as other,
    ):
        for _ in range(3):
            guess = await attacker.post(
                "/api/v1/auth/token",
                data={"username": unique_email("victim"), "password": "guess-guess"},
            )
            assert guess.status_code == 401
            assert guess.headers["ratelimit-policy"] == '"auth-ip";q=3;w=60'

        refused = await attacker.post(
            "/api/v1/auth/token",
            data={"username": unique_email("victim"), "password": "guess-guess"},
        )

        body = _assert_refused(refused, "auth-ip", 3)
        assert "per IP address" in body["detail"]
        # Sign-up and refresh count against the same IP quota.
        assert (
            await attacker.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 40})
        ).status_code == 429
        owner = await signup(other)
        assert owner.email is not None
        assert (await sign_in(other, owner.email)).status_code == 200


async def test_signup_and_refresh_count_against_the_ip(settings: Settings) -> None:
    async with serving(settings, rate_limit_auth_per_ip=3) as app, from_ip(app) as http:
        owner = await signup(http)
        refreshed = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
        )
        assert refreshed.status_code == 200
        assert refreshed.headers["ratelimit"].startswith('"auth-ip";r=1;')
        assert owner.email is not None
        assert (await sign_in(http, owner.email)).status_code == 200

        _assert_refused(
            await http.post(
                "/api/v1/auth/signup",
                json={
                    "organization_name": "Late",
                    "full_name": "Lou Late",
                    "email": unique_email(),
                    "password": PASSWORD,
                },
            ),
            "auth-ip",
            3,
        )


async def test_failed_sign_in_lockout_names_its_limit(settings: Settings) -> None:
    async with serving(settings, login_max_failures=2) as app, from_ip(app) as http:
        owner = await signup(http)
        for _ in range(2):
            wrong = await http.post(
                "/api/v1/auth/token", data={"username": owner.email, "password": "wrong guess!"}
            )
            assert wrong.status_code == 401
        assert owner.email is not None

        locked = await sign_in(http, owner.email)

        assert locked.status_code == 429
        body = locked.json()
        assert (body["policy"], body["quota"]) == ("login-failures", 2)
        assert body["window_seconds"] == settings.login_failure_window_seconds
        assert "2 failed sign-ins" in body["detail"]
        assert int(locked.headers["retry-after"]) >= 1


@needs_redis
async def test_redis_counters_count_expire_and_reset() -> None:
    prefix = f"coach-test-{uuid.uuid4().hex}:"
    limiter = RateLimiter.from_settings(
        Settings(redis_url=REDIS_URL, rate_limit_key_prefix=prefix, rate_limit_per_user=2)
    )
    try:
        assert await limiter.peek(limiter.user, "ada") == Usage(limiter.user, 0, 60)
        first = await limiter.hit(limiter.user, "ada")
        second = await limiter.hit(limiter.user, "ada")
        third = await limiter.hit(limiter.user, "ada")
        assert first is not None
        assert second is not None
        assert third is not None
        assert (first.remaining, second.remaining, second.exceeded) == (1, 0, False)
        assert third.exceeded
        assert 1 <= third.reset_after <= 60
        peeked = await limiter.peek(limiter.user, "ada")
        assert peeked is not None
        assert (peeked.used, peeked.exhausted) == (3, True)
        assert await limiter.peek(limiter.user, "grace") == Usage(limiter.user, 0, 60)

        await limiter.reset(limiter.user, "ada")
        assert await limiter.peek(limiter.user, "ada") == Usage(limiter.user, 0, 60)
    finally:
        await limiter.close()
        _delete_keys(prefix)


async def test_an_unreachable_redis_lets_requests_through(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with _closed_port() as port:
        async with (
            serving(
                settings, redis_url=f"redis://127.0.0.1:{port}/0", rate_limit_per_user=1
            ) as app,
            from_ip(app) as http,
        ):
            # create_app configured logging afresh: listen on the logger itself.
            logging.getLogger("app.core.rate_limit").addHandler(caplog.handler)
            try:
                owner = await signup(http)
                for _ in range(3):
                    me = await http.get("/api/v1/me", headers=owner.headers)
                    assert me.status_code == 200
                    assert "ratelimit" not in me.headers
            finally:
                logging.getLogger("app.core.rate_limit").removeHandler(caplog.handler)

    assert any("rate-limit store unreachable" in r.getMessage() for r in caplog.records)


@needs_redis
def test_two_api_processes_share_one_limit_through_redis(tmp_path: Path) -> None:
    prefix = f"coach-test-{uuid.uuid4().hex}:"
    env = {name: value for name, value in os.environ.items() if not name.startswith("COACH_")}
    env |= {
        "COACH_ENV": "test",
        "COACH_DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}",
        "COACH_JWT_SECRET": TEST_JWT_SECRET,
        "COACH_REDIS_URL": REDIS_URL,
        "COACH_RATE_LIMIT_KEY_PREFIX": prefix,
        "COACH_RATE_LIMIT_PER_USER": "6",
        "COACH_LOG_LEVEL": "WARNING",
    }
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "migrate"], env=env, cwd=PROJECT_ROOT, check=True, timeout=120)  # noqa: S603
    ports = _free_ports(2)
    logs = [tmp_path / f"api-{port}.log" for port in ports]
    processes = [
        subprocess.Popen(  # noqa: S603
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process, log in zip(bases, processes, logs, strict=True):
            _wait_until_up(base, process, log)
        with httpx.Client(timeout=10) as http:
            signed_up = http.post(
                f"{bases[0]}/api/v1/auth/signup",
                json={
                    "organization_name": "Twin Peaks",
                    "full_name": "Olive Owner",
                    "email": unique_email(),
                    "password": PASSWORD,
                },
            )
            assert signed_up.status_code == 201, signed_up.text
            auth = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}

            # Six requests alternate between the processes and draw on one counter.
            remaining = []
            for index in range(6):
                me = http.get(f"{bases[index % 2]}/api/v1/me", headers=auth)
                assert me.status_code == 200, me.text
                remaining.append(me.headers["ratelimit"].split(";")[1])
            assert remaining == ["r=5", "r=4", "r=3", "r=2", "r=1", "r=0"]

            for base in bases:
                _assert_refused(http.get(f"{base}/api/v1/me", headers=auth), "user", 6)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        _delete_keys(prefix)


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports: all probes stay bound until every port is known,
    or the kernel may hand the same port out twice."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@contextmanager
def _closed_port() -> Iterator[int]:
    """A loopback port nothing listens on (bound, never listening) for the test's span."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound:
        bound.bind(("127.0.0.1", 0))
        port: int = bound.getsockname()[1]
        yield port


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"API process exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"API process did not start:\n{log.read_text()}")


def _delete_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()
