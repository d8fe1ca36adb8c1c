"""The monitor and digest flows end to end with real parts: web server, SMTP, webhooks, SQLite, PostgreSQL."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from support.flows import (
    SHARED,
    Article,
    feed_source,
    harness_url,
    hook_channel,
    mail_channel,
    rss,
    write_config,
)
from support.http_server import LocalServer, Reply
from support.servers import receiver, smtp_server

import flows.monitor as monitor_module
from core.config import HttpConfig
from core.types import ChangeKind
from flows.digest import digest
from flows.monitor import MonitorSummary, monitor
from flows.politeness import GlobalHostLimiter
from storage import Store

pytestmark = pytest.mark.timeout(180)

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes; a test-only key
ARTICLES = [
    Article(
        "/news/qwen-700m.html",
        "Qwen models pass 700 million downloads",
        "2026-01-10",
        "Qwen has passed 700 million downloads, Alibaba Cloud said on Saturday.\n\n"
        "Developers around the world keep building on the open models, the company added.",
    ),
    Article(
        "/news/qwen-1b.html",
        "Qwen tops one billion downloads",
        "2026-02-05",
        "Qwen has passed 1 billion downloads, Alibaba Cloud said on Thursday.\n\n"
        "The figure includes downloads on Hugging Face and ModelScope, the company said.",
    ),
    Article(
        "/news/qwen-1-2b.html",
        "Qwen passes 1.2 billion downloads",
        "2026-03-02",
        "Qwen has passed 1.2 billion downloads, Alibaba Cloud said on Monday.\n\n"
        "More than 200,000 derivative models have been built on the Qwen family, it added.",
    ),
]
THIN = Article(
    "/news/roundup.html",
    "Weekly roundup",
    "2026-03-03",
    "Alibaba Cloud said its Qwen models are used by 290,000 enterprises and that the team keeps "
    "shipping new open models every month for developers around the world.",
)
OFF_TOPIC = Article(
    "/news/weather.html",
    "Weather",
    "2026-03-03",
    "Rain.",
    summary="A long summary about the weather in Hangzhou this week, which is rainy and cool, "
    "with no mention of any technology company or model whatsoever in it at all.",
)


@pytest.fixture(scope="module")
def prefect() -> str:
    return harness_url()


def serve_site(server: LocalServer) -> None:
    """Two feeds that overlap, a robots.txt, article pages and a failing feed."""
    for article in [*ARTICLES, THIN, OFF_TOPIC]:
        server.add(article.path, article.html())
    server.add(
        "/feed.xml",
        rss(server.base, [*ARTICLES, THIN, OFF_TOPIC]),
        content_type="application/rss+xml",
        etag='"v1"',
    )
    # the same stories again, dressed with tracking parameters: each page is still fetched once
    server.add(
        "/other.xml",
        rss(server.base, ARTICLES[:2], link_suffix="?utm_source=rss"),
        content_type="application/rss+xml",
        last_modified="Mon, 02 Mar 2026 10:00:00 GMT",
    )
    server.add("/down.xml", b"oops", status=500)
    server.robots("User-agent: *\nDisallow: /private/\n")


def channels(smtp_port: int, hook_url: str) -> list[dict]:
    """An email channel (one digest per run) and a signed webhook (one POST per change)."""
    return [mail_channel(smtp_port, mode="digest"), hook_channel("hook", hook_url)]


def artifacts_of(api_url: str, flow_run_id: UUID) -> dict[str, object]:
    """The artifacts a flow run attached, by key (read over the API, as the UI does)."""
    query = {
        "artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}},
        "limit": 50,
        "offset": 0,
        "sort": "CREATED_DESC",
    }
    found = httpx.post(f"{api_url}/artifacts/filter", json=query, timeout=30).raise_for_status().json()
    return {a["key"]: a["data"] for a in found}


def run_monitor(config: Path, **options: object) -> tuple[MonitorSummary, UUID]:
    """One monitor run; its summary and flow run id."""
    state = monitor(config_path=str(config), return_state=True, **options)
    return state.result(), state.state_details.flow_run_id


def test_three_articles_then_nothing_new(
    prefect: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_HOOK_SECRET", SECRET)
    with LocalServer() as server, smtp_server() as (smtp, mailbox), receiver(SECRET) as hook:
        serve_site(server)
        sources = [
            feed_source("main", server.url("/feed.xml")),
            feed_source("other", server.url("/other.xml")),
            feed_source("down", server.url("/down.xml")),
        ]
        config = write_config(tmp_path, database_url, sources, channels(smtp.port, hook.url))

        first, run_id = run_monitor(config, force=True)
        assert (first.sources_polled, first.not_modified) == (3, 0)
        assert [u[0] for u in first.unreachable] == ["down"] and "HTTP 500" in first.unreachable[0][2]
        assert (
            first.pages_fetched == 4 and first.irrelevant == 1
        )  # 3 articles + the roundup read; weather not
        assert all(server.hits(a.path) == 1 for a in ARTICLES) and server.hits(OFF_TOPIC.path) == 0
        assert first.articles == 4
        kinds = [e.kind for e in first.events if e.metric == "qwen.downloads"]
        assert first.seeded == 5  # the baseline first: the feed's figures are compared with it, none is "new"
        assert ChangeKind.NEW not in kinds and ChangeKind.UPDATED in kinds
        alerting = [
            e for e in first.events if e.kind in (ChangeKind.NEW, ChangeKind.UPDATED, ChangeKind.CONFLICT)
        ]
        assert len(mailbox.messages) == 1  # one digest email for the run
        assert len(hook.payloads()) == len(alerting) and first.alerts_sent == 2 * len(
            alerting
        )  # mail + hook rows
        assert all(r.error is None for r in hook.received)  # every webhook verified with the secret
        artifacts = artifacts_of(prefect, run_id)
        assert "qwen.downloads" in str(artifacts["monitor-summary"]) and "1.2 billion" in str(
            artifacts["monitor-summary"]
        )
        assert "monitor-changes" in artifacts

        page_hits = sum(server.hits(a.path) for a in [*ARTICLES, THIN])
        second, _ = run_monitor(config, force=True)
        assert (second.not_modified, second.pages_fetched, second.articles) == (2, 0, 0)
        assert sum(server.hits(a.path) for a in [*ARTICLES, THIN]) == page_hits
        assert len(mailbox.messages) == 1 and len(hook.payloads()) == len(alerting)
        assert second.alerts_sent == 0 and not second.events

    with Store.open(database_url) as store:
        states = {s.id: s.state for s in store.sources()}
        counts = store.source_counts()
        pending = store.pending(due_only=False)
    assert states["down"].consecutive_failures == 2 and states["down"].last_success is None
    assert states["down"].next_poll > datetime.now(UTC) + timedelta(
        minutes=30
    )  # backed off past its interval
    assert states["main"].etag == '"v1"' and states["main"].consecutive_failures == 0
    assert counts["main"][0] == 4  # articles linked to the feed that listed them first
    assert not pending


def test_a_second_run_within_the_interval_polls_nothing(prefect: str, tmp_path: Path) -> None:
    with LocalServer() as server:
        serve_site(server)
        config = write_config(
            tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [feed_source("main", server.url("/feed.xml"))]
        )
        run_monitor(config)
        hits = server.hits("/feed.xml")
        again, _ = run_monitor(config)
    assert again.sources_polled == 0 and server.hits("/feed.xml") == hits


def test_digest_channels_wait_for_the_digest_flow(prefect: str, tmp_path: Path) -> None:
    with LocalServer() as server, smtp_server() as (smtp, mailbox):
        serve_site(server)
        mail = channels(smtp.port, "http://127.0.0.1:9/")[:1]
        config = write_config(
            tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [feed_source("main", server.url("/feed.xml"))], mail
        )
        held, _ = run_monitor(config, hold_digests=True)
        assert held.events and not mailbox.messages and held.alerts_pending > 0
        state = digest(config_path=str(config), return_state=True)
        sent = state.result()
        assert len(mailbox.messages) == 1 and sent.sent == held.alerts_pending and sent.failed == 0
        assert "digest-summary" in artifacts_of(prefect, state.state_details.flow_run_id)
        again = digest(config_path=str(config))
    assert again.sent == 0 and len(mailbox.messages) == 1


def test_corpus_feeds_and_pages_do_not_break_a_run(prefect: str, tmp_path: Path) -> None:
    feeds, pages = SHARED / "corpora" / "feeds", SHARED / "corpora" / "html"
    if not feeds.is_dir() or not pages.is_dir():
        pytest.skip(f"shared corpora not found under {SHARED / 'corpora'}")
    with LocalServer() as server:
        sources = []
        for n, path in enumerate(
            sorted(p for p in feeds.iterdir() if p.suffix in (".xml", ".json", ".atom", ".rss"))
        ):
            server.add(f"/feeds/{n}", path.read_bytes(), content_type=None)
            sources.append(feed_source(f"corpus-{n}", server.url(f"/feeds/{n}")))
        html = sorted(pages.glob("*.html"))
        listed = [
            Article(
                f"/a/{n}/{p.stem}.html" + ("?amp=1" if n % 3 == 0 else ""),
                f"Alibaba Cloud {n}",
                "2026-01-01",
                "",
            )
            for n, p in enumerate(html)
        ]
        for article, path in zip(listed, html, strict=True):
            server.add(article.path.split("?")[0], path.read_bytes())
        server.add("/corpus.xml", rss(server.base, listed), content_type="application/rss+xml")
        server.handle(
            "/slow.xml",
            lambda _: Reply(
                200,
                headers={"Content-Type": "application/rss+xml"},
                chunks=(b"<rss>" for _ in range(40)),
                delay=0.5,
            ),
        )
        sources += [
            feed_source("corpus-pages", server.url("/corpus.xml")),
            feed_source("slow", server.url("/slow.xml")),
        ]
        config = write_config(
            tmp_path,
            f"sqlite:///{tmp_path / 'cw.db'}",
            sources,
            http={
                "allow_private": True,
                "allow_networks": ["127.0.0.1/32"],
                "politeness_delay": 0,
                "retries": 0,
                "total_timeout": 2,
            },
        )
        summary, _ = run_monitor(config)
    assert summary.sources_polled == len(sources)
    assert [u[0] for u in summary.unreachable] == ["slow"]  # the trickling feed hit the total timeout
    assert summary.pages_fetched + len(summary.page_errors) >= len(html)
    assert summary.articles >= len(html) * 0.8


def test_a_crash_before_health_is_saved_resumes_without_duplicates(
    prefect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_HOOK_SECRET", SECRET)
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server, receiver(SECRET) as hook:
        serve_site(server)
        config = write_config(
            tmp_path,
            database,
            [feed_source("main", server.url("/feed.xml"))],
            [hook_channel("hook", hook.url)],
        )
        with monkeypatch.context() as patch:
            patch.setattr(
                monitor_module, "record_health", _crash
            )  # dies after storing, before health and alerts
            crashed = monitor(config_path=str(config), force=True, return_state=True)
        assert crashed.is_failed() and not hook.received
        with Store.open(database) as store:
            stored = store.source_counts().get("main", (0, 0))
            assert (
                store.source_state("main").etag is None
            )  # validators not saved: the feed is read in full again
        page_hits = sum(server.hits(a.path) for a in [*ARTICLES, THIN])
        resumed, _ = run_monitor(config, force=True)
        assert (
            resumed.not_modified == 0 and resumed.articles == 0
        )  # the feed was re-read; every article stored
        assert sum(server.hits(a.path) for a in [*ARTICLES, THIN]) == page_hits  # and not fetched again
        ids = [r.headers["webhook-id"] for r in hook.received]
    with Store.open(database) as store:
        alerting = [
            s
            for s in store.changes()
            if s.event.kind in (ChangeKind.NEW, ChangeKind.UPDATED, ChangeKind.CONFLICT)
            and s.event.claim.source.startswith(server.base)  # the baseline's own events send nothing
        ]
        assert store.source_counts()["main"] == stored and not store.pending(due_only=False)
    assert len(ids) == len(set(ids)) == len(alerting) == resumed.alerts_sent > 0  # each pending alert once


def _crash(*_args: object, **_kwargs: object) -> None:
    """Stands in for a process killed mid-run."""
    raise RuntimeError("killed between storing claims and sending alerts")


def test_pages_go_to_a_dask_cluster_when_configured(prefect: str, tmp_path: Path, database_url: str) -> None:
    """Two Dask worker processes fetch and extract; the flow stores into SQLite or PostgreSQL."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        LocalServer() as server,
    ):
        serve_site(server)
        config = write_config(
            tmp_path,
            database_url,
            [feed_source("main", server.url("/feed.xml"))],
            task_runner="dask",
            dask_address=cluster.scheduler_address,
        )
        summary, _ = run_monitor(config, force=True)
        with distributed.Client(cluster) as client:
            ran_on = client.run(
                lambda: (
                    len(__import__("sys").modules.get("flows.tasks").__dict__)
                    if "flows.tasks" in __import__("sys").modules
                    else 0
                )
            )
    assert summary.articles == 4 and summary.pages_fetched == 4
    assert any(ran_on.values())  # the task module was loaded on the workers: the tasks ran there


