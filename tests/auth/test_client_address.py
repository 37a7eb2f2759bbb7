"""The client address: the peer, or what a trusted proxy's `X-Forwarded-For` says.

Observed the way it matters, through the per-address `auth-ip` counter each response
reports (`RateLimit: "auth-ip";r=<remaining>`), and directly on `client_address`.
"""

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.auth.rate_limit_http import client_address
from app.core.config import Settings
from tests.core.test_rate_limits import from_ip, serving
from tests.factories.identity import unique_email

LOAD_BALANCER = "10.0.0.2"
QUOTA = 5


def proxies(*entries: str) -> list[IPv4Network | IPv6Network]:
    return Settings(trusted_proxies=",".join(entries)).trusted_proxies  # type: ignore[arg-type]


async def remaining(http: httpx.AsyncClient, forwarded_for: str | bytes | None = None) -> int:
    """One sign-in attempt; what is left of its address's `auth-ip` quota."""
    headers = [] if forwarded_for is None else [(b"x-forwarded-for", _bytes(forwarded_for))]
    attempt = await http.post(
        "/api/v1/auth/token",
        data={"username": unique_email("nobody"), "password": "not the password"},
        headers=headers,
    )
    assert attempt.status_code == 401, attempt.text
    [policy] = [p for p in attempt.headers["ratelimit"].split(", ") if '"auth-ip"' in p]
    return int(policy.split(";")[1].removeprefix("r="))


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def behind(settings: Settings, *trusted: str) -> Any:
    return serving(settings, rate_limit_auth_per_ip=QUOTA, trusted_proxies=proxies(*trusted))


async def test_a_trusted_proxy_tells_its_clients_apart(settings: Settings) -> None:
    async with behind(settings, "10.0.0.0/8") as app, from_ip(app, LOAD_BALANCER) as http:
        assert await remaining(http, "198.51.100.1") == QUOTA - 1
        assert await remaining(http, "198.51.100.2") == QUOTA - 1
        assert await remaining(http, "198.51.100.1") == QUOTA - 2
        # Through two trusted hops, the address the outer one was reached from.
        assert await remaining(http, "198.51.100.2, 10.9.9.9") == QUOTA - 2


async def test_an_untrusted_peers_forwarded_for_is_ignored(settings: Settings) -> None:
    async with (
        behind(settings, "10.0.0.0/8") as app,
        from_ip(app, "203.0.113.9") as direct,
        from_ip(app, LOAD_BALANCER) as via_proxy,
    ):
        assert await remaining(direct, "198.51.100.1") == QUOTA - 1
        assert await remaining(direct, "198.51.100.2") == QUOTA - 2
        assert await remaining(direct) == QUOTA - 3
        # What it claimed was charged to it, and to nobody it named.
        assert await remaining(via_proxy, "203.0.113.9") == QUOTA - 4
        assert await remaining(via_proxy, "198.51.100.1") == QUOTA - 1


async def test_without_trusted_proxies_forwarded_for_is_ignored(settings: Settings) -> None:
    async with behind(settings) as app, from_ip(app, LOAD_BALANCER) as http:
        assert await remaining(http, "198.51.100.1") == QUOTA - 1
        assert await remaining(http, "198.51.100.2") == QUOTA - 2


async def test_addresses_a_client_puts_left_of_the_proxys_are_ignored(
    settings: Settings,
) -> None:
    async with behind(settings, "10.0.0.0/8") as app, from_ip(app, LOAD_BALANCER) as http:
        assert await remaining(http, "198.51.100.1") == QUOTA - 1
        assert await remaining(http, "1.1.1.1, 198.51.100.1") == QUOTA - 2
        # Claiming to be a trusted proxy does not help either.
        assert await remaining(http, "2.2.2.2, 10.0.0.7, 198.51.100.1") == QUOTA - 3
        # A second X-Forwarded-For line is read after the first, as one list.
        transport_headers = [
            (b"x-forwarded-for", b"3.3.3.3"),
            (b"x-forwarded-for", b"198.51.100.1"),
        ]
        attempt = await http.post(
            "/api/v1/auth/token",
            data={"username": unique_email("nobody"), "password": "not the password"},
            headers=transport_headers,
        )
        assert '"auth-ip";r=1;' in attempt.headers["ratelimit"]
        # The addresses it claimed were never charged.
        for claimed in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "10.0.0.7"):
            assert await remaining(http, claimed) == QUOTA - 1


