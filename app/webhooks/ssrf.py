"""Refuse webhook URLs that would make us call into private networks (SSRF).

The host is resolved and every address must be public: one private answer is
enough to refuse, since the connection could land on any of them. Callers
then connect to an address that was checked, so a DNS answer that changes
between the check and the request (rebinding) cannot slip through.

Allowing private URLs (for loopback receivers in development) adds loopback and
the private ranges, never link-local or cloud metadata addresses: those hand out
the machine's credentials, in development as much as anywhere.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not covered (or not in every Python) by the `ipaddress` flags.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The deprecated IPv4-compatible form (`::a.b.c.d`), minus `::` and `::1`.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

# Never called, whatever the settings: link-local (the metadata service at
# 169.254.169.254, ECS credentials at 169.254.170.2) and metadata services
# outside link-local. Public or private alone would let some through.
_NEVER = tuple(
    ipaddress.ip_network(network)
    for network in (
        "169.254.0.0/16",
        "fe80::/10",
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "fd00:ec2::254/128",  # AWS metadata over IPv6
    )
)
# What allowing private URLs adds: loopback and the private ranges, nothing else
# (not unspecified, multicast, broadcast or reserved addresses).
_PRIVATE_RECEIVERS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
    )
)


class BlockedAddress(Exception):
    """The URL's host is, or resolves to, an address we do not call."""


class NeverAllowedAddress(BlockedAddress):
    """The URL's host is, or resolves to, a link-local or metadata address: refused even
    when private URLs are allowed."""


class UnresolvableHost(Exception):
    """The URL's host does not resolve."""


@dataclass(frozen=True, slots=True)
class ResolvedHost:
    host: str
    addresses: tuple[IPAddress, ...]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _in(
    address: IPAddress, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def is_never_allowed(address: IPAddress) -> bool:
    """Link-local or metadata, in any spelling (IPv4 carried in IPv6 included)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is None and address in _IPV4_COMPATIBLE and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address))
        if embedded is not None and is_never_allowed(embedded):
            return True
    return _in(address, _NEVER)


def is_private_receiver(address: IPAddress) -> bool:
    """Loopback or a private range: what allowing private URLs lets through."""
    if is_never_allowed(address):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_private_receiver(embedded)
    return _in(address, _PRIVATE_RECEIVERS)


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if address in _UNIQUE_LOCAL:
            return False
    elif address in _CGNAT:
        return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


async def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        answers = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"{host} does not resolve") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        # Drop an IPv6 zone id ("fe80::1%eth0") before parsing.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"{host} does not resolve")
    return tuple(addresses)


async def resolve_public(host: str, port: int, *, allow_private: bool) -> ResolvedHost:
    """Resolve `host`; raise BlockedAddress if any address is not public, or (with
    `allow_private`) neither public nor a private receiver. A link-local or metadata
    address raises NeverAllowedAddress either way."""
    addresses = await resolve(host, port)
    if any(is_never_allowed(a) for a in addresses):
        raise NeverAllowedAddress(f"{host} resolves to a link-local or metadata address")
    if not all(is_public(a) or (allow_private and is_private_receiver(a)) for a in addresses):
        raise BlockedAddress(f"{host} resolves to a private or reserved address")
    return ResolvedHost(host=host, addresses=addresses)
