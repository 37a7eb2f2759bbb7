"""Rate limits: named policies counted in fixed windows, in memory or in Redis.

A policy allows `quota` units per `window_seconds` for one subject (a user, an
API key, a client address, an email). A window opens at a subject's first hit and
its counter expires with it; `release` gives one unit back (a sign-in attempt
counted as a failure before it was checked, that turned out not to be one).
Counters live in the process by default; with `COACH_REDIS_URL` they live in
Redis (one atomic script per hit), so the limit holds across every API process.

Redis failing must not take the API down with it: an unreachable Redis lets
requests through (fail open), logs a warning, and is not retried for a few
seconds so each request does not wait for a connect timeout.
"""

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.time import utc_now

logger = logging.getLogger(__name__)
T = TypeVar("T")

# How long an unreachable Redis is left alone before it is tried again.
REDIS_RETRY_AFTER_FAILURE_SECONDS = 5.0
_REDIS_SOCKET_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    # In headers and problems: "user", "api-key", "auth-ip", "login-failures", …
    name: str
    quota: int
    window_seconds: int
    per: str  # what one counter belongs to, for people: "user", "IP address", …
    unit: str = "requests"


@dataclass(frozen=True, slots=True)
class Usage:
    """A subject's counter under a policy, as of the last hit or read."""

    policy: RateLimitPolicy
    used: int
    reset_after: int  # whole seconds until the window ends (≥ 1)

    @property
    def remaining(self) -> int:
        return max(0, self.policy.quota - self.used)

    @property
    def exhausted(self) -> bool:
        """No unit is left: the next hit would be refused."""
        return self.used >= self.policy.quota

    @property
    def exceeded(self) -> bool:
        """The last hit went over the quota and must be refused."""
        return self.used > self.policy.quota


class CounterStore(Protocol):
    async def increment(self, key: str, window_seconds: int) -> tuple[int, float]:
        """Add one; return the count and the seconds left in the window."""

    async def read(self, key: str) -> tuple[int, float]:
        """The count and seconds left, (0, 0) for no open window."""

    async def decrement(self, key: str) -> None:
        """Take one back from an open window (never below 0; no window: nothing)."""

    async def delete(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryCounterStore:
    """Per-process counters on the app clock (`set_clock` moves windows in tests)."""

    def __init__(self) -> None:
        self._counters: dict[str, tuple[float, int]] = {}  # key → (window end, count)
        self._next_sweep = 0.0

    async def increment(self, key: str, window_seconds: int) -> tuple[int, float]:
        now = self._now()
        self._sweep(now)
        ends_at, count = self._counters.get(key, (0.0, 0))
        if ends_at <= now:
            ends_at, count = now + window_seconds, 0
        self._counters[key] = (ends_at, count + 1)
        return count + 1, ends_at - now

    async def read(self, key: str) -> tuple[int, float]:
        now = self._now()
        ends_at, count = self._counters.get(key, (0.0, 0))
        return (count, ends_at - now) if ends_at > now else (0, 0.0)

    async def decrement(self, key: str) -> None:
        ends_at, count = self._counters.get(key, (0.0, 0))
        if ends_at > self._now() and count > 0:
            self._counters[key] = (ends_at, count - 1)

    async def delete(self, key: str) -> None:
        self._counters.pop(key, None)

    async def close(self) -> None:
        self._counters.clear()

    @staticmethod
    def _now() -> float:
        return utc_now().timestamp()

    def _sweep(self, now: float) -> None:
        # Closed windows are dropped now and then so memory follows active subjects.
        if now < self._next_sweep:
            return
        self._counters = {k: v for k, v in self._counters.items() if v[0] > now}
        self._next_sweep = now + 60


# INCR and the expiry in one atomic step: a window can never be left without a TTL.
_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_READ = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('PTTL', KEYS[1])}
"""
# DECR keeps the key's TTL; a missing or spent counter is left alone (never negative,
# never a key without a TTL).
_DECREMENT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
"""


