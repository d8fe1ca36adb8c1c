"""Dates that cannot be trusted never silence an alert, in the monitor and backfill flows (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.cli import HOOK_SECRET
from support.flows import Article, feed_source, harness_url, hook_channel, write_config
from support.http_server import LocalServer
from support.servers import receiver

from core.types import ChangeKind
from flows.backfill import backfill
from flows.monitor import monitor
from storage import Store

pytestmark = pytest.mark.timeout(180)

UNDATED_PAGE = (
    "<html><head><title>Qwen downloads</title></head><body><article><h1>Qwen keeps growing</h1>"
    "<p>Qwen models have passed 2.5 billion downloads, Alibaba Cloud said.</p>"
    "<p>Developers around the world keep building on the open models, the company added.</p>"
    "</article></body></html>"
)
FUTURE = Article(
    "/news/future.html",
    "Qwen at 3 billion",
    "2030-01-01",
    "Qwen models have passed 3 billion downloads, Alibaba Cloud said.\n\n"
    "Developers around the world keep building on the open models, the company added.",
)


@pytest.fixture(scope="module")
def prefect() -> str:
    return harness_url()


def _feed(base: str, items: list[tuple[str, str | None]]) -> str:
    """RSS with one item per (path, pubDate or None)."""
    entries = "".join(
        f"<item><title>Qwen news</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        + (f"<pubDate>{day}</pubDate>" if day else "")
        + "<description>Qwen downloads</description></item>"
        for path, day in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'


def test_an_undated_feed_item_and_page_alert_with_the_first_seen_date(
    prefect: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: stored as `historical` with `published: None`, and nothing sent."""
    monkeypatch.setenv("CW_TEST_HOOK_SECRET", HOOK_SECRET)
    with LocalServer() as server, receiver(HOOK_SECRET) as hook:
        server.add("/news/undated.html", UNDATED_PAGE)
        server.add(
            "/feed.xml",
            _feed(server.base, [("/news/undated.html", None)]),
            content_type="application/rss+xml",
        )
        config = write_config(
            tmp_path,
            database_url,
            [feed_source("main", server.url("/feed.xml"))],
            [hook_channel("hook", hook.url)],
        )
        summary = monitor(config_path=str(config), force=True)
        sent = [e for p in hook.payloads() for e in p["data"]["events"]]
    assert summary.seeded == 5  # the empty database got its baseline before the first article
    [event] = [e for e in summary.events if e.metric == "qwen.downloads"]
    today = datetime.now(UTC).date()
    assert event.kind is ChangeKind.UPDATED and event.claim.published.day == today
    assert event.claim.published_source == "first_seen"
    assert [(e["metric"], e["value"], e["published"]) for e in sent] == [
        ("qwen.downloads", "2500000000", today.isoformat())
    ]
    with Store.open(database_url) as store:
        [stored] = [a for a in store.articles() if a.info.url == server.url("/news/undated.html")]
    assert stored.info.published_source == "first_seen" and "2.5 billion downloads" in (stored.text or "")


def test_future_dates_in_feeds_and_pages_are_refused(prefect: str, database_url: str, tmp_path: Path) -> None:
    """Was: a date in 2030 became the current value "as of 2030" and every true figure after it historical."""
    with LocalServer() as server:
        server.add(FUTURE.path, FUTURE.html())
        server.add("/news/undated.html", UNDATED_PAGE)
        items = [(FUTURE.path, None), ("/news/undated.html", "Tue, 01 Jan 2030 10:00:00 GMT")]
        server.add("/feed.xml", _feed(server.base, items), content_type="application/rss+xml")
        config = write_config(tmp_path, database_url, [feed_source("main", server.url("/feed.xml"))])
        summary = monitor(config_path=str(config), force=True)
    assert summary.articles == 0 and not [e for e in summary.events if e.metric == "qwen.downloads"]
    refused = sorted(summary.page_errors)
    assert [e.split(": ")[0] for e in refused] == [server.url(FUTURE.path), server.url("/news/undated.html")]
    assert all("2030-01-01" in e and "future" in e for e in refused)
    with Store.open(database_url) as store:
        assert not store.article_info([server.url(FUTURE.path), server.url("/news/undated.html")])


def test_a_backfilled_page_without_a_date_is_dated_when_first_seen(prefect: str, tmp_path: Path) -> None:
    """Was: an undated saved page stored with no date, so its figure could never alert."""
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "undated.html").write_text(UNDATED_PAGE, encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    summary = backfill(folder=str(folder), config_path=str(write_config(tmp_path, database, [])))
    assert summary.pages == 1 and summary.errors == []
    with Store.open(database) as store:
        [event] = [s.event for s in store.history("qwen.downloads") if "undated" in s.event.claim.source]
    assert event.kind is ChangeKind.UPDATED and event.claim.published_source == "first_seen"
    assert event.claim.published.day == datetime.now(UTC).date()