def test_per_host_politeness_holds_across_processes(prefect: str) -> None:
    """Two limiters (as on two Dask workers) share one host's slots and delay through the Prefect server."""
    config = HttpConfig(per_host_concurrency=1, politeness_delay=0.4)
    starts: list[float] = []
    inside = [0, 0]  # (now, most at once)
    lock = threading.Lock()

    def worker(limiter: GlobalHostLimiter) -> None:
        for _ in range(2):
            with limiter.slot("news.example.com:8080"):
                with lock:
                    starts.append(time.monotonic())
                    inside[0] += 1
                    inside[1] = max(inside)
                time.sleep(0.05)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=worker, args=(GlobalHostLimiter(config),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert len(starts) == 4 and inside[1] == 1
    assert min(gaps) >= 0.3  # the politeness delay held between the two "processes" (scheduling jitter aside)


@pytest.mark.parametrize(("failure", "polled_in_full"), [(503, True), (404, False)],
                         ids=["may-pass", "final"])
def test_a_page_whose_failure_may_pass_is_offered_again_by_the_next_poll(
    prefect: str, tmp_path: Path, failure: int, polled_in_full: bool
) -> None:
    """Was: the feed's new validators were saved, it answered 304 until it changed, and a page that timed
    out or met a 503 once was never read: its figures silenced. A page that is gone stays gone."""
    first, flaky = ARTICLES[0], ARTICLES[1]
    with LocalServer() as server:
        server.add(first.path, first.html())
        page = Reply(200, flaky.html().encode(), {"Content-Type": "text/html"})
        server.add_sequence(flaky.path, [Reply(failure, b"busy"), page])
        server.add("/feed.xml", rss(server.base, [first, flaky]), content_type="application/rss+xml",
                   etag='"v1"')
        sources = [feed_source("main", server.url("/feed.xml"))]
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", sources)
        before, _ = run_monitor(config, force=True)
        assert before.articles == 1 and len(before.page_errors) == 1 and str(failure) in before.page_errors[0]
        after, _ = run_monitor(config, force=True)
        again, _ = run_monitor(config, force=True)
    assert (after.not_modified, after.articles) == ((0, 1) if polled_in_full else (1, 0))
    assert (again.not_modified, again.articles) == (1, 0)  # read, then the validators are kept
    assert server.hits(flaky.path) == (2 if polled_in_full else 1)
