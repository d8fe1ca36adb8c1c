"""Bad pages through one monitor run: each failure recorded with its URL and cause, the rest goes on."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from rich.console import Console
from support.faults import article_urls, serve_bad_pages, table_counts
from support.flows import Article, feed_source, harness_url, rss, write_config
from support.http_server import LocalServer

from app.baseline import seed_baseline
from app.runtime import open_runtime
from flows.commands import print_run
from flows.monitor import MonitorSummary, monitor
from storage import Store

pytestmark = pytest.mark.timeout(180)

CAP = 2 * 2**20  # bytes; a 50 MB page or bomb is stopped here, well before it costs time or memory
GOOD = Article(
    "/news/qwen-1-5b.html",
    "Qwen passes 1.5 billion downloads",
    "2026-04-01",
    "Qwen has passed 1.5 billion downloads, Alibaba Cloud said on Wednesday.\n\n"
    "Developers have built more than 300,000 derivative models on the family, the company added.",
)
LATIN1_AS_UTF8 = Article(  # bytes that are not UTF-8 although the page says so: read with replacements
    "/odd/latin1.html", "Qwen caf\u00e9 notes", "2026-04-02", "Qwen caf\u00e9 na\u00efve r\u00e9sum\u00e9."
)
UNKNOWN_CHARSET = Article("/odd/klingon.html", "Qwen in an unknown charset", "2026-04-03", "Qwen notes.")


@pytest.fixture(scope="module")
def prefect() -> str:
    return harness_url()


def _feed(server: LocalServer, paths: list[str]) -> None:
    """One feed listing every page, each entry titled so that it is relevant."""
    listed = [Article(p, f"Qwen and Alibaba Cloud news {n}", "2026-04-01", "") for n, p in enumerate(paths)]
    server.add("/feed.xml", rss(server.base, [*listed, GOOD]), content_type="application/rss+xml")


def _serve_odd_encodings(server: LocalServer) -> None:
    """Pages whose bytes do not match their declared charset."""
    server.add(LATIN1_AS_UTF8.path, LATIN1_AS_UTF8.html().encode("latin-1"))
    server.add(UNKNOWN_CHARSET.path, UNKNOWN_CHARSET.html(), content_type="text/html; charset=x-klingon")


@dataclass(frozen=True)
class Seeded:
    """What the database held before the run."""

    counts: dict[str, int]
    urls: set[str]


def _seed(config: Path, database_url: str) -> Seeded:
    """Store the bundled baseline, and note what is stored."""
    runtime = open_runtime(config)
    try:
        seed_baseline(runtime.pipeline)
    finally:
        runtime.close()
    return Seeded(table_counts(database_url), article_urls(database_url))


def _printed(summary: MonitorSummary) -> str:
    """What `claimwatch run` prints for this summary."""
    out = io.StringIO()
    print_run(Console(file=out, width=120), summary)
    return out.getvalue()


def _artifact(api_url: str, flow_run_id: UUID) -> str:
    """The run's markdown summary artifact, read over the Prefect API."""
    query = {"artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}, "key": {"any_": ["monitor-summary"]}}}
    found = httpx.post(f"{api_url}/artifacts/filter", json=query, timeout=30).raise_for_status().json()
    return str(found[0]["data"])


def test_bad_pages_are_recorded_and_the_run_goes_on(prefect: str, database_url: str, tmp_path: Path) -> None:
    with LocalServer() as server:
        bad = serve_bad_pages(server, cap=CAP)
        _serve_odd_encodings(server)
        server.add(GOOD.path, GOOD.html())
        server.robots("User-agent: *\nDisallow: /private/\n")
        _feed(server, [b.path for b in bad] + [LATIN1_AS_UTF8.path, UNKNOWN_CHARSET.path])
        http = {"allow_private": True, "allow_networks": ["127.0.0.1/32"], "politeness_delay": 0,
                "retries": 0, "read_timeout": 1, "total_timeout": 2, "max_bytes": CAP}
        sources = [feed_source("news", server.url("/feed.xml"))]
        config = write_config(tmp_path, database_url, sources, http=http)
        before = _seed(config, database_url)
        state = monitor(config_path=str(config), force=True, return_state=True)
        summary: MonitorSummary = state.result()
        artifact = _artifact(prefect, state.state_details.flow_run_id)

    errors = summary.page_errors
    for page in bad:
        url = server.url(page.path)
        mine = [e for e in errors if url in e]
        assert len(mine) == 1, f"{url}: {errors}"
        assert page.cause.lower() in mine[0].lower(), mine[0]
        assert url in artifact  # the run's artifact names each failed page too
    printed = _printed(summary)
    assert f"{summary.pages_fetched} pages read ({len(bad)} failed)" in printed
    for page in bad:  # `claimwatch run` prints one line per failed page, with its URL and cause
        line = next(x for x in printed.splitlines() if server.url(page.path) + ":" in x)
        assert line.startswith("  page failed: ") and page.cause.lower() in line.lower()
    assert len(errors) == len(bad)  # the odd encodings are read (with replacements), not failures
    assert summary.articles == 3 and summary.pages_fetched == 3
    assert not summary.unreachable

    after = table_counts(database_url)
    assert before.urls <= article_urls(database_url)  # nothing stored before is lost
    assert after["articles"] == before.counts["articles"] + 3
    assert all(after[t] >= before.counts[t] for t in ("facts", "claims", "change_events"))
    with Store.open(database_url) as store:
        downloads = [c for c in store.claims("qwen.downloads") if c.source == server.url(GOOD.path)]
    assert downloads and {str(c.value) for c in downloads} == {"1500000000"}  # title and body both state it
