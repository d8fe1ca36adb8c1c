"""The SSRF guard as an allow-list: only globally reachable addresses, plus networks allowed by setting.

Every case is decided without a packet: addresses are vetted before any connection, and names resolve
through a fake resolver.
"""

from __future__ import annotations

import ipaddress

import pytest

from core.config import HttpConfig
from core.errors import BlockedError
from sources.guard import AddressPolicy
from sources.http import HttpClient

REFUSED = {
    "100.64.0.1": "carrier-grade NAT",
    "100.100.2.136": "carrier-grade NAT",  # Alibaba Cloud's internal DNS
    "100.100.100.200": "metadata",  # Alibaba Cloud's metadata service
    "2002:c0a8:101::1": "private",  # 6to4 around 192.168.1.1
    "2002:7f00:1::1": "loopback",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:1": "private",  # NAT64 around 10.0.0.1
    "64:ff9b::a9fe:a9fe": "metadata",  # NAT64 around 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "private",  # Teredo around 192.0.2.45
    "fec0::1": "site-local",
    "192.0.0.8": "special-purpose",
    "192.88.99.1": "special-purpose",
    "198.18.0.1": "private",
    "240.0.0.1": "",
    "255.255.255.255": "",
    "2001:db8::1": "",
    "fd00::1": "private",
    "::ffff:10.0.0.1": "private",
    "::1": "loopback",
    "0.0.0.0": "",
    "224.0.0.1": "multicast",
    "fe80::1": "link-local",
}
ALLOWED = ("93.184.216.34", "8.8.8.8", "2001:4860:4860::8888", "2002:808:808::1", "64:ff9b::808:808",
           "192.0.0.9")


@pytest.mark.parametrize("address", sorted(REFUSED))
def test_every_address_that_is_not_global_is_refused(address: str) -> None:
    reason = AddressPolicy().reason(ipaddress.ip_address(address))
    assert reason is not None and REFUSED[address] in reason


@pytest.mark.parametrize("address", ALLOWED)
def test_global_addresses_pass(address: str) -> None:
    assert AddressPolicy().reason(ipaddress.ip_address(address)) is None


def test_an_allowed_network_passes_but_metadata_never_does() -> None:
    policy = AddressPolicy.build(False, ["100.64.0.0/10"])  # say, an intranet mirror behind carrier NAT
    assert policy.reason(ipaddress.ip_address("100.100.2.136")) is None
    assert "metadata" in (policy.reason(ipaddress.ip_address("100.100.100.200")) or "")
    assert policy.reason(ipaddress.ip_address("10.0.0.1")) is not None


@pytest.mark.parametrize("address", sorted(REFUSED))
def test_a_name_resolving_to_an_address_that_is_not_global_is_refused_before_connecting(address: str) -> None:
    config = HttpConfig(politeness_delay=0.0, retries=0, respect_robots=False, connect_timeout=0.01)
    client = HttpClient(config, resolver=lambda host, port: [address], sleep=lambda _: None)
    with pytest.raises(BlockedError, match="refused"):
        client.fetch("http://news.example.com/a")
