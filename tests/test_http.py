"""The shared HTTP client against a real local server: limits, retries, robots, the SSRF guard."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import pytest

from core.config import HttpConfig
from core.errors import BlockedError, FetchError
from sources.http import HttpClient, HttpStatusError, LocalHostLimiter, parse_retry_after
from support.http_server import LocalServer, Reply

pytestmark = pytest.mark.timeout(60)


def make_client(**overrides: object) -> tuple[HttpClient, list[float]]:
    """A client allowed to reach loopback, with a recording sleep instead of real waits."""
    settings = {"allow_private": True, "politeness_delay": 0.0, "retries": 2, **overrides}
    slept: list[float] = []
    client = HttpClient(HttpConfig(**settings), sleep=slept.append, rng=lambda: 0.5)
    return client, slept


@pytest.fixture()
def server():
    with LocalServer() as srv:
        yield srv


def test_fetch_returns_raw_page_with_headers_and_final_url(server: LocalServer) -> None:
    server.add("/a", "<p>hello</p>")
    server.redirect("/start", "/a")
    client, _ = make_client()
    page = client.fetch(server.url("/start"), accept={"text/html"})
    assert (page.status, page.body, page.url) == (200, b"<p>hello</p>", server.url("/start"))
    assert page.final_url == server.url("/a")
    assert page.headers["content-type"].startswith("text/html")
    assert server.requests[-1].headers["user-agent"].startswith("claimwatch/")


def test_conditional_get_gives_304_with_empty_body(server: LocalServer) -> None:
    server.add("/feed", b"<rss/>", etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    client, _ = make_client()
    first = client.fetch(server.url("/feed"))
    again = client.fetch(server.url("/feed"), etag=first.headers["etag"],
                         last_modified=first.headers["last-modified"])
    assert first.status == 200 and first.body == b"<rss/>"
    assert again.status == 304 and again.body == b""
    assert server.requests[-1].headers["if-none-match"] == '"v1"'


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_then_success(server: LocalServer, status: int) -> None:
    server.add_sequence("/flaky", [Reply(status, headers={"Retry-After": "7"}), Reply(200, b"ok")])
    client, slept = make_client()
    assert client.fetch(server.url("/flaky")).body == b"ok"
    assert slept == [7.0]
    assert server.hits("/flaky") == 2


def test_5xx_backs_off_exponentially_then_gives_up_transient(server: LocalServer) -> None:
    server.add("/down", "boom", status=500)
    client, slept = make_client(retries=3)
    with pytest.raises(HttpStatusError) as info:
        client.fetch(server.url("/down"))
    assert info.value.transient and info.value.status == 500
    assert slept == [0.75, 1.5, 3.0]  # 1, 2, 4 s scaled by the (fixed) jitter
    assert server.hits("/down") == 4


def test_retry_after_beyond_cap_gives_up_at_once(server: LocalServer) -> None:
    server.add("/later", "", status=429, headers={"Retry-After": "86400"})
    client, slept = make_client()
    with pytest.raises(HttpStatusError) as info:
        client.fetch(server.url("/later"))
    assert info.value.transient and slept == []


@pytest.mark.parametrize(("status", "transient"), [(404, False), (410, False), (403, False)])
def test_client_errors_are_not_retried(server: LocalServer, status: int, transient: bool) -> None:
    server.add("/gone", "", status=status)
    client, slept = make_client()
    with pytest.raises(HttpStatusError) as info:
        client.fetch(server.url("/gone"))
    assert (info.value.status, info.value.transient, slept) == (status, transient, [])
    assert str(status) in str(info.value)


def test_size_cap_stops_a_huge_body_while_streaming(server: LocalServer) -> None:
    server.huge("/big", size=50 * 2**20)
    client, _ = make_client(max_bytes=1_000_000)
    started = time.monotonic()
    with pytest.raises(BlockedError, match="cap of 1000000 bytes") as info:
        client.fetch(server.url("/big"))
    assert server.url("/big") in str(info.value)
    assert time.monotonic() - started < 5


def test_declared_length_over_cap_is_refused_before_reading(server: LocalServer) -> None:
    server.huge("/big", size=50 * 2**20, declare_length=True)
    client, _ = make_client(max_bytes=1_000_000)
    with pytest.raises(BlockedError, match="exceeds the cap"):
        client.fetch(server.url("/big"))


def test_gzip_bomb_is_stopped_on_decoded_bytes_with_little_memory(server: LocalServer) -> None:
    server.gzip_bomb("/bomb", decoded_size=200 * 2**20)
    client, _ = make_client(max_bytes=2_000_000)
    tracemalloc.start()
    with pytest.raises(BlockedError, match="cap"):
        client.fetch(server.url("/bomb"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20  # never more than the cap plus one decoded piece


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress),
        ("identity", lambda b: b),
    ],
)
def test_encoded_bodies_are_decoded(server: LocalServer, encoding: str, pack) -> None:
    text = b"<p>" + "阿里云 Qwen ".encode() * 50_000 + b"</p>"  # several decoding pieces
    server.add("/z", pack(text), headers={"Content-Encoding": encoding})
    client, _ = make_client()
    page = client.fetch(server.url("/z"))
    assert page.body == text and "content-encoding" not in page.headers
    assert "br" in server.requests[-1].headers["accept-encoding"]


@pytest.mark.parametrize(("encoding", "body"), [("gzip", b"\x1f\x8b\x08\x00garbage"), ("br", b"\xffnot brotli"),
                                                ("compress", b"x")])
def test_corrupt_or_unknown_encodings_are_fetch_errors(server: LocalServer, encoding: str, body: bytes) -> None:
    server.add("/z", body, headers={"Content-Encoding": encoding})
    client, _ = make_client()
    with pytest.raises(FetchError, match=encoding) as info:
        client.fetch(server.url("/z"))
    assert not info.value.transient


def test_brotli_bomb_is_stopped(server: LocalServer) -> None:
    server.add("/bb", brotli.compress(bytes(20 * 2**20), quality=5), headers={"Content-Encoding": "br"})
    client, _ = make_client(max_bytes=1_000_000)
    tracemalloc.start()
    with pytest.raises(BlockedError, match="cap"):
        client.fetch(server.url("/bb"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20


def test_trickling_server_hits_the_total_timeout(server: LocalServer) -> None:
    server.trickle("/slow", total=200, delay=0.05)
    client, slept = make_client(total_timeout=0.5, retries=1)
    with pytest.raises(FetchError, match="within 0.5 s") as info:
        client.fetch(server.url("/slow"))
    assert info.value.transient and len(slept) == 1


def test_slow_loris_headers_hit_the_total_timeout(server: LocalServer) -> None:
    server.slow_headers("/loris", delay=0.2)  # each byte well inside the read timeout
    client, _ = make_client(total_timeout=1.0, read_timeout=5.0, retries=0)
    started = time.monotonic()
    with pytest.raises(FetchError, match="not received within 1 s") as info:
        client.fetch(server.url("/loris"))
    assert info.value.transient and time.monotonic() - started < 3.0


def test_read_timeout_is_transient(server: LocalServer) -> None:
    server.handle("/stall", lambda _: (time.sleep(1.0), Reply(200, b"late"))[1])
    client, _ = make_client(read_timeout=0.2, retries=0)
    with pytest.raises(FetchError, match="timed out") as info:
        client.fetch(server.url("/stall"))
    assert info.value.transient


def test_redirect_loop_and_redirect_limit(server: LocalServer) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    for i in range(10):
        server.redirect(f"/chain{i}", f"/chain{i + 1}")
    client, _ = make_client(max_redirects=3)
    with pytest.raises(FetchError, match="redirect loop") as loop:
        client.fetch(server.url("/a"))
    with pytest.raises(FetchError, match="more than 3 redirects"):
        client.fetch(server.url("/chain0"))
    assert not loop.value.transient


def test_content_type_not_accepted(server: LocalServer) -> None:
    server.add("/img", b"\x89PNG", content_type="image/png")
    client, _ = make_client()
    with pytest.raises(FetchError, match="image/png"):
        client.fetch(server.url("/img"), accept={"text/html"})


@pytest.mark.parametrize(
    ("robots", "status", "path", "allowed"),
    [
        ("User-agent: *\nDisallow: /private", 200, "/private/x", False),
        ("User-agent: *\nDisallow: /private", 200, "/public", True),
        ("User-agent: claimwatch\nDisallow: /", 200, "/public", False),
        ("User-agent: otherbot\nDisallow: /", 200, "/public", True),
        ("", 404, "/public", True),  # RFC 9309: 4xx means no rules
        ("", 503, "/public", False),  # RFC 9309: 5xx means assume complete disallow
    ],
)
def test_robots_txt(server: LocalServer, robots: str, status: int, path: str, allowed: bool) -> None:
    server.robots(robots, status=status)
    server.add(path, "page")
    client, _ = make_client(retries=0)
    if allowed:
        assert client.fetch(server.url(path)).body == b"page"
    else:
        with pytest.raises(BlockedError, match="robots.txt"):
            client.fetch(server.url(path))
    client.fetch(server.url(path)) if allowed else None
    assert server.hits("/robots.txt") == 1  # cached per host


def test_robots_can_be_turned_off(server: LocalServer) -> None:
    server.robots("User-agent: *\nDisallow: /")
    server.add("/x", "page")
    client, _ = make_client(respect_robots=False)
    assert client.fetch(server.url("/x")).body == b"page"
    assert server.hits("/robots.txt") == 0


def test_per_host_concurrency_limit(server: LocalServer) -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def slow(_: object) -> Reply:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)
        with lock:
            active[0] -= 1
        return Reply(200, b"ok")

    server.handle("/s", slow)
    client, _ = make_client(per_host_concurrency=2, respect_robots=False)
    threads = [threading.Thread(target=client.fetch, args=(server.url("/s"),)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


def test_politeness_delay_spaces_request_starts() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = LocalHostLimiter(1, 2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        with limiter.slot("example.com"):
            pass
    with limiter.slot("other.example"):
        pass
    assert slept == [2.0, 2.0]


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


# -- SSRF guard ------------------------------------------------------------------------------

def resolver_for(mapping: dict[str, list[str]]):
    """A fake DNS: names in ``mapping`` resolve; anything else is an error (no real lookups)."""
    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise OSError(f"unknown host {host}")
        return mapping[host]
    return resolve


def guarded_client(mapping: dict[str, list[str]], allow_private: bool = False) -> HttpClient:
    config = HttpConfig(allow_private=allow_private, politeness_delay=0.0, retries=0, respect_robots=False)
    return HttpClient(config, resolver=resolver_for(mapping), sleep=lambda _: None)


REFUSED = [
    "http://127.0.0.1/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://evil.example/",  # resolves to a private address
    "http://rebind.example/",  # one public, one private answer
    "file:///etc/passwd",
    "gopher://example.com/",
    "ftp://example.com/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_guard_refuses_without_connecting(url: str) -> None:
    client = guarded_client({"evil.example": ["10.1.2.3"], "rebind.example": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(BlockedError, match="refused|not allowed"):
        client.fetch(url)


@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/x", "http://[::1]:{port}/x", "http://10.0.0.1/",
                                    "http://169.254.169.254/", "file:///etc/passwd", "gopher://example.com/",
                                    "http://evil.example/"])
def test_redirect_from_allowed_host_to_forbidden_target_is_refused(server: LocalServer, target: str) -> None:
    """Only 127.0.0.1/32 is allowed (the test server); every hop is vetted, none reaches its target."""
    port = server.base.rsplit(":", 1)[1]
    server.redirect("/jump", target.format(port=port))
    config = HttpConfig(allow_networks=("127.0.0.1/32",), politeness_delay=0.0, retries=0, respect_robots=False)
    client = HttpClient(config, resolver=resolver_for({"evil.example": ["10.9.9.9"]}))
    with pytest.raises(BlockedError, match="refused|not allowed"):
        client.fetch(server.url("/jump"))
    assert server.hits("/jump") == 1 and server.hits("/x") == 0


def test_metadata_address_refused_even_when_private_allowed() -> None:
    client = guarded_client({"meta.example": ["169.254.169.254"]}, allow_private=True)
    with pytest.raises(BlockedError, match="metadata"):
        client.fetch("http://meta.example/")


def test_name_resolving_to_loopback_is_pinned_and_used(server: LocalServer) -> None:
    port = server.base.rsplit(":", 1)[1]
    server.add("/hello", "hi")
    client = guarded_client({"site.test": ["127.0.0.1"]}, allow_private=True)
    page = client.fetch(f"http://site.test:{port}/hello")
    assert page.body == b"hi"
    assert server.requests[-1].headers["host"] == f"site.test:{port}"


def test_unresolvable_name_is_a_transient_fetch_error() -> None:
    client = guarded_client({})
    with pytest.raises(FetchError, match="cannot resolve") as info:
        client.fetch("http://nowhere.example/")
    assert info.value.transient and not isinstance(info.value, BlockedError)


def test_robots_cache_expires_and_failures_are_asked_again_sooner(server: LocalServer) -> None:
    now = [0.0]
    server.robots("", status=503)
    server.add("/p", "page")
    config = HttpConfig(allow_private=True, politeness_delay=0.0, retries=0, robots_ttl=3600)
    client = HttpClient(config, sleep=lambda _: None, clock=lambda: now[0])
    with pytest.raises(BlockedError):
        client.fetch(server.url("/p"))
    server.robots("User-agent: *\nAllow: /")
    now[0] = 601.0  # past the failure TTL, well before the normal one
    assert client.fetch(server.url("/p")).body == b"page"
    now[0] = 1800.0
    client.fetch(server.url("/p"))
    assert server.hits("/robots.txt") == 2


def test_robots_txt_is_read_to_500_kib_even_when_longer(server: LocalServer) -> None:
    """RFC 9309 §2.5: a 600 KB file is parsed up to its first 500 KiB, not treated as no file at all."""
    server.robots("User-agent: *\nDisallow: /\n" + "# padding\n" * 60_000)
    server.add("/page", "page")
    client, _ = make_client()
    with pytest.raises(BlockedError, match="robots.txt"):
        client.fetch(server.url("/page"))
    assert server.hits("/page") == 0


POLITENESS = 0.4  # seconds between request starts to one host in the test below


def test_politeness_holds_for_one_host_however_its_address_is_written(server: LocalServer) -> None:
    """User info, a 32-bit number, hex and a short form all reach 127.0.0.1: one host, one queue."""
    port = server.base.rsplit(":", 1)[1]
    spellings = ["127.0.0.1", "a@127.0.0.1", "2130706433", "0x7f000001", "127.1"]
    starts: list[float] = []
    server.handle("/p", lambda _: (starts.append(time.monotonic()), Reply(200, b"ok"))[1])
    config = HttpConfig(allow_private=True, politeness_delay=POLITENESS, per_host_concurrency=1, retries=0,
                        respect_robots=False)
    client = HttpClient(config)
    threads = [threading.Thread(target=client.fetch, args=(f"http://{host}:{port}/p",)) for host in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:])]
    assert len(starts) == len(spellings) and min(gaps) >= POLITENESS * 0.9, gaps
