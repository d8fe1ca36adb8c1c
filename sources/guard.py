"""SSRF guard: which URLs and addresses the fetcher may reach.

The check happens twice: on the URL (scheme, literal address) before a request, and on the
address actually connected to, inside the connection backend (see ``sources.http``), so a
public name that resolves to a private address is refused and no packet is sent to it.
Addresses are allowed by list, not refused by category: only globally reachable ones pass
(``AddressPolicy``), plus what the settings allow.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from core.errors import BlockedError, FetchError

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Cloud metadata services: never reachable, even when private addresses are allowed,
# because they hand out credentials (AWS IPv4/IPv6, Alibaba Cloud, Oracle, Azure wire server).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192", "168.63.129.16")
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve a host name with the operating system, TCP addresses only."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str) -> tuple[str, str, int]:
    """Refuse non-http(s) and malformed URLs; return (scheme, host, port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedError(f"{url}: malformed URL ({exc})", url=url) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedError(f"{url}: scheme {scheme or '(none)'!r} is not allowed", url=url)
    if not parts.hostname:
        raise BlockedError(f"{url}: no host", url=url)
    check_host(url, parts.hostname)
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def check_host(url: str, host: str) -> None:
    """Refuse a host that the HTTP client or the resolver cannot read, before either chokes on it.

    Digits and dots that are no dotted quad (``0177.0.0.1``, ``1.2.3.04``) and broken A-labels
    (``xn--zz.com``) fail in httpx; empty or over-long labels (``a..b``, 64 characters) in the IDNA codec.
    """
    try:
        _ = httpx.URL(url).host
        host.encode("idna")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise BlockedError(f"{url}: malformed host {host!r} ({exc})", url=url) from None


# Not globally reachable (IANA special-purpose registries) although Python 3.11's ``is_global`` says they are;
# newer Pythons know most of them. Listed here so that the guard does not depend on the Python version.
NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/29",  # IPv4 service continuity prefix (DS-Lite)
        "192.0.0.8/32",  # IPv4 dummy address
        "192.0.0.170/31",  # NAT64/DNS64 discovery
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "fec0::/10",  # deprecated site-local: a private network by another name
        "2002::/16",  # 6to4: reachable only through the IPv4 address it embeds (checked as that address)
        "64:ff9b:1::/48",  # local-use NAT64
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
    )
)
# Prefixes that carry an IPv4 address a gateway will reach for us: the verdict is that address's.
EMBEDDING_V4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("2002::/16"))


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be contacted: only globally reachable ones, plus the networks allowed by setting.

    An allow-list: an address is refused unless ``is_global`` (and not in NOT_GLOBAL), or inside
    ``allow_networks``, or any address while ``allow_private`` is on (tests, a lab). Cloud metadata addresses
    are refused whatever the settings, and an IPv6 address embedding an IPv4 one (mapped, 6to4, NAT64,
    Teredo) is judged as the IPv4 address it leads to.
    """

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()  # exceptions, e.g. an intranet mirror or a test server

    @classmethod
    def build(cls, allow_private: bool, networks: Sequence[str] = ()) -> AddressPolicy:
        """A policy from config values; networks are CIDR strings such as ``127.0.0.1/32``."""
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def reason(self, ip: IPAddress) -> str | None:
        """Why an address may not be contacted, or None when it may."""
        embedded = embedded_v4(ip)
        if embedded is not None:
            return self.reason(embedded)
        if ip in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if self.allow_private or any(ip in net for net in self.allow_networks):
            return None
        return None if is_public(ip) else f"not a public address ({kind_of(ip)})"


def embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to (IPv4-mapped, 6to4, Teredo server and client, NAT64), else None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None or ip.sixtofour is not None:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address: where the tunnel ends
    if ip in EMBEDDING_V4[0]:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether an address is a globally reachable unicast address (Python counts multicast as global)."""
    if not ip.is_global or ip.is_multicast:
        return False
    return not any(ip in net for net in NOT_GLOBAL if net.version == ip.version)


def kind_of(ip: IPAddress) -> str:
    """What kind of non-public address this is, for the error message."""
    if ip.version == 4 and ip in CARRIER_NAT:
        return "carrier-grade NAT"
    return next((label for label, flag in _CATEGORIES if getattr(ip, flag, False)), "special-purpose")


CARRIER_NAT = ipaddress.ip_network("100.64.0.0/10")  # on Alibaba Cloud, 100.100.x.x serves internal DNS and more
_CATEGORIES = (
    ("loopback", "is_loopback"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("unspecified", "is_unspecified"),
    ("site-local", "is_site_local"),
    ("private", "is_private"),
    ("reserved", "is_reserved"),
)


def canonical_host(url: str) -> str:
    """The host a URL's request reaches, written one way, for per-host politeness.

    ``a@Example.COM.``, ``2130706434``, ``0x7f000002`` and ``127.2`` name two hosts, not four: user
    info, case and the root dot are dropped, and numbers are read as the resolver reads them
    (``inet_aton``) into a dotted quad.
    """
    host = (urlsplit(url).hostname or "").rstrip(".")
    literal = literal_ip(host)
    if literal is not None:
        return str(literal)
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return host


def vet_address(address: str, policy: AddressPolicy, host: str = "") -> IPAddress:
    """Parse an address and raise BlockedError when it may not be contacted."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    reason = policy.reason(ip)
    if reason is not None:
        shown = f"{host} ({ip})" if host and host != str(ip) else str(ip)
        raise BlockedError(f"{shown}: refused, {reason}", url=host or str(ip))
    return ip


def literal_ip(host: str) -> IPAddress | None:
    """The address when the host is written as an IP literal, else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve_vetted(host: str, port: int, resolver: Resolver, policy: AddressPolicy) -> list[str]:
    """Resolve a host and return only its addresses; refuse when any is forbidden."""
    literal = literal_ip(host)
    if literal is not None:
        return [str(vet_address(str(literal), policy, host))]
    try:
        addresses = list(resolver(host, port))
    except OSError as exc:
        raise FetchError(f"{host}: cannot resolve ({exc})", url=host, transient=True) from None
    except UnicodeError as exc:  # the resolver's IDNA codec refused the name: no retry will change that
        raise BlockedError(f"{host}: malformed host ({exc})", url=host) from None
    if not addresses:
        raise BlockedError(f"{host}: resolves to no address", url=host)
    # All must pass: a name answering both a public and a private address is a rebinding trick.
    return [str(vet_address(a, policy, host)) for a in addresses]


def check_target(url: str, resolver: Resolver, policy: AddressPolicy) -> list[str]:
    """Check a URL's scheme and every address its host resolves to; return the addresses."""
    _, host, port = check_url(url)
    return resolve_vetted(host, port, resolver, policy)
