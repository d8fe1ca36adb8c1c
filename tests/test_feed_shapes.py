"""The shape of every default feed, recorded in tests/data/feeds/: a change of shape is noticed here.

Each fixture stands for the real feed named in shapes.yaml (Google News and Bing News searches, Alizila's
WordPress feed, the Qwen blog's Hugo feed); each default feed source of data/sources.yaml must map to one.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from core.config import HttpConfig
from sources.feeds import FeedEntry, parse_feed
from sources.googlenews import GoogleNewsLinks
from sources.http import HttpClient
from sources.registry import load_sources

FEEDS = Path(__file__).parent / "data" / "feeds"
SHAPES: dict[str, dict] = yaml.safe_load((FEEDS / "shapes.yaml").read_text(encoding="utf-8"))


def read(entry: FeedEntry) -> dict[str, str]:
    """The fields of an entry the pipeline relies on, as shapes.yaml writes them."""
    published = entry.published.isoformat() if entry.published else ""
    return {"url": entry.url, "canonical_url": entry.canonical_url, "guid": entry.guid, "title": entry.title,
            "published": published, "summary": entry.summary}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_default_feed_is_read_as_recorded(name: str) -> None:
    shape = SHAPES[name]
    body = (FEEDS / name).read_bytes()
    result = parse_feed(body, base_url=shape["feed"], content_type="application/rss+xml")
    assert result.warnings == [] and len(result.entries) == shape["items"]
    for entry in result.entries:
        assert entry.url.startswith(("http://", "https://")) and entry.guid and entry.title and entry.summary
        assert entry.published is not None and entry.published.tzinfo is not None
    first = read(result.entries[0])
    assert {key: first[key] for key in shape["first"]} == shape["first"]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_google_news_links_are_recognised_where_a_feed_has_them(name: str) -> None:
    entries = parse_feed((FEEDS / name).read_bytes(), base_url=SHAPES[name]["feed"]).entries
    with HttpClient(HttpConfig()) as client:  # recognising a link asks nothing of the network
        ids = [GoogleNewsLinks(client).article_id(e.url) for e in entries]
    if SHAPES[name].get("google_news_links"):
        assert ids == [e.guid for e in entries]  # the link's id is the item's GUID
    else:
        assert ids == [None] * len(entries)


def test_every_default_feed_source_has_a_shape_fixture() -> None:
    feeds = {s.name: s for s in load_sources() if s.kind == "feed"}
    recorded = {source: name for name, shape in SHAPES.items() for source in shape["sources"]}
    assert sorted(set(feeds) - set(recorded)) == [], "default feeds without a shape in data/feeds/shapes.yaml"
    assert sorted(set(recorded) - set(feeds)) == [], "shapes.yaml names sources that are no default feed"
    for source, name in recorded.items():
        assert urlsplit(feeds[source].url).hostname == urlsplit(SHAPES[name]["feed"]).hostname, source


def test_every_fixture_is_described() -> None:
    assert sorted(p.name for p in FEEDS.glob("*.xml")) == sorted(SHAPES)
    for name in SHAPES:
        head = (FEEDS / name).read_text(encoding="utf-8")[:600]
        assert SHAPES[name]["feed"].split("?")[0] in head and "Written" in head  # where from, and when
