"""Faults injected with real servers and processes: channels down, kills, locks, races, failing sources."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.databases import clean_database
from support.faults import (
    alert_keys,
    cli_env,
    kill_when,
    mute_smtp,
    run_cli,
    start_cli,
    table_counts,
    time_passes,
)
from support.flows import Article, feed_source, harness_url, hook_channel, mail_channel, rss, write_config
from support.http_server import LocalServer, Reply
from support.servers import closed_port, receiver, smtp_server
from typer.testing import CliRunner

from app.baseline import seed_baseline
from app.delivery import LEASE
from app.runtime import open_runtime
from core.types import ChangeKind
from flows.cli import app
from flows.monitor import MonitorSummary, monitor
from storage import Store

pytestmark = pytest.mark.timeout(240)

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes; a test-only key
ALERTING = (ChangeKind.NEW, ChangeKind.UPDATED, ChangeKind.CONFLICT)
LATER = timedelta(hours=7)  # past any delivery back-off (alerts.deliver.NEXT_RUN_MAX is 6 h)
ARTICLES = [
    Article("/news/a.html", "Qwen passes 1.5 billion downloads", "2026-04-01",
            "Qwen has passed 1.5 billion downloads, Alibaba Cloud said on Wednesday.\n\n"
            "Developers have built more than 300,000 derivative models on Qwen, the company added."),
    Article("/news/b.html", "Qwen tops 1.6 billion downloads", "2026-04-20",
            "Qwen has passed 1.6 billion downloads, Alibaba Cloud said on Monday.\n\n"
            "The open models are used by more than 1 million enterprises, it said."),
]
DOCUMENT = (
    "Alibaba Cloud said on Wednesday that Qwen has passed 1.5 billion downloads.\n\n"
    "Developers have built more than 300,000 derivative models on the Qwen family, the company added.\n"
)


@pytest.fixture(scope="module")
def prefect() -> str:
    return harness_url()


def serve_news(server: LocalServer) -> None:
    """The articles and a feed listing them."""
    for article in ARTICLES:
        server.add(article.path, article.html())
    server.add("/feed.xml", rss(server.base, ARTICLES), content_type="application/rss+xml", etag='"v1"')


def seed(config: Path) -> None:
    """Store the bundled baseline, as `claimwatch run` does for an empty database."""
    runtime = open_runtime(config)
    try:
        seed_baseline(runtime.pipeline)
    finally:
        runtime.close()


def ids_of(requests: list) -> list[str]:
    """The webhook-id of each request a receiver got."""
    return [r.headers["webhook-id"] for r in requests]


# ---------------------------------------------------------------- channels down during a run


def test_channels_down_then_back_deliver_each_alert_once(
    prefect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_HOOK_SECRET", SECRET)
    database, port = f"sqlite:///{tmp_path / 'cw.db'}", closed_port()
    with LocalServer() as server, receiver(SECRET) as failing, receiver(SECRET) as slow:
        serve_news(server)
        failing.behaviour.status, slow.behaviour.delay = 500, 3.0
        chans = [mail_channel(port, timeout=2), hook_channel("hook500", failing.url),
                 hook_channel("hookslow", slow.url, timeout=1)]
        config = write_config(tmp_path, database, [feed_source("news", server.url("/feed.xml"))], chans)
        first: MonitorSummary = monitor(config_path=str(config), force=True)
        keys = {name: alert_keys(database, name) for name in ("mail", "hook500", "hookslow")}
        assert keys["mail"] and first.alerts_sent == 0 and first.alerts_pending == 3 * len(keys["mail"])
        causes = {"mail": "unreachable", "hook500": "HTTP 500", "hookslow": "timed out after 1s"}
        for name, cause in causes.items():  # each channel's recorded error names it and its cause
            assert any(name in e and cause in e for e in first.delivery_errors), first.delivery_errors
        with Store.open(database) as store:
            rows = store.pending(due_only=False)
        assert {r.channel for r in rows} == set(causes)
        assert all(causes[r.channel] in (r.last_error or "") for r in rows)

        before = {"hook500": len(failing.received), "hookslow": len(slow.received)}
        failing.behaviour.status, slow.behaviour.delay = 204, 0.0
        time_passes(database, LATER)
        with smtp_server(port=port) as (_, mailbox):
            second: MonitorSummary = monitor(config_path=str(config), force=True)
            third: MonitorSummary = monitor(config_path=str(config), force=True)
            messages = list(mailbox.messages)
    assert second.alerts_sent == 3 * len(keys["mail"])
    assert second.alerts_pending == 0 and not second.delivery_errors
    assert (third.alerts_sent, third.alerts_pending, third.events) == (0, 0, [])
    assert sorted(m["Message-ID"] for m in messages) == sorted(set(m["Message-ID"] for m in messages))
    assert {m["Message-ID"].strip("<>").split("@")[0] for m in messages} == keys["mail"]
    for name, hook in (("hook500", failing), ("hookslow", slow)):
        after = ids_of(hook.received[before[name]:])
        assert sorted(after) == sorted(keys[name])  # each alert once after recovery, with its idempotency key
        assert set(ids_of(hook.received[: before[name]])) <= keys[name]  # failed tries carried the same ids
    assert table_counts(database)["sent"] == table_counts(database)["outbox"] == 3 * len(keys["mail"])


# ---------------------------------------------------------------- processes killed mid-delivery


def _ingest_config(tmp_path: Path, database: str, channels: list[dict[str, object]]) -> tuple[Path, Path]:
    """A config with these channels, and the document to ingest."""
    document = tmp_path / "qwen.txt"
    document.write_text(DOCUMENT, encoding="utf-8")
    return write_config(tmp_path, database, [], channels), document


URL = "https://news.example.com/qwen-1-5b"
INGEST = ["ingest", "--url", URL, "--published", "2026-04-01"]


def test_killed_while_a_webhook_is_sent_then_rerun(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with receiver(SECRET) as hook:
        hook.behaviour.delay = 60.0  # the receiver holds the first request: the sender is mid-send
        config, document = _ingest_config(tmp_path, database, [hook_channel("hook", hook.url)])
        env = {**cli_env(config), "CW_TEST_HOOK_SECRET": SECRET}
        process = start_cli([*INGEST, str(document)], env, tmp_path)
        kill_when(process, lambda: len(hook.received) >= 1)
        stored, keys = table_counts(database), alert_keys(database, "hook")
        assert len(keys) >= 2 and stored["sent"] == 0 and stored["outbox"] == len(keys)

        hook.behaviour.delay = 0.0
        again = run_cli([*INGEST, str(document)], env, tmp_path)  # the same document, at once
        assert again.returncode == 0, again.stderr
        assert table_counts(database) == stored and len(hook.received) == 1  # leased: nothing sent yet

        time_passes(database, LEASE + timedelta(seconds=1))  # the killed run's lease runs out
        later = run_cli([*INGEST, str(document)], env, tmp_path)
        assert later.returncode == 0, later.stderr
        retry = run_cli(["alerts", "retry"], env, tmp_path)
        ids = ids_of(hook.received)
    assert retry.returncode == 0 and "0 sent, 0 failed" in retry.stdout
    assert all(r.error is None for r in hook.received)  # every request verified with the secret
    assert ids[0] in ids[1:] and sorted(ids[1:]) == sorted(keys)  # each once; the repeat keeps its webhook-id
    assert table_counts(database) == {**stored, "sent": len(keys)}  # no claim, fact or event duplicated


def test_monitor_run_killed_mid_send_then_next_run_delivers(prefect: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server, receiver(SECRET) as hook:
        serve_news(server)
        hook.behaviour.delay = 60.0
        config = write_config(tmp_path, database, [feed_source("news", server.url("/feed.xml"))],
                              [hook_channel("hook", hook.url)])
        seed(config)
        env = {**cli_env(config, prefect), "CW_TEST_HOOK_SECRET": SECRET}
        kill_when(start_cli(["run", "--all"], env, tmp_path), lambda: len(hook.received) >= 1, timeout=120)
        stored, keys = table_counts(database), alert_keys(database, "hook")
        hook.behaviour.delay = 0.0
        time_passes(database, LEASE + timedelta(seconds=1))
        pages = sum(server.hits(a.path) for a in ARTICLES)
        rerun = run_cli(["run", "--all"], env, tmp_path, timeout=150)
        ids = ids_of(hook.received)
        assert sum(server.hits(a.path) for a in ARTICLES) == pages  # stored pages are not fetched again
    assert rerun.returncode == 0, rerun.stderr
    assert len(keys) >= 2 and ids[0] in ids[1:] and sorted(ids[1:]) == sorted(keys)
    assert table_counts(database) == {**stored, "sent": len(keys)}


def test_killed_before_any_send_then_retry_sends_each_once(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with mute_smtp() as (port, connected):
        config, document = _ingest_config(tmp_path, database, [mail_channel(port)])
        process = start_cli([*INGEST, str(document)], cli_env(config), tmp_path)
        kill_when(process, connected.is_set)  # connected, waiting for a greeting that never comes
    stored, keys = table_counts(database), alert_keys(database, "mail")
    assert keys and stored["sent"] == 0 and stored["outbox"] == len(keys)
    with smtp_server() as (smtp, mailbox):
        config, _ = _ingest_config(tmp_path, database, [mail_channel(smtp.port)])  # the relay is back
        held = run_cli(["alerts", "retry"], cli_env(config), tmp_path)  # the killed run's lease still holds
        time_passes(database, LEASE + timedelta(seconds=1))
        first = run_cli(["alerts", "retry"], cli_env(config), tmp_path)
        second = run_cli(["alerts", "retry"], cli_env(config), tmp_path)
        ids = [m["Message-ID"] for m in mailbox.messages]
    assert held.returncode == 0 and "0 sent, 0 failed" in held.stdout
    assert f"{len(keys)} held by another delivery run until" in held.stdout
    assert first.returncode == 0, first.stderr
    assert f"{len(keys)} sent, 0 failed" in first.stdout and "0 sent, 0 failed" in second.stdout
    assert len(ids) == len(set(ids)) == len(keys)
    assert {i.strip("<>").split("@")[0] for i in ids} == keys  # Message-IDs carry the idempotency keys
    assert table_counts(database) == {**stored, "sent": len(keys)}


# ---------------------------------------------------------------- SQLite locked during an ingest


def test_sqlite_locked_during_a_cli_ingest_waits_and_stores(tmp_path: Path) -> None:
    database = tmp_path / "cw.db"
    config, document = _ingest_config(tmp_path, f"sqlite:///{database}", [])
    warm = tmp_path / "warm.txt"
    warm.write_text("Alibaba Cloud said Qwen has passed 1 billion downloads.\n", encoding="utf-8")
    started = time.monotonic()
    assert run_cli(["ingest", "--no-alerts", str(warm)], cli_env(config), tmp_path).returncode == 0
    unlocked = time.monotonic() - started  # how long an ingest takes with nobody in the way

    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    process = start_cli([*INGEST, "--no-alerts", str(document)], cli_env(config), tmp_path)
    time.sleep(unlocked + 1.0)
    blocked = process.poll() is None
    holder.execute("COMMIT")
    holder.close()
    out, err = process.communicate(timeout=60)
    assert blocked and process.returncode == 0, err  # it waited for the lock instead of failing
    with Store.open(f"sqlite:///{database}") as store:
        assert URL in store.article_info([URL])
        assert any(c.source == URL for c in store.claims("qwen.downloads"))


# ---------------------------------------------------------------- two monitor runs at once on PostgreSQL


@pytest.mark.postgres
def test_two_monitor_runs_at_once_on_postgres(prefect: str, postgres_database: str, tmp_path: Path) -> None:
    """Both start on an empty database, so each also seeds the baseline at the same time as the other."""
    clean_database(postgres_database)
    with LocalServer() as server, receiver(SECRET) as hook:
        serve_news(server)
        config = write_config(tmp_path, postgres_database, [feed_source("news", server.url("/feed.xml"))],
                              [hook_channel("hook", hook.url)])
        env = {**cli_env(config, prefect), "CW_TEST_HOOK_SECRET": SECRET}
        runs = [start_cli(["run", "--all"], env, tmp_path) for _ in range(2)]
        done = [(p.wait(timeout=150), p.communicate()) for p in runs]
        counts = table_counts(postgres_database)
        third = run_cli(["run", "--all"], env, tmp_path, timeout=150)
        ids = ids_of(hook.received)
    for code, (out, err) in done:
        assert code == 0, err
        assert "Traceback" not in err, err
    stored = [int(re.search(r"(\d+) articles stored", out).group(1)) for _, (out, _) in done]
    assert sum(stored) == len(ARTICLES)  # each run reports only what it stored itself
    assert third.returncode == 0 and table_counts(postgres_database) == counts  # nothing left to add
    keys = alert_keys(postgres_database, "hook")
    assert sorted(ids) == sorted(keys) and counts["sent"] == counts["outbox"] == len(keys)
    assert counts["articles"] == 5 + len(ARTICLES)  # the five seeds and each page once
    assert not _duplicate_events(postgres_database, server.base)


def _duplicate_events(database_url: str, site: str) -> list[tuple[str, str]]:
    """(kind, figure) pairs from ``site`` recorded more than once: what a race would leave."""
    with Store.open(database_url) as store:
        events = [s.event for s in store.changes() if s.event.kind in ALERTING]
    events = [e for e in events if e.claim.source.startswith(site)]
    seen = Counter((str(e.kind), e.metric, str(e.claim.value), e.claim.forecast) for e in events)
    return [(k[0], f"{k[1]}={k[2]}") for k, n in seen.items() if n > 1]


# ---------------------------------------------------------------- a source failing for many runs


def _make_due(database_url: str, name: str) -> None:
    """Time passes: the source's next poll has come."""
    with Store.open(database_url) as store:
        state = store.source_state(name)
        due = dataclasses.replace(state, next_poll=datetime.now(UTC) - timedelta(seconds=1))
        store.save_source_state(name, due)


