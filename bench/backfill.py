"""Backfill of archived pages from a local CDX + memento server: pages per second and peak memory.

    .venv/bin/python bench/backfill.py [--pages N]

The archive runs in a child process (forked before Prefect is imported, so the figures are the
flow's own): CDX pages of CDX_PAGE_SIZE rows with resume keys, and small distinct article pages
about Qwen and Alibaba Cloud figures, made on the fly. The backfill flow runs in this process under
``prefect_test_harness`` on a fresh SQLite file. Prints one line:
    bench backfill: pages=.. ingested=.. errors=.. seconds=.. pages_per_s=.. peak_rss_mb_total=.. ...
peak_rss_mb_total is the peak of the summed resident sets of this process, its extraction workers and the
harness's Prefect server, sampled during the backfill (tests/support/measure.py; the archive server is not
counted); peak_rss_mb_flow is this process's own peak (ru_maxrss). Target: under 400 MB for 10,000 pages.
A second line measures ``claimwatch backfill`` as people run it (``--mode command``): its own process,
the temporary Prefect server it starts and its extraction workers, summed the same way (this script's own
process not counted; CPU not shown: the server outlives the command by a moment and is not this
script's child); seconds and pages_per_s there include the command's start and the server's.
``BENCH_BACKFILL_PAGES=1000`` (or ``--pages``) makes a quick run; ``--mode flow|command|both`` (default both).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import re
import resource
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the local server lives in tests/support

from support.http_server import LocalServer, Reply, Request  # noqa: E402
from support.serving import served  # noqa: E402

DEFAULT_PAGES = int(os.environ.get("BENCH_BACKFILL_PAGES", 10_000))  # issue 6 §1, issue 15 §4
CDX_ROWS = 1000  # rows per CDX answer, as the real API pages with resume keys
ORIGIN = "https://news.example.com"
FIRST_CAPTURE = datetime(2023, 1, 1, 9, tzinfo=UTC)
CAPTURE_STEP = timedelta(hours=2)  # 10,000 captures span about two years


def capture_time(n: int) -> datetime:
    """When page ``n`` was captured."""
    return FIRST_CAPTURE + n * CAPTURE_STEP


def page_html(n: int) -> str:
    """A small article, distinct per ``n``, stating Qwen and Alibaba Cloud figures of its day."""
    day = capture_time(n).date().isoformat()
    downloads, growth, revenue = 100 + n // 20, 10 + n % 30, round(20 + n / 500, 1)
    body = (
        f"<p>Qwen has passed {downloads} million downloads, Alibaba Cloud said on {day}.</p>"
        f"<p>Alibaba Cloud revenue grew {growth}% year-over-year to RMB{revenue} billion, "
        f"report {n} says.</p>"
        f"<p>Developers keep building on the open models; story number {n} adds local colour and quotes "
        f"from partners about agents, inference prices and data centres in region {n % 17}.</p>"
    )
    return (f'<html><head><title>Qwen update {n}</title><meta name="date" content="{day}"></head>'
            f"<body><article><h1>Qwen update {n}</h1>{body}</article></body></html>")


def cdx_reply(request: Request, pages: int) -> Reply:
    """One page of CDX rows from the resume key (an offset), with the next key after a blank line."""
    start = int(request.query.get("resumeKey", ["0"])[0])
    end = min(pages, start + CDX_ROWS)
    rows = [f"com,example,news)/a/{n} {capture_time(n):%Y%m%d%H%M%S} {ORIGIN}/a/{n} text/html 200 D{n} 900"
            for n in range(start, end)]
    tail = ["", str(end)] if end < pages else []
    return Reply(200, ("\n".join(rows + tail) + "\n").encode(), {"Content-Type": "text/plain"})


def memento_reply(request: Request) -> Reply:
    """The raw memento of ``/web/<ts>id_/<original>``."""
    original = request.path.split("id_/", 1)[-1]
    n = int(urlsplit(original).path.rsplit("/", 1)[-1])
    headers = {"Content-Type": "text/html; charset=utf-8",
               "Memento-Datetime": format_datetime(capture_time(n), usegmt=True)}
    return Reply(200, page_html(n).encode(), headers)


def serve(pages: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """The archive server (child process): put its base URL on ``ready``, serve until ``stop``."""
    with LocalServer() as server:
        server.handle("/cdx/search/cdx", lambda r: cdx_reply(r, pages))
        server.handle("/web/", memento_reply, prefix=True)
        ready.put(server.base)
        while not stop.wait(1.0):
            server.requests.clear()  # the server keeps every request; a long run need not


def rss_mb() -> float:
    """This process's peak resident set so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(pages: int, folder: Path, base: str) -> str:
    """Backfill the whole archive and return the summary line."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry: no internet here
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # one summary line, not a line per task
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415 - after the fork
    from support.flows import write_config  # noqa: PLC0415
    from support.measure import TreeMeter  # noqa: PLC0415

    from flows.backfill import backfill  # noqa: PLC0415

    config = write_config(folder, f"sqlite:///{folder / 'cw.db'}", [])
    archive = frozenset(p.pid for p in psutil.Process().children())  # the archive server: not the flow's
    with prefect_test_harness(server_startup_timeout=60):
        base_rss = rss_mb()
        with TreeMeter(exclude=archive) as meter:
            summary = backfill(cdx_url="news.example.com/", cdx_match="prefix", config_path=str(config),
                               wayback_base=base)
        logging.disable(logging.CRITICAL)  # the harness's shutdown logs cancelled tasks: noise here
    seconds = meter.wall_s
    return (f"bench backfill: pages={pages} ingested={summary.pages} errors={len(summary.errors)} "
            f"events={summary.events} seconds={seconds:.1f} pages_per_s={summary.pages / seconds:.1f} "
            f"peak_rss_mb_total={meter.peak_rss_mb:.0f} processes={meter.peak_processes} "
            f"cpu_s={meter.cpu_s:.1f} cpu_by_process={meter.by_process} "
            f"peak_rss_mb_flow={rss_mb():.0f} base_rss_mb_flow={base_rss:.0f}")


def run_command(pages: int, folder: Path, base: str) -> str:
    """``claimwatch backfill`` in its own process, with no Prefect server configured; the summary line."""
    from support.flows import write_config  # noqa: PLC0415
    from support.measure import TreeMeter  # noqa: PLC0415

    folder.mkdir()
    config = write_config(folder, f"sqlite:///{folder / 'cw.db'}", [])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(folder / "prefect"), CLAIMWATCH_CONFIG=str(config),
               CLAIMWATCH_SERVER_IDLE="0", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    command = [str(Path(sys.executable).parent / "claimwatch"), "backfill", "--cdx", "news.example.com/",
               "--match", "prefix", "--wayback", base]
    archive = frozenset(p.pid for p in psutil.Process().children())
    with TreeMeter(exclude=archive, include_root=False) as meter:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    ingested = re.search(r"(\d+) pages ingested", done.stdout)
    if done.returncode != 0 or ingested is None:
        raise SystemExit(f"bench backfill: claimwatch backfill failed:\n{done.stdout}{done.stderr[-3000:]}")
    count = int(ingested.group(1))
    return (f"bench backfill (command): pages={pages} ingested={count} seconds={meter.wall_s:.1f} "
            f"pages_per_s={count / meter.wall_s:.1f} peak_rss_mb_total={meter.peak_rss_mb:.0f} "
            f"processes={meter.peak_processes}")


def main() -> None:
    """Start the archive, run the backfill (in this process, then as a command), print the lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES)
    parser.add_argument("--mode", choices=("flow", "command", "both"), default="both")
    args = parser.parse_args()
    with served(serve, (args.pages,), "cw-bench-backfill-") as (base, folder):
        if args.mode in ("command", "both"):  # first: the flow line imports Prefect into this process
            print(run_command(args.pages, folder / "command", base), flush=True)
        if args.mode in ("flow", "both"):
            print(run(args.pages, folder, base), flush=True)


if __name__ == "__main__":
    main()
