"""One bad item or source never sinks a monitor run: each is one recorded error, the rest goes on."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from support.flows import Article, feed_source, harness_url, rss, write_config
from support.http_server import LocalServer
from typer.testing import CliRunner

import sources.feeds
from flows.cli import app
from flows.monitor import MonitorSummary, monitor
from storage import Store

pytestmark = pytest.mark.timeout(240)

# Item links whose hosts break URL parsers and IDNA codecs in different ways.
BAD_HOSTS = ("0177.0.0.1", "1.2.3.04", "a" * 64 + ".example", "a..b", "xn--zz.com")
GOOD = Article("/news/qwen.html", "Qwen passes 1.5 billion downloads", "2026-04-01",
               "Qwen has passed 1.5 billion downloads, Alibaba Cloud said on Wednesday.")
JSON_GOOD = Article("/news/cloud.html", "Alibaba Cloud revenue", "2026-04-02",
                    "Alibaba Cloud revenue grew 34% in the December quarter of 2025, the company said.")
NESTING = 100_000  # JSON arrays deep: past any recursion limit


def _serve(server: LocalServer) -> list[dict[str, object]]:
    """Hostile feeds and a hostile listing page beside good articles; the sources file for them."""
    for article in (GOOD, JSON_GOOD):
        server.add(article.path, article.html())
    items = "".join(f"<item><title>Qwen news {n}</title><link>http://{host}/news/{n}.html</link></item>"
                    for n, host in enumerate(BAD_HOSTS))
    feed = rss(server.base, [GOOD]).replace("<channel><title>t</title>", f"<channel><title>t</title>{items}")
    server.add("/hosts.xml", feed, content_type="application/rss+xml", etag='"hosts-1"')
    dated = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
        {"id": "1", "url": server.url("/news/far.html"), "title": "Qwen far future",
         "date_published": "9999-12-31T23:59:59-23:59"},
        {"id": "2", "url": server.url(JSON_GOOD.path), "title": JSON_GOOD.title, "date_published": "2026-04-02"},
    ]}
    server.add("/dated.json", json.dumps(dated), content_type="application/feed+json")
    server.add("/news/far.html", Article("/news/far.html", "Qwen far", "2026-04-03", "Qwen notes.").html())
    server.add("/deep.json", b'{"items": ' + b"[" * NESTING + b"]" * NESTING + b"}",
               content_type="application/feed+json")
    server.add("/listing.html", '<html><body><a href="/news/qwen.html">Qwen</a></body></html>',
               content_type="text/html; charset=idna")
    return [feed_source("hosts", server.url("/hosts.xml")), feed_source("dated", server.url("/dated.json")),
            feed_source("deep", server.url("/deep.json")),
            {"name": "listing", "kind": "page", "url": server.url("/listing.html"), "interval": 30}]


def test_hostile_items_and_sources_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    harness_url()
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server:
        config = write_config(tmp_path, database, _serve(server))
        summary: MonitorSummary = monitor(config_path=str(config), force=True)
        again: MonitorSummary = monitor(config_path=str(config), force=True)
    for host in BAD_HOSTS:  # each bad link is one page error naming it, the run went on
        mine = [e for e in summary.page_errors if f"http://{host}/" in e]
        assert len(mine) == 1, (host, summary.page_errors)
        assert "malformed" in mine[0] or "host" in mine[0], mine[0]
    assert summary.articles == 3 and not summary.unreachable  # GOOD, JSON_GOOD and the far-dated page
    assert any("deep.json" in w and "nested" in w for w in summary.warnings), summary.warnings
    assert again.sources_polled == 4 and again.not_modified == 1  # the feed's validators were saved
    with Store.open(database) as store:
        states = {s.id: s.state for s in store.sources()}
    assert states["hosts"].etag == '"hosts-1"'
    failed = [w for w in states["hosts"].warnings if w.startswith("page failed: ")]
    assert len(failed) == len(BAD_HOSTS)  # `claimwatch sources` lists each with its source
    assert all(s.last_success is not None and s.consecutive_failures == 0 for s in states.values()), states


def _broken_parser(*_args: object, **_kwargs: object) -> object:
    """A stand-in for a bug in our own feed code."""
    raise ZeroDivisionError("a bug in the feed parser")


def test_a_bug_in_our_code_is_one_recorded_error_with_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    harness_url()
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server:
        server.add(GOOD.path, GOOD.html())
        server.add("/feed.xml", rss(server.base, [GOOD]), content_type="application/rss+xml")
        server.add("/listing.html", '<html><body><a href="/news/qwen.html">Qwen</a></body></html>')
        sources_ = [feed_source("buggy", server.url("/feed.xml")),
                    {"name": "listing", "kind": "page", "url": server.url("/listing.html"), "interval": 30}]
        config = write_config(tmp_path, database, sources_)
        monkeypatch.setattr(sources.feeds, "parse_page", _broken_parser)
        with caplog.at_level(logging.ERROR):
            summary: MonitorSummary = monitor(config_path=str(config), force=True)
        report = CliRunner().invoke(app, ["--config", str(config), "sources"], terminal_width=200)
    assert [u[0] for u in summary.unreachable] == ["buggy"]
    assert "internal error" in summary.unreachable[0][2] and "ZeroDivisionError" in summary.unreachable[0][2]
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)  # the traceback
    assert summary.sources_polled == 2
    with Store.open(database) as store:
        state = next(s.state for s in store.sources() if s.id == "buggy")
    assert state.consecutive_failures == 1 and "ZeroDivisionError" in (state.last_error or "")
    cells = re.sub(r"[\s│]", "", report.output)  # the status column folds over several table lines
    assert "(failing:" in cells and "internalerror(ZeroDivisionError" in cells


BIG_FEED_ITEMS = 70_000  # about 2.3 MB: past PostgreSQL's 65,535 parameters per statement
CAP = 50


def _big_feed(count: int, dated: int) -> bytes:
    """An RSS feed of ``count`` bare items; the last ``dated`` carry dates (the newest), the rest none."""
    items = [f"<item><link>/n/{n}</link></item>" for n in range(count - dated)]
    items += [f"<item><link>/n/{n}</link><pubDate>Wed, {n % 28 + 1:02d} Apr 2026 08:00:00 GMT</pubDate></item>"
              for n in range(count - dated, count)]
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'.encode()


def test_a_feed_of_70000_items_reads_its_newest_and_logs_no_parameters(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness_url()
    with LocalServer() as server:
        server.add("/big.xml", _big_feed(BIG_FEED_ITEMS, dated=10), content_type="application/rss+xml")
        config = write_config(tmp_path, database_url, [feed_source("big", server.url("/big.xml"))],
                              max_items_per_poll=CAP)
        with caplog.at_level(logging.DEBUG):
            summary: MonitorSummary = monitor(config_path=str(config), force=True)
        fetched = [r.path for r in server.requests if r.path.startswith("/n/")]
    assert not summary.unreachable and summary.sources_polled == 1
    assert any(f"{BIG_FEED_ITEMS} items, the newest {CAP} read" in w for w in summary.warnings), summary.warnings
    assert len(fetched) == CAP and f"/n/{BIG_FEED_ITEMS - 1}" in fetched  # the dated, newest, first
    assert "/n/0" in fetched and f"/n/{CAP}" not in fetched  # then undated ones in the feed's order
    assert len(summary.page_errors) == CAP  # each a 404 here
    assert not any("/n/60000" in r.getMessage() for r in caplog.records)  # no URL list in any log line


BOZO = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t &nbsp; broken</title>'
        b"<item><title>Qwen passes 1.5 billion downloads</title><link>{link}</link></item></channel>")


def test_a_malformed_feed_is_read_and_its_warning_kept_and_shown(tmp_path: Path) -> None:
    harness_url()
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server:
        server.add(GOOD.path, GOOD.html())
        server.add("/bozo.xml", BOZO.replace(b"{link}", server.url(GOOD.path).encode()),
                   content_type="application/rss+xml")
        config = write_config(tmp_path, database, [feed_source("bozo", server.url("/bozo.xml"))])
        summary: MonitorSummary = monitor(config_path=str(config), force=True)
        report = CliRunner().invoke(app, ["--config", str(config), "sources"], terminal_width=200)
    assert summary.articles == 1  # what could be read was read
    assert any("malformed feed" in w for w in summary.warnings), summary.warnings
    with Store.open(database) as store:
        state = store.source_state("bozo")
    assert state.consecutive_failures == 0 and any("malformed feed" in w for w in state.warnings)
    assert "1 warning" in report.output and "bozo: " in report.output and "malformed feed" in report.output
