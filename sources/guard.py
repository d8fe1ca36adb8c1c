"""SSRF guard: which URLs and addresses the fetcher may reach.

The check happens twice: on the URL (scheme, literal address) before a request, and on the
address actually connected to, inside the connection backend (see ``sources.http``), so a
public name that resolves to a private address is refused and no packet is sent to it.
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


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be contacted: public ones, plus private ones when allowed."""

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()  # exceptions, e.g. an intranet mirror or a test server

    @classmethod
    def build(cls, allow_private: bool, networks: Sequence[str] = ()) -> AddressPolicy:
        """A policy from config values; networks are CIDR strings such as ``127.0.0.1/32``."""
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def reason(self, ip: IPAddress) -> str | None:
        """Why an address may not be contacted, or None when it may."""
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return self.reason(ip.ipv4_mapped)
        if ip in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if self.allow_private or any(ip in net for net in self.allow_networks):
            return None
        return next((f"a {label} address" for label, flag in _CATEGORIES if getattr(ip, flag)), None)


_CATEGORIES = (
    ("loopback", "is_loopback"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("private", "is_private"),
    ("reserved", "is_reserved"),
    ("unspecified", "is_unspecified"),
)


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