async def test_ipv6_proxies_and_clients(settings: Settings) -> None:
    async with (
        behind(settings, "2001:db8:ffff::/48", "10.0.0.0/8") as app,
        from_ip(app, "2001:db8:ffff::2") as via_v6,
        from_ip(app, LOAD_BALANCER) as via_v4,
    ):
        assert await remaining(via_v6, "2001:db8:1:2::5") == QUOTA - 1
        assert await remaining(via_v4, "[2001:db8:1:2::5]:443") == QUOTA - 2
        # One subscriber's /64 is one client: its addresses are the subscriber's to pick.
        assert await remaining(via_v6, "2001:db8:1:2::6") == QUOTA - 3
        assert await remaining(via_v6, "2001:db8:1:3::5") == QUOTA - 1
        # An IPv4 client reached over IPv6 (IPv4-mapped) is that IPv4 address.
        assert await remaining(via_v6, "198.51.100.1") == QUOTA - 1
        assert await remaining(via_v4, "::ffff:198.51.100.1") == QUOTA - 2


@pytest.mark.parametrize(
    "malformed",
    [
        "not-an-address",
        "",
        " , ,",
        "198.51.100.1, unknown",
        "198.51.100.1,",
        "[2001:db8::1",
        "198.51.100.1:http",
        "999.1.1.1",
        "198.51.100.1/24",
        b"\xff\xfe\x00",
        "1" * 4000,
    ],
)
async def test_a_malformed_forwarded_for_is_the_proxy_itself(
    settings: Settings, malformed: str | bytes
) -> None:
    """No 500, and no address of the client's choosing: the walk stops at the last
    trusted hop, so every malformed header shares the proxy's own counter."""
    async with behind(settings, "10.0.0.0/8") as app, from_ip(app, LOAD_BALANCER) as http:
        assert await remaining(http, malformed) == QUOTA - 1
        assert await remaining(http, "another malformed one") == QUOTA - 2
        assert await remaining(http) == QUOTA - 3
        assert await remaining(http, "198.51.100.1") == QUOTA - 1


def _scope(peer: str | None, *forwarded_for: str) -> dict[str, Any]:
    return {
        "client": None if peer is None else (peer, 40000),
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded_for],
    }


TRUSTED = proxies("10.0.0.0/8", "192.0.2.1", "2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 192.0.2.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["10.0.0.9, 10.0.0.3"], "10.0.0.9"),
        ("10.0.0.2", ["6.6.6.6, junk, 10.0.0.3"], "10.0.0.3"),
        ("10.0.0.2", ["198.51.100.1:5000"], "198.51.100.1"),
        ("10.0.0.2", ["  198.51.100.1\t"], "198.51.100.1"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("2001:db8:ffff::2", ["2001:DB8:1:2:0:0:0:5"], "2001:db8:1:2::5"),
        ("2001:db8:ffff::2", ["[2001:db8::7]:8443"], "2001:db8::7"),
        ("2001:db8:ffff::2", ["fe80::1%eth0"], "fe80::1"),
        ("2001:db8:fffe::2", ["198.51.100.1"], "2001:db8:fffe::2"),
        ("testclient", ["198.51.100.1"], "testclient"),
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded_for: Sequence[str], client: str) -> None:
    assert client_address(_scope(peer, *forwarded_for), TRUSTED) == client


def test_trusted_proxies_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1 2001:db8::/32")
    assert [str(network) for network in Settings().trusted_proxies] == [
        "10.0.0.0/8",
        "192.0.2.1/32",
        "2001:db8::/32",
    ]
    monkeypatch.setenv("COACH_TRUSTED_PROXIES", '["::1"]')
    assert [str(network) for network in Settings().trusted_proxies] == ["::1/128"]
    monkeypatch.setenv("COACH_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == []
    monkeypatch.delenv("COACH_TRUSTED_PROXIES")
    assert Settings().trusted_proxies == []


@pytest.mark.parametrize("wrong", ["10.0.0.5/8", "proxy.internal", "*", "10.0.0.0/33"])
def test_a_trusted_proxy_must_be_an_address_or_a_network(wrong: str) -> None:
    """Refused at start-up: `10.0.0.5/8` is not silently widened to 10.0.0.0/8."""
    with pytest.raises(ValidationError, match="COACH_TRUSTED_PROXIES"):
        Settings(trusted_proxies=wrong)  # type: ignore[arg-type]


async def test_the_default_trusts_no_proxy(app: FastAPI) -> None:
    assert Settings().trusted_proxies == []
    assert app.state.settings.trusted_proxies == []
