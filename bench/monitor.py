"""Throughput of the monitor flow against bare ``trafilatura.extract`` over the same pages, in one run.

    .venv/bin/python bench/monitor.py [--variants N] [--feeds N]

The pages of ../shared/corpora/html are served over loopback under N varied URLs each, every copy
with a sentence of its own (distinct documents), listed by several RSS feeds. The server runs in a
child process forked before Prefect is imported. The monitor flow polls the feeds, fetches,
extracts, diffs and stores every page (SQLite) under ``prefect_test_harness``. Prints one line:
    bench=monitor pages=.. feeds=.. ingested=.. errors=.. flow_s=.. pages_per_s=.. traf_s=..
    ratio=.. peak_rss_mb=..
ratio = the flow's wall time / bare trafilatura.extract over the same pages (target: at most 1.5).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import re
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the local server lives in tests/support

from serving import served, timed  # noqa: E402
from support.http_server import LocalServer  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "html"
DEFAULT_VARIANTS = 8  # 65 corpus pages x 8 = 520 pages, over the 500 issue 6 asks for
DEFAULT_FEEDS = 10
FIRST_PARAGRAPH_END = re.compile(r"</p>", re.IGNORECASE)


def variant(html: str, n: int) -> str:
    """The page with a sentence of its own after its first paragraph: a distinct document with a figure."""
    note = (f"</p><p>Editor's note {n}: Qwen has passed {300 + n} million downloads, Alibaba Cloud said, "
            f"in the copy filed by bureau {n}.</p>")
    varied, count = FIRST_PARAGRAPH_END.subn(note, html, count=1)
    return varied if count else html.replace("<body>", f"<body><p>{note[4:]}", 1)


def corpus() -> list[Path]:
    """The shared HTML pages."""
    return sorted(CORPUS.glob("*.html"))


def pages(variants: int) -> Iterator[tuple[str, str]]:
    """Every served page as (path, HTML), made on demand (the site is not held in this process)."""
    for p in corpus():
        html = p.read_text(encoding="utf-8", errors="replace")
        for v in range(variants):
            yield f"/news/{v}/{p.stem}.html", variant(html, v * len(corpus()) + len(p.stem) % 7)


def feed(base: str, paths: list[str]) -> str:
    """An RSS feed whose entries name what we watch (so each page is fetched and read)."""
    items = "".join(
        f"<item><title>Alibaba Cloud and Qwen: story {escape(p)}</title><link>{base}{escape(p)}</link>"
        f"<description>Alibaba Cloud, Qwen and Tongyi news, figures and quarterly results from the "
        f"cloud business, story {escape(p)}.</description></item>"
        for p in paths
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{items}</channel></rss>'


def serve(variants: int, feeds: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """The site and its feeds (child process): put the base URL on ``ready``, serve until ``stop``."""
    with LocalServer() as server:
        paths = []
        for path, html in pages(variants):
            server.add(path, html)
            paths.append(path)
        for f in range(feeds):
            rss = feed(server.base, paths[f::feeds])
            server.add(f"/feeds/{f}.xml", rss, content_type="application/rss+xml")
        ready.put(server.base)
        stop.wait()


def bare_seconds(variants: int) -> tuple[int, float]:
    """How many pages, and bare trafilatura.extract's time over them in seconds."""
    import trafilatura  # noqa: PLC0415

    count, spent = 0, 0.0
    for _, html in pages(variants):
        started = time.perf_counter()
        trafilatura.extract(html)
        spent += time.perf_counter() - started
        count += 1
    return count, spent


def run(variants: int, feeds: int, folder: Path, base: str) -> str:
    """Run the monitor flow once over every feed and return the summary line."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry: no internet here
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # one summary line, not a line per task
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415 - after the fork
    from support.flows import feed_source, write_config  # noqa: PLC0415

    from flows import monitor as flow_module  # noqa: PLC0415

    spent: dict[str, list[float]] = {"fetch_all": [], "ingest": []}
    for name, times in spent.items():  # the flow's steps, measured where run_monitor calls them
        setattr(flow_module, name, timed(getattr(flow_module, name), times))

    sources = [feed_source(f"bench-{f}", f"{base}/feeds/{f}.xml") for f in range(feeds)]
    config = write_config(folder, f"sqlite:///{folder / 'cw.db'}", sources)
    count, traf = bare_seconds(variants)
    with prefect_test_harness(server_startup_timeout=60):
        started = time.perf_counter()
        summary = flow_module.monitor(config_path=str(config), force=True)
        flow = time.perf_counter() - started
        logging.disable(logging.CRITICAL)  # the harness's shutdown logs cancelled tasks: noise here
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"bench=monitor pages={count} feeds={feeds} ingested={summary.articles} "
            f"errors={len(summary.page_errors)} claims={summary.claims} flow_s={flow:.2f} "
            f"pages_per_s={summary.articles / flow:.1f} traf_s={traf:.2f} ratio={flow / traf:.2f} "
            f"fetch_extract_s={sum(spent['fetch_all']):.2f} ingest_s={sum(spent['ingest']):.2f} "
            f"peak_rss_mb={peak:.0f}")


def main() -> None:
    """Start the site, run the flow, print the line, stop the site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=DEFAULT_VARIANTS)
    parser.add_argument("--feeds", type=int, default=DEFAULT_FEEDS)
    args = parser.parse_args()
    if not corpus():
        print(f"bench=monitor skipped: no HTML pages in {CORPUS}")
        return
    with served(serve, (args.variants, args.feeds), "cw-bench-monitor-") as (base, folder):
        print(run(args.variants, args.feeds, folder, base), flush=True)


if __name__ == "__main__":
    main()
