"""Feeds: every corpus feed parses, conditional GET costs nothing, links are canonical, relevance."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import HttpConfig
from core.errors import ConfigError
from core.types import SourceState
from extractors.catalog import load_catalog
from sources.feeds import FeedEntry, dedupe_entries, fetch_feed, parse_feed
from sources.health import MAX_BACKOFF, SILENCE_FACTOR, is_silent, next_poll, record_poll
from sources.http import HttpClient
from sources.links import canonical_url
from sources.registry import SOURCE_KINDS, SourceSpec, load_sources, parse_sources
from sources.relevance import is_relevant, is_thin, matched_terms
from support.http_server import LocalServer

pytestmark = pytest.mark.timeout(60)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FEEDS = SHARED / "corpora" / "feeds"
WATCH_TERMS = load_catalog().watch_terms  # data/entities.yaml's `watch_terms`
FEED_FILES = sorted(p for p in FEEDS.glob("*") if p.suffix != ".md") if FEEDS.is_dir() else []
needs_corpus = pytest.mark.skipif(not FEEDS.is_dir(), reason=f"feed corpus not found at {FEEDS}")


def client() -> HttpClient:
    return HttpClient(HttpConfig(allow_private=True, politeness_delay=0.0, retries=0), sleep=lambda _: None)


def is_bozo(warnings: list[str]) -> bool:
    return any("malformed" in w for w in warnings)


def expectation(path: Path) -> str:
    """The ``Expect:`` line of a feedparser fixture, '' when there is none."""
    match = re.search(rb"Expect:\s*(.+)", path.read_bytes()[:600])
    return match.group(1).decode().strip() if match else ""


@needs_corpus
@pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
def test_every_corpus_feed_parses(path: Path) -> None:
    result = parse_feed(path.read_bytes(), base_url="https://feeds.example/feed")
    for entry in result.entries:
        assert entry.url.startswith(("http://", "https://")) and entry.guid
        assert entry.canonical_url == canonical_url(entry.url)
        assert entry.published is None or entry.published.tzinfo is not None
    expect = expectation(path)
    if expect.startswith("bozo"):
        assert is_bozo(result.warnings)
    elif expect.startswith("not bozo"):
        assert not is_bozo(result.warnings)
    if "corrupted_ampersands" in path.name:
        assert result.entries[0].url == "http://link/get?a=1&b=2"


@needs_corpus
@pytest.mark.parametrize(
    ("name", "count", "first_title"),
    [
        ("ainewsdirect__aibase_daily__2026-04-30.xml", 20, None),
        ("feedjira__json_feed.json", 20, "James Dempsey and the Breakpoints Benefit App Camp for Girls"),
        ("trafilatura__feed.json", 25, None),
        ("feedjira__google_alerts_atom.xml", 20, None),
        ("feedjira__TechCrunch.xml", 20, None),  # bozo (leading whitespace) but fully read
    ],
)
def test_known_feed_contents(name: str, count: int, first_title: str | None) -> None:
    result = parse_feed((FEEDS / name).read_bytes())
    assert len(result.entries) == count
    if first_title:
        assert result.entries[0].title == first_title


@needs_corpus
def test_google_alerts_links_are_unwrapped_and_titles_plain() -> None:
    result = parse_feed((FEEDS / "feedjira__google_alerts_atom.xml").read_bytes())
    assert all("google.com/url" not in e.canonical_url for e in result.entries)
    assert all("<b>" not in e.title for e in result.entries)


@needs_corpus
def test_chinese_feed_finds_qwen_entries() -> None:
    result = parse_feed((FEEDS / "ainewsdirect__aibase_daily__2026-04-30.xml").read_bytes())
    relevant = [e for e in result.entries if is_relevant(f"{e.title} {e.summary}", WATCH_TERMS)]
    assert 0 < len(relevant) < len(result.entries)


@needs_corpus
def test_every_corpus_feed_over_http_then_304() -> None:
    with LocalServer() as server, client() as http:
        for i, path in enumerate(FEED_FILES):
            kind = "application/feed+json" if path.suffix == ".json" else "application/xml"
            server.add(f"/f{i}", path.read_bytes(), content_type=kind, etag=f'"e{i}"')
            first = fetch_feed(http, server.url(f"/f{i}"))
            direct = parse_feed(path.read_bytes(), base_url=server.url(f"/f{i}"), content_type=kind)
            assert (first.entries, first.warnings) == (direct.entries, direct.warnings)
            assert first.etag == f'"e{i}"' and not first.not_modified
            again = fetch_feed(http, server.url(f"/f{i}"), SourceState(etag=first.etag))
            assert again.not_modified and again.entries == [] and again.etag == f'"e{i}"'


def test_conditional_get_with_last_modified() -> None:
    stamp = "Wed, 01 Apr 2026 08:00:00 GMT"
    body = b"<rss version='2.0'><channel><item><link>https://a.example/x</link></item></channel></rss>"
    with LocalServer() as server, client() as http:
        server.add("/rss", body, content_type="application/rss+xml", last_modified=stamp)
        first = fetch_feed(http, server.url("/rss"))
        second = fetch_feed(http, server.url("/rss"), SourceState(last_modified=first.last_modified))
        assert (len(first.entries), first.last_modified) == (1, stamp)
        assert second.not_modified and server.requests[-1].headers["if-modified-since"] == stamp


def test_json_feed_1_1_fields_and_bad_items() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "home_page_url": "https://blog.example/",
        "items": [
            {"id": 1, "url": "/posts/1?utm_source=feed", "title": "One", "content_html": "<p>Hi &amp; bye</p>",
             "date_published": "2026-04-01T10:00:00+08:00"},
            {"id": "2", "external_url": "https://news.example/story", "summary": "two",
             "date_modified": "not a date"},
            {"id": "3", "title": "no url"},
            "not an object",
        ],
    }
    result = parse_feed(json.dumps(feed).encode(), content_type="application/feed+json")
    one, two = result.entries
    assert one.url == "https://blog.example/posts/1?utm_source=feed"
    assert one.canonical_url == "https://blog.example/posts/1"
    assert (one.guid, one.summary) == ("1", "Hi & bye")
    assert one.published == datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    assert two.published is None and two.url == "https://news.example/story"
    assert len(result.warnings) == 2


@pytest.mark.parametrize("body", [b"{not json", b"{\"items\": 3}", b"[1, 2]", b"", b"<html><body>hi</body></html>"])
def test_unreadable_feeds_warn_instead_of_raising(body: bytes) -> None:
    result = parse_feed(body)
    assert result.entries == [] and result.warnings


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: f"<rss><channel><item>{t}".encode()))
def test_parse_feed_never_raises(body: bytes) -> None:
    result = parse_feed(body)
    assert isinstance(result.warnings, list)


CANONICAL_CASES = [
    ("https://Example.com/a/b?utm_source=x&id=3&fbclid=2#frag", "https://example.com/a/b?id=3"),
    ("https://www.google.com/url?rct=j&sa=t&url=https://www.zdnet.com/article/x/%3Futm_source%3Dfoo&ct=ga",
     "https://www.zdnet.com/article/x/"),
    ("https://m.example.com/news/story/amp", "https://www.example.com/news/story"),
    ("https://example.com/news/story?outputType=amp&utm_medium=rss", "https://example.com/news/story"),
    ("https://amp.theguardian.com/tech/qwen", "https://www.theguardian.com/tech/qwen"),
    ("https://example.com/story.amp?page=2", "https://example.com/story?page=2"),
    ("https://news.example.com/article.php?sid=5&gclid=1", "https://news.example.com/article.php?sid=5"),
    ("https://example.com:443/x", "https://example.com/x"),
    ("mailto:someone@example.com", "mailto:someone@example.com"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def entry(url: str, guid: str) -> FeedEntry:
    return FeedEntry(url, canonical_url(url), guid, "t", "s")


def test_dedupe_by_canonical_url_and_guid() -> None:
    entries = [
        entry("https://a.example/x?utm_source=rss", "g1"),
        entry("https://a.example/x#comments", "g2"),  # same story, other feed
        entry("https://b.example/y", "g1"),  # same GUID
        entry("https://c.example/z", "g3"),
    ]
    assert [e.guid for e in dedupe_entries(entries)] == ["g1", "g3"]


RELEVANCE_CASES = [
    ("Qwen3-235B tops the leaderboard", True),
    ("qwen2.5 weights released", True),
    ("Qwenlike is a made-up word", False),
    ("阿里云发布通义千问新模型", True),
    ("千问下载量突破一亿", True),
    ("Alibaba  Cloud grows revenue", True),
    ("ALIYUN region opens", True),
    ("AlibabaCloud summit", True),
    ("Tencent and Baidu report earnings", False),
    ("百度发布文心一言", False),
]


@pytest.mark.parametrize(("text", "expected"), RELEVANCE_CASES)
def test_relevance(text: str, expected: bool) -> None:
    assert is_relevant(text, WATCH_TERMS) is expected


def test_matched_terms_and_thin_entries() -> None:
    assert matched_terms("阿里云 and Alibaba Cloud and qwen", WATCH_TERMS) == ["阿里云", "Alibaba Cloud", "Qwen"]
    assert is_thin("Qwen news") and not is_thin("x" * 500)
    assert not is_relevant("Qwen", [])


# -- the source registry and per-source health ------------------------------------------------



def test_bundled_sources_file_is_valid_and_covers_both_languages() -> None:
    specs = load_sources()
    assert {s.kind for s in specs} <= set(SOURCE_KINDS)
    assert {"en", "zh"} <= {s.language for s in specs}
    urls = " ".join(s.url for s in specs)
    assert "qwenlm.github.io" in urls and "news.google.com" in urls and "bing.com" in urls


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"kind": "feed", "url": "https://a.example/", "interval": 30}, r"sources\[0\]\.name: required"),
        ({"name": "x", "kind": "tweet", "url": "https://a.example/", "interval": 30}, r"sources\[0\]\.kind: 'tweet'"),
        ({"name": "x", "kind": "feed", "url": "ftp://a.example/", "interval": 30}, r"\.url: must be an http"),
        ({"name": "x", "kind": "feed", "url": "https://a.example/", "interval": 1}, r"\.interval: .*at least 5"),
        ({"name": "x", "kind": "feed", "url": "https://a.example/", "interval": "hourly"}, r"\.interval"),
        ({"name": "x", "kind": "feed", "url": "https://a.example/", "interval": 30, "terms": "Qwen"}, r"\.terms"),
        ({"name": "x", "kind": "feed", "url": "https://a.example/", "interval": 30, "every": 3}, r"\.every: unknown"),
        ({"name": "x", "kind": "wayback", "url": "https://a.example/"}, r"\.url: must be a Wayback"),
        ({"name": "x", "kind": "cdx", "url": "a.example/", "interval": 30}, r"\.interval: a cdx source is not"),
        ({"name": "x", "kind": "feed", "url": "https://a.example/", "interval": 30, "match": "prefix"},
         r"\.match: not a key of a feed source"),
    ],
)
def test_bad_source_entries_name_file_and_key(item: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_sources({"sources": [item]}, "my-sources.yaml")
    assert str(info.value).startswith("my-sources.yaml: ")


def test_bad_sources_files(tmp_path: Path) -> None:
    broken = tmp_path / "s.yaml"
    broken.write_text("sources: [\n")
    with pytest.raises(ConfigError, match="s.yaml: not valid YAML"):
        load_sources(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")
    twice = {"name": "x", "kind": "feed", "url": "https://a.example/", "interval": 30}
    with pytest.raises(ConfigError, match="'x' is used twice"):
        parse_sources({"sources": [twice, twice]})


SPEC = SourceSpec("s", "feed", "https://a.example/feed", 30)
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def test_next_poll_backs_off_and_caps_but_never_drops() -> None:
    assert next_poll(SourceState(), SPEC, NOW, ok=True) == NOW + timedelta(minutes=30)
    delays = [next_poll(SourceState(consecutive_failures=n), SPEC, NOW, ok=False) - NOW for n in range(12)]
    assert delays[:3] == [timedelta(minutes=60), timedelta(minutes=120), timedelta(minutes=240)]
    assert delays == sorted(delays) and delays[-1] == MAX_BACKOFF


def test_record_poll_counts_failures_and_resets_on_success() -> None:
    failed = record_poll(SourceState(etag='"a"'), SPEC, NOW, error="HTTP 503")
    failed = record_poll(failed, SPEC, NOW, error="HTTP 503")
    assert (failed.consecutive_failures, failed.last_error, failed.etag) == (2, "HTTP 503", '"a"')
    ok = record_poll(failed, SPEC, NOW, etag='"b"')
    assert (ok.consecutive_failures, ok.last_error, ok.last_success, ok.etag) == (0, None, NOW, '"b"')
    assert ok.next_poll == NOW + timedelta(minutes=30)


def test_is_silent() -> None:
    quiet_for = SPEC.interval_delta * SILENCE_FACTOR
    assert not is_silent(SourceState(last_success=NOW - quiet_for), SPEC, NOW)
    assert is_silent(SourceState(last_success=NOW - quiet_for - timedelta(minutes=1)), SPEC, NOW)
    assert is_silent(SourceState(consecutive_failures=1), SPEC, NOW)
    assert not is_silent(SourceState(), SPEC, NOW)