class RedisCounterStore:
    """Counters shared by every process using the same Redis and key prefix."""

    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=_REDIS_SOCKET_TIMEOUT_SECONDS,
            socket_timeout=_REDIS_SOCKET_TIMEOUT_SECONDS,
        )
        self._increment = self._redis.register_script(_INCREMENT)
        self._read = self._redis.register_script(_READ)
        self._decrement = self._redis.register_script(_DECREMENT)

    async def increment(self, key: str, window_seconds: int) -> tuple[int, float]:
        count, ttl_ms = await self._increment(keys=[key], args=[window_seconds * 1000])
        return int(count), int(ttl_ms) / 1000

    async def read(self, key: str) -> tuple[int, float]:
        count, ttl_ms = await self._read(keys=[key])
        return (int(count), int(ttl_ms) / 1000) if int(ttl_ms) > 0 else (0, 0.0)

    async def decrement(self, key: str) -> None:
        await self._decrement(keys=[key])

    async def delete(self, key: str) -> None:
        await self._redis.delete(key)

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    """The app's policies and the store their counters live in."""

    def __init__(self, settings: Settings, store: CounterStore) -> None:
        window = settings.rate_limit_window_seconds
        self.user = RateLimitPolicy("user", settings.rate_limit_per_user, window, "user")
        self.api_key = RateLimitPolicy(
            "api-key", settings.rate_limit_per_api_key, window, "API key"
        )
        self.auth_ip = RateLimitPolicy(
            "auth-ip", settings.rate_limit_auth_per_ip, window, "IP address"
        )
        # Failed sign-ins: per email from every address (distributed guessing against
        # one account), and per address over every email (one address trying many).
        self.login_failures = RateLimitPolicy(
            "login-failures",
            settings.login_max_failures,
            settings.login_failure_window_seconds,
            "email",
            unit="failed sign-ins",
        )
        self.login_failures_ip = RateLimitPolicy(
            "login-failures-ip",
            settings.login_max_failures_per_ip,
            settings.login_failure_window_seconds_per_ip,
            "IP address",
            unit="failed sign-ins",
        )
        # Password-reset requests: per address asked about (a mailbox is not flooded),
        # and per client address (one address cannot go through the staff list).
        self.password_reset_email = RateLimitPolicy(
            "password-reset",
            settings.password_reset_per_email_per_hour,
            3600,
            "email",
            unit="reset requests",
        )
        self.password_reset_ip = RateLimitPolicy(
            "password-reset-ip",
            settings.password_reset_per_ip_per_hour,
            3600,
            "IP address",
            unit="reset requests",
        )
        self._store = store
        self._prefix = settings.rate_limit_key_prefix
        self._store_down_until = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimiter":
        store: CounterStore = (
            RedisCounterStore(settings.redis_url) if settings.redis_url else MemoryCounterStore()
        )
        return cls(settings, store)

    async def hit(self, policy: RateLimitPolicy, subject: str) -> Usage | None:
        """Count one unit; None when the store is unreachable (let the request through)."""
        key = self._key(policy, subject)
        counted = await self._guarded(lambda: self._store.increment(key, policy.window_seconds))
        return None if counted is None else _usage(policy, *counted)

    async def peek(self, policy: RateLimitPolicy, subject: str) -> Usage | None:
        """The counter without counting; None when the store is unreachable."""
        key = self._key(policy, subject)
        counted = await self._guarded(lambda: self._store.read(key))
        return None if counted is None else _usage(policy, *counted)

    async def release(self, policy: RateLimitPolicy, subject: str) -> None:
        """Give back one unit `hit` counted in the window still open."""
        key = self._key(policy, subject)
        await self._guarded(lambda: self._store.decrement(key))

    async def reset(self, policy: RateLimitPolicy, subject: str) -> None:
        key = self._key(policy, subject)
        await self._guarded(lambda: self._store.delete(key))

    async def close(self) -> None:
        await self._store.close()

    def _key(self, policy: RateLimitPolicy, subject: str) -> str:
        # Hashed: emails and IPs stay out of Redis, and keys have a bounded length.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        return f"{self._prefix}{policy.name}:{digest}"

    async def _guarded(self, operation: Callable[[], Awaitable[T]]) -> T | None:
        if time.monotonic() < self._store_down_until:
            return None
        try:
            return await operation()
        except (RedisError, OSError) as exc:
            self._store_down_until = time.monotonic() + REDIS_RETRY_AFTER_FAILURE_SECONDS
            logger.warning(
                "rate-limit store unreachable, requests are not limited for %.0f s: %s",
                REDIS_RETRY_AFTER_FAILURE_SECONDS,
                exc,
            )
            return None


def _usage(policy: RateLimitPolicy, used: int, seconds_left: float) -> Usage:
    reset_after = max(1, math.ceil(seconds_left)) if used else policy.window_seconds
    return Usage(policy, used, reset_after)
