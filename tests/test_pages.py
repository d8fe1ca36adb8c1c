"""Article pages over a real local server: real corpus pages, and the bad input the web serves."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.config import HttpConfig
from core.errors import BlockedError, FetchError
from sources.http import HttpClient, HttpStatusError
from sources.pages import fetch_page, listing_links, sniff_binary
from support.http_server import LocalServer

pytestmark = pytest.mark.timeout(60)

HTML_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "html"
HTML_FILES = sorted(HTML_DIR.glob("*.html"))[:10] if HTML_DIR.is_dir() else []


@pytest.fixture()
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture()
def http():
    config = HttpConfig(allow_private=True, politeness_delay=0.0, retries=1, max_bytes=2_000_000,
                        total_timeout=1.0)
    with HttpClient(config, sleep=lambda _: None) as client:
        yield client


@pytest.mark.skipif(not HTML_FILES, reason=f"html corpus not found at {HTML_DIR}")
def test_corpus_pages_arrive_byte_for_byte(server: LocalServer, http: HttpClient) -> None:
    for i, path in enumerate(HTML_FILES):
        server.add(f"/article/{i}", path.read_bytes())
        page = fetch_page(http, server.url(f"/article/{i}"))
        assert page.body == path.read_bytes() and page.status == 200


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "text/html", "empty body"),
        (b"  \n\t ", "text/html", "empty body"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "text/html", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/html; charset=utf-8", "PNG image"),
        (b"PK\x03\x04\x14\x00\x00\x00", "text/html", "ZIP archive"),
        (b"<html>\x00\x01\x02\x03\x00</html>", "text/html", "NUL bytes"),
        (b"%PDF-1.4", "application/pdf", "not accepted"),
        (b"{\"a\": 1}", "application/json", "not accepted"),
    ],
)
def test_unusable_bodies_raise(server: LocalServer, http: HttpClient, body: bytes, content_type: str,
                               message: str) -> None:
    server.add("/p", body, content_type=content_type)
    with pytest.raises(FetchError, match=message) as info:
        fetch_page(http, server.url("/p"))
    assert not info.value.transient and server.url("/p") in str(info.value)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>caf\xe9 \xff\xfe broken utf-8</body></html>", "text/html; charset=utf-8"),
        ("<html><body>阿里云</body></html>".encode("gb18030"), "text/html; charset=gbk"),
        ("\ufeff<html><body>utf-16</body></html>".encode("utf-16-le"), "text/html; charset=utf-16"),
        (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'><body>x</body></html>",
         "application/xhtml+xml"),
        (b"<html><body>no type</body></html>", ""),
    ],
)
def test_odd_but_textual_pages_pass_through_untouched(server: LocalServer, http: HttpClient, body: bytes,
                                                      content_type: str) -> None:
    server.add("/p", body, content_type=content_type or None)
    assert fetch_page(http, server.url("/p")).body == body


@pytest.mark.parametrize("status", [404, 410, 429, 500, 503])
def test_error_statuses(server: LocalServer, http: HttpClient, status: int) -> None:
    server.add("/p", "nope", status=status)
    with pytest.raises(HttpStatusError) as info:
        fetch_page(http, server.url("/p"))
    assert info.value.status == status and info.value.transient is (status >= 429)


def test_big_page_bomb_and_trickle_are_stopped(server: LocalServer, http: HttpClient) -> None:
    server.huge("/big", size=50 * 2**20)
    server.add("/bomb", gzip.compress(bytes(20 * 2**20)), headers={"Content-Encoding": "gzip"})
    server.trickle("/slow", total=100, delay=0.05)
    with pytest.raises(BlockedError, match="cap"):
        fetch_page(http, server.url("/big"))
    with pytest.raises(BlockedError, match="cap"):
        fetch_page(http, server.url("/bomb"))
    with pytest.raises(FetchError, match="within"):
        fetch_page(http, server.url("/slow"))


def test_conditional_page_fetch(server: LocalServer, http: HttpClient) -> None:
    server.add("/p", "<p>v1</p>", etag='"1"')
    assert fetch_page(http, server.url("/p"), etag='"1"').status == 304


def test_robots_disallow_and_redirect_loop(server: LocalServer, http: HttpClient) -> None:
    server.robots("User-agent: *\nDisallow: /private/")
    server.add("/private/p", "<p>x</p>")
    server.redirect("/loop", "/loop")
    with pytest.raises(BlockedError, match="robots"):
        fetch_page(http, server.url("/private/p"))
    with pytest.raises(FetchError, match="redirect loop"):
        fetch_page(http, server.url("/loop"))


def test_sniff_binary_leaves_text_alone() -> None:
    assert sniff_binary(b"<!doctype html><p>MZ is fine later</p>") is None
    assert sniff_binary(b"\x7fELF\x02\x01") == "ELF executable"


@pytest.fixture()
def newsroom(server: LocalServer):
    """A client that reaches the local server as ``newsroom.example.com`` (courlan ignores bare IPs)."""
    port = server.base.rsplit(":", 1)[1]
    config = HttpConfig(allow_private=True, politeness_delay=0.0, retries=0)
    resolve = {"newsroom.example.com": ["127.0.0.1"]}
    with HttpClient(config, resolver=lambda host, _: resolve[host]) as client:
        yield client, f"http://newsroom.example.com:{port}"


def test_listing_links_are_same_site_canonical_and_deduplicated(server: LocalServer, newsroom) -> None:
    client, base = newsroom
    html = ('<html><head><meta charset="gbk"></head><body><a href="/news/2026/qwen-launch">千问</a>'
            '<a href="/news/2026/qwen-launch?utm_source=home#top">again</a>'
            '<a href="https://twitter.com/alibaba_cloud">t</a><a href="/tag/ai">tag</a>'
            '<a href="/blog/model-studio_601234">blog</a></body></html>')
    server.add("/newsroom", html.encode("gbk"), content_type="text/html; charset=gbk")
    links = listing_links(fetch_page(client, base + "/newsroom"))
    assert links == [base + "/blog/model-studio_601234", base + "/news/2026/qwen-launch"]


def test_listing_links_survive_an_unknown_charset(server: LocalServer, newsroom) -> None:
    client, base = newsroom
    server.add("/n", b"<a href='/story/1'>x</a>", content_type="text/html; charset=klingon")
    assert listing_links(fetch_page(client, base + "/n")) == [base + "/story/1"]
