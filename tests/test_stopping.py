"""SIGTERM and Ctrl-C end a `claimwatch run` within seconds, keeping what the run had read."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from support.faults import article_urls, cli_env, start_cli
from support.flows import Article, feed_source, harness_url, rss, write_config
from support.http_server import LocalServer

from storage import Store

pytestmark = pytest.mark.timeout(240)

STOPS_WITHIN = 10.0  # seconds from the signal to the process's exit (Prefect's own teardown included)
GOOD = Article("/news/a.html", "Qwen passes 1.5 billion downloads", "2026-04-01",
               "Qwen has passed 1.5 billion downloads, Alibaba Cloud said on Wednesday.")
LORIS = Article("/news/loris.html", "Qwen news from a slow server", "2026-04-02", "")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_run_held_by_a_slow_loris_and_keeps_what_was_read(
    tmp_path: Path, signum: signal.Signals
) -> None:
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server:
        server.add(GOOD.path, GOOD.html())
        server.slow_headers(LORIS.path, delay=1.0)  # a header byte a second: no read timeout ever fires
        server.add("/feed.xml", rss(server.base, [GOOD, LORIS]), content_type="application/rss+xml", etag='"1"')
        http = {"allow_private": True, "politeness_delay": 0, "retries": 0, "read_timeout": 30,
                "total_timeout": 600}  # deadlines far off: only the signal can end the run in time
        config = write_config(tmp_path, database, [feed_source("news", server.url("/feed.xml"))], http=http)
        process = start_cli(["run", "--all"], cli_env(config, harness_url()), tmp_path)
        _wait_for(lambda: server.hits(LORIS.path) >= 1, process)  # the page before it is read by now
        time.sleep(1.0)
        process.send_signal(signum)
        signalled = time.monotonic()
        out, err = process.communicate(timeout=60)
        took = time.monotonic() - signalled
    assert took < STOPS_WITHIN, (took, err[-2000:])
    assert process.returncode == 128 + signum, err[-2000:]
    assert err.strip().splitlines()[-1] == (
        f"claimwatch: stopped by {signum.name}; what was stored and sent is kept"), err[-2000:]
    assert "Traceback" not in err
    assert "1 articles stored" in out and "stopped" in out  # the page read is stored, the other one named
    assert server.url(GOOD.path) in article_urls(database)
    with Store.open(database) as store:
        state = store.source_state("news")
    assert state.consecutive_failures == 0 and state.etag is None  # validators wait for a complete poll


def _wait_for(ready, process, timeout: float = 120) -> None:
    """Wait until ``ready()``; fail with the process's stderr when it ends or never gets there."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(process.communicate()[1][-3000:])
        time.sleep(0.05)