def test_a_failing_source_backs_off_is_reported_and_recovers(prefect: str, tmp_path: Path) -> None:
    database, failures = f"sqlite:///{tmp_path / 'cw.db'}", 4
    with LocalServer() as server:
        serve_news(server)
        feed = rss(server.base, ARTICLES).encode()
        server.add_sequence("/flaky.xml", [Reply(503, b"down")] * failures
                            + [Reply(200, feed, {"Content-Type": "application/rss+xml"})])
        config = write_config(tmp_path, database, [feed_source("flaky", server.url("/flaky.xml"))])
        waits = []
        for _ in range(failures):
            _make_due(database, "flaky") if waits else None
            summary: MonitorSummary = monitor(config_path=str(config))
            assert summary.sources_polled == 1 and summary.unreachable and summary.articles == 0
            with Store.open(database) as store:
                state = store.source_state("flaky")
            waits.append(state.next_poll - state.last_attempt)
        idle: MonitorSummary = monitor(config_path=str(config))  # not due yet: backed off, not polled
        report = CliRunner().invoke(app, ["--config", str(config), "sources"], terminal_width=200)
        _make_due(database, "flaky")
        recovered: MonitorSummary = monitor(config_path=str(config))
        hits = server.hits("/flaky.xml")
    assert all(a < b for a, b in zip(waits, waits[1:])) and waits[0] > timedelta(minutes=30)
    assert idle.sources_polled == 0 and hits == failures + 1
    row = next(line for line in report.output.splitlines() if "flaky" in line)
    assert f" {failures} " in row and "failing: " in report.output and "HTTP 503" in report.output
    assert recovered.sources_polled == 1 and not recovered.unreachable and recovered.articles == len(ARTICLES)
    with Store.open(database) as store:
        state = store.source_state("flaky")
    assert state.consecutive_failures == 0 and state.last_error is None and state.last_success is not None
    assert state.next_poll - state.last_attempt == timedelta(minutes=30)
