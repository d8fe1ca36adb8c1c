"""An idle poll: 50 feeds that all answer 304 Not Modified; the monitor flow's own cost.

    .venv/bin/python bench/idle_poll.py [--feeds N]

A first monitor run reads the feeds (empty channels) and stores their validators; the measured
second run sends conditional GETs that all come back 304. The server runs in a child process.
Prints one line:
    bench=idle_poll feeds=.. not_modified=.. pages_fetched=.. claims=.. flow_s=.. work_s=..
flow_s is the flow call's wall time; work_s is the time inside the flow's body (run_monitor,
beyond Prefect's start and finish), target under 2 s.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the local server lives in tests/support

from support.http_server import LocalServer  # noqa: E402
from support.serving import served, timed  # noqa: E402

DEFAULT_FEEDS = 50  # issue 6 §1
EMPTY_FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>idle</title></channel></rss>'


def serve(feeds: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """Feeds with validators (child process): put the base URL on ``ready``, serve until ``stop``."""
    with LocalServer() as server:
        for f in range(feeds):
            server.add(f"/feeds/{f}.xml", EMPTY_FEED, content_type="application/rss+xml",
                       etag=f'"idle-{f}"', last_modified="Mon, 01 Jun 2026 00:00:00 GMT")
        ready.put(server.base)
        stop.wait()


def run(feeds: int, folder: Path, base: str) -> str:
    """Poll once to learn the validators, then measure the idle poll; the summary line."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry: no internet here
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # one summary line, not a line per task
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415 - after the fork
    from support.flows import feed_source, write_config  # noqa: PLC0415

    from flows import monitor as monitor_module  # noqa: PLC0415

    sources = [feed_source(f"idle-{f}", f"{base}/feeds/{f}.xml") for f in range(feeds)]
    config = str(write_config(folder, f"sqlite:///{folder / 'cw.db'}", sources))
    spent: list[float] = []
    monitor_module.run_monitor = timed(monitor_module.run_monitor, spent)  # the flow's body, measured
    with prefect_test_harness(server_startup_timeout=60):
        monitor_module.monitor(config_path=config, force=True)
        started = time.perf_counter()
        summary = monitor_module.monitor(config_path=config, force=True)
        flow = time.perf_counter() - started
        logging.disable(logging.CRITICAL)  # the harness's shutdown logs cancelled tasks: noise here
    return (f"bench=idle_poll feeds={feeds} polled={summary.sources_polled} "
            f"not_modified={summary.not_modified} "
            f"pages_fetched={summary.pages_fetched} claims={summary.claims} flow_s={flow:.2f} "
            f"work_s={spent[-1]:.2f}")


def main() -> None:
    """Start the feeds, run the flow twice, print the line, stop the feeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=DEFAULT_FEEDS)
    args = parser.parse_args()
    with served(serve, (args.feeds,), "cw-bench-idle-") as (base, folder):
        print(run(args.feeds, folder, base), flush=True)


if __name__ == "__main__":
    main()
