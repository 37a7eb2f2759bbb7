"""One HTTP attempt at a webhook: SSRF-checked, pinned to the checked address, bounded."""

import asyncio
import contextlib
import json
import re
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import certifi
import httpx

from app.webhooks.ssrf import BlockedAddress, UnresolvableHost, resolve_public

# What an attempt log keeps of the receiver's answer: the start of the body, after every
# value we sent is blanked out of a wider window (a receiver may echo the payload, and
# the log outlives an erasure's reach), and a few headers that explain a failure.
RESPONSE_BODY_LIMIT = 256
_RESPONSE_READ_LIMIT = 4096
KEPT_RESPONSE_HEADERS = ("content-type", "content-length", "retry-after", "date", "server")
REDACTED = "[redacted]"
_EMAIL = re.compile(r"[^\s@\"'<>,;:()\[\]]+@[^\s@\"'<>,;:()\[\]]+")
BLOCKED_ADDRESS = "blocked address"


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    status_code: int | None = None
    duration_ms: int = 0
    response_body: str | None = None
    response_headers: dict[str, str] | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


async def _read_limited(response: httpx.Response) -> bytes:
    collected = b""
    async for chunk in response.aiter_raw():
        collected += chunk
        if len(collected) >= _RESPONSE_READ_LIMIT:
            break
    return collected[:_RESPONSE_READ_LIMIT]


def _sent_strings(body: bytes) -> list[str]:
    """Every string in the JSON we sent (keys too), longest first, in the forms an echo
    may take (as sent, and JSON-escaped)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) >= 3:
            found.add(value)
            found.add(json.dumps(value)[1:-1])

    with contextlib.suppress(ValueError):  # we always send JSON; nothing to blank if not
        walk(json.loads(body))
    return sorted(found, key=len, reverse=True)


def redacted_answer(raw: bytes, sent: bytes) -> str:
    """The start of a receiver's answer with what we sent it, and any address, blanked."""
    text = raw.decode("utf-8", errors="replace")
    for value in _sent_strings(sent):
        text = text.replace(value, REDACTED)
    return _EMAIL.sub(REDACTED, text)[:RESPONSE_BODY_LIMIT]


def kept_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: response.headers[name][:200]
        for name in KEPT_RESPONSE_HEADERS
        if name in response.headers
    }


async def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout_seconds: float,
    allow_private: bool,
) -> AttemptOutcome:
    """POST once and report what happened; never raises for network or receiver trouble.

    The host is resolved and checked here, right before sending (DNS can change
    after registration), and the connection goes to that checked address: the
    URL carries the IP, `Host` and TLS SNI/certificate checks keep the name.
    """
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return int((time.perf_counter() - started) * 1000)

    target = httpx.URL(url)
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        resolved = await resolve_public(target.host, port, allow_private=allow_private)
    except BlockedAddress:
        return AttemptOutcome(duration_ms=elapsed_ms(), error=BLOCKED_ADDRESS)
    except UnresolvableHost:
        return AttemptOutcome(duration_ms=elapsed_ms(), error="could not resolve host")

    pinned = target.copy_with(host=str(resolved.addresses[0]))
    host_header = target.host if target.port is None else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            httpx.AsyncClient(
                timeout=timeout_seconds,
                follow_redirects=False,
                trust_env=False,  # a proxy from the environment would bypass the pinning
                verify=_ssl_context(),
            ) as http,
            http.stream(
                "POST",
                pinned,
                content=body,
                headers={**headers, "host": host_header, "user-agent": "Coach-API-Webhooks/1"},
                extensions=extensions,
            ) as response,
        ):
            raw = await _read_limited(response)
            return AttemptOutcome(
                status_code=response.status_code,
                duration_ms=elapsed_ms(),
                response_body=redacted_answer(raw, body),
                response_headers=kept_headers(response),
            )
    except (TimeoutError, httpx.TimeoutException):
        return AttemptOutcome(duration_ms=elapsed_ms(), error="timed out")
    except httpx.HTTPError as exc:
        return AttemptOutcome(
            duration_ms=elapsed_ms(), error=f"connection failed: {type(exc).__name__}"
        )
