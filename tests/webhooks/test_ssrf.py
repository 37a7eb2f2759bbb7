"""Which addresses a webhook may reach (resolution only: nothing is sent)."""

import ipaddress
from datetime import timedelta

import pytest

from app.webhooks.ssrf import BlockedAddress, is_public, resolve_public
from app.webhooks.worker import RETRY_DELAYS, retry_delay


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address we refuse, not one we bind
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


async def test_one_private_answer_is_enough_to_refuse() -> None:
    with pytest.raises(BlockedAddress):
        await resolve_public("127.0.0.1", 80, allow_private=False)
    allowed = await resolve_public("127.0.0.1", 80, allow_private=True)
    assert allowed.addresses == (ipaddress.ip_address("127.0.0.1"),)


def test_retry_schedule_backs_off_with_jitter_then_gives_up() -> None:
    for failures, base in enumerate(RETRY_DELAYS, start=1):
        delay = retry_delay(failures)
        assert delay is not None
        assert base * 0.9 <= delay <= base * 1.1
    assert RETRY_DELAYS[0] == timedelta(seconds=5)
    assert RETRY_DELAYS[-1] == timedelta(hours=10)
    assert retry_delay(len(RETRY_DELAYS) + 1) is None
