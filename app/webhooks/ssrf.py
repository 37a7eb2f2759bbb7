"""Refuse webhook URLs that would make us call into private networks (SSRF).

The host is resolved and every address must be public: one private answer is
enough to refuse, since the connection could land on any of them. Callers
then connect to an address that was checked, so a DNS answer that changes
between the check and the request (rebinding) cannot slip through.
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


class BlockedAddress(Exception):
    """The URL's host is, or resolves to, an address we do not call."""


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
    """Resolve `host`; raise BlockedAddress if any address is not public (unless allowed)."""
    addresses = await resolve(host, port)
    if not allow_private and not all(is_public(a) for a in addresses):
        raise BlockedAddress(f"{host} resolves to a private or reserved address")
    return ResolvedHost(host=host, addresses=addresses)
