"""Which addresses a webhook may reach (resolution only: nothing is sent)."""

import ipaddress
from datetime import timedelta

import httpx
import pytest

from app.webhooks.dispatch import RETRY_DELAYS, retry_delay
from app.webhooks.ssrf import BlockedAddress, is_public, resolve_public
from tests.factories.identity import signup
from tests.factories.webhooks import create_endpoint


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


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254", "::a9fe:a9fe", "fd00:ec2::254"],
)
async def test_the_check_before_sending_refuses_metadata_addresses_even_when_private_is_allowed(
    host: str,
) -> None:
    with pytest.raises(BlockedAddress):
        await resolve_public(host, 80, allow_private=True)


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.1.10", "fd12:3456::1", "::ffff:127.0.0.1"])
async def test_private_receivers_are_allowed_when_private_urls_are(host: str) -> None:
    assert (await resolve_public(host, 80, allow_private=True)).addresses == (
        ipaddress.ip_address(host),
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "224.0.0.1", "255.255.255.255", "::"])  # noqa: S104
async def test_allowing_private_urls_does_not_allow_other_special_addresses(host: str) -> None:
    with pytest.raises(BlockedAddress):
        await resolve_public(host, 80, allow_private=True)


def test_retry_schedule_backs_off_with_jitter_then_gives_up() -> None:
    for failures, base in enumerate(RETRY_DELAYS, start=1):
        delay = retry_delay(failures)
        assert delay is not None
        assert base * 0.9 <= delay <= base * 1.1
    assert RETRY_DELAYS[0] == timedelta(seconds=5)
    assert RETRY_DELAYS[-1] == timedelta(hours=10)
    assert retry_delay(len(RETRY_DELAYS) + 1) is None


# Address literals only, so nothing is looked up; no worker runs, so nothing is sent.
LINK_LOCAL_AND_METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",  # AWS, GCP, Azure, OCI… metadata
    "http://2852039166/latest/meta-data/",  # the same, as one decimal number
    "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/",  # and in hex
    "http://169.254.170.2/v2/credentials",  # AWS ECS task credentials
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata
    "http://[fe80::1]:9/x",
    "http://[febf::1]:9/x",  # the top of fe80::/10
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64
    "http://[2002:a9fe:a9fe::1]/latest/meta-data/",  # 6to4
    "http://[fd00:ec2::254]/latest/meta-data/",  # AWS metadata over IPv6
]


@pytest.mark.usefixtures("allow_private_urls")
@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://[::1]:9/x"])
async def test_allowing_private_urls_lets_loopback_receivers_register(
    client: httpx.AsyncClient, url: str
) -> None:
    owner = await signup(client)
    endpoint = await create_endpoint(client, owner, url, enabled=False)
    assert endpoint["url"] == url


@pytest.mark.usefixtures("allow_private_urls")
@pytest.mark.parametrize("url", LINK_LOCAL_AND_METADATA_URLS)
async def test_allowing_private_urls_never_allows_link_local_or_metadata_addresses(
    client: httpx.AsyncClient, url: str
) -> None:
    owner = await signup(client)
    response = await client.post(
        "/api/v1/webhook-endpoints", json={"url": url, "enabled": False}, headers=owner.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["parameter"] == "url"
    assert "link-local or cloud metadata" in problem["detail"]
    assert (await client.get("/api/v1/webhook-endpoints", headers=owner.headers)).json()[
        "data"
    ] == []


@pytest.mark.usefixtures("allow_private_urls")
async def test_an_endpoint_cannot_be_moved_to_the_metadata_service_either(
    client: httpx.AsyncClient,
) -> None:
    owner = await signup(client)
    endpoint = await create_endpoint(client, owner, "http://127.0.0.1:9/x", enabled=False)
    moved = await client.patch(
        f"/api/v1/webhook-endpoints/{endpoint['id']}",
        json={"url": "http://169.254.169.254/latest/meta-data/"},
        headers=owner.headers,
    )
    assert moved.status_code == 422, moved.text
