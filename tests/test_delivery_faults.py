"""No alert goes twice: `alerts retry` beside a running delivery, and kill -9 at every point of a delivery."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from support.faults import alert_keys, cli_env, kill_when, reset_outbox, run_cli, start_cli, time_passes
from support.flows import hook_channel, write_config
from support.servers import Receiver, receiver

from alerts.secrets import env_secret_resolver
from app.delivery import LEASE, deliver_pending
from app.runtime import open_runtime
from core.periods import LooseDate
from core.types import Alert, Document

pytestmark = pytest.mark.timeout(600)

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes; a test-only key
AFTER_LEASE = LEASE + timedelta(seconds=1)


def _queue_alerts(config: Path, count: int) -> None:
    """``count`` documents, each raising Qwen's download count by a fifth: ``count`` alerts queued, none sent."""
    runtime = open_runtime(config)
    try:
        for n in range(count):
            text = f"Qwen has passed {round(1000 * 1.2**n)} million downloads, Alibaba Cloud said.\n"
            day = LooseDate.parse(f"2026-03-{n + 1:02d}")
            document = Document(source=f"https://news.example.com/qwen-{n}", text=text, published=day)
            runtime.pipeline.ingest(document, alerts=True)
    finally:
        runtime.close()


def _setup(tmp_path: Path, database: str, hook: Receiver, count: int) -> tuple[dict[str, str], set[str]]:
    """A config with one webhook channel and ``count`` alerts queued for it; the CLI env and their keys."""
    config = write_config(tmp_path, database, [], [hook_channel("hook", hook.url)])
    _queue_alerts(config, count)
    keys = alert_keys(database, "hook")
    assert len(keys) == count
    return {**cli_env(config), "CW_TEST_HOOK_SECRET": SECRET}, keys


def _ids(hook: Receiver, since: int = 0) -> list[str]:
    """The webhook-id of each request received (from the ``since``-th on), all signatures verified."""
    assert all(r.error is None for r in hook.received)
    return [r.headers["webhook-id"] for r in hook.received[since:]]


def test_alerts_retry_beside_a_running_delivery_sends_nothing_twice(database_url: str, tmp_path: Path) -> None:
    with receiver(SECRET) as hook:
        env, keys = _setup(tmp_path, database_url, hook, 8)
        hook.behaviour.stall_at, hook.behaviour.stall = 1, 5.0  # the first send hangs: the run holds its lease
        running = start_cli(["alerts", "retry"], env, tmp_path)
        while not hook.received:  # the running delivery has leased all 8 and is sending the first
            assert running.poll() is None, running.communicate()
            time.sleep(0.05)
        beside = run_cli(["alerts", "retry"], env, tmp_path)
        out, err = running.communicate(timeout=120)
        ids = _ids(hook)
    assert beside.returncode == 0 and "0 sent, 0 failed" in beside.stdout, beside.stdout + beside.stderr
    assert running.returncode == 0 and "8 sent, 0 failed" in out, out + err
    assert sorted(ids) == sorted(keys)  # 8 alerts, 8 deliveries


def test_kill_9_at_every_point_of_a_delivery_loses_nothing_and_repeats_only_the_send_in_flight(
    tmp_path: Path,
) -> None:
    database, count = f"sqlite:///{tmp_path / 'cw.db'}", 20
    with receiver(SECRET) as hook:
        env, keys = _setup(tmp_path, database, hook, count)
        clean = run_cli(["alerts", "retry"], env, tmp_path)
        assert clean.returncode == 0 and sorted(_ids(hook)) == sorted(keys)  # no kill: no repeat
        repeats = []
        for point in range(1, count + 1):
            reset_outbox(database)
            first = len(hook.received)
            hook.behaviour.stall_at = first + point  # the point-th send of this round is in flight at the kill
            kill_when(start_cli(["alerts", "retry"], env, tmp_path), lambda: len(hook.received) >= first + point)
            hook.behaviour.stall_at = 0
            time_passes(database, AFTER_LEASE)  # the killed run's lease on the alert in flight runs out
            retry = run_cli(["alerts", "retry"], env, tmp_path)
            assert retry.returncode == 0, retry.stderr
            sent = Counter(_ids(hook, first))
            assert set(sent) == keys, f"kill at send {point}: lost {keys - set(sent)}"
            repeats.append(sum(sent.values()) - count)
            assert repeats[-1] <= 1, f"kill at send {point}: {sent.most_common(3)}"
    assert repeats == [1] * count  # exactly the alert in flight at each kill, sent again with its webhook-id


def test_a_stop_during_a_delivery_sends_nothing_more_and_gives_the_rest_back(tmp_path: Path) -> None:
    """SIGTERM in the middle of 20 sends (here the stop event it sets): the send in flight ends, the rest wait."""
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with receiver(SECRET) as hook:
        env, keys = _setup(tmp_path, database, hook, 20)
        runtime = open_runtime(Path(env["CLAIMWATCH_CONFIG"]))
        try:
            report = deliver_pending(runtime.pipeline, env_secret_resolver(env), stop=lambda: len(hook.received) >= 3)
            due = runtime.store.pending()  # due now, not leased for ten minutes
        finally:
            runtime.close()
    assert (report.sent, report.failed) == (3, 0) and len(_ids(hook)) == 3
    assert len(due) == 17 and all(r.status == "pending" and r.next_attempt_at is None for r in due)
    assert {Alert("hook", (r.event,)).key for r in due} == keys - set(_ids(hook))
