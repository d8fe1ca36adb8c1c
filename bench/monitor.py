"""Throughput of the monitor flow against bare ``trafilatura.extract`` over the same pages, like for like.

    .venv/bin/python bench/monitor.py [--variants N] [--feeds N] [--rounds N]
    BENCH_VARIANTS=2 BENCH_ROUNDS=1 .venv/bin/python bench/monitor.py     # a quick run (130 pages)

The pages of ../shared/corpora/html are served over loopback under N varied URLs each, every copy
with a sentence of its own (distinct documents), listed by several RSS feeds; the site runs in a child
process of this one, outside every measured tree. Each round runs, each in a fresh process: bare
trafilatura over the pages (one process, pages in memory, the extraction loop timed), the monitor flow
with its default extraction workers, and the flow with one worker. A flow run polls the feeds, fetches,
extracts, diffs and stores every page (a fresh SQLite file) under ``prefect_test_harness``; what is
measured is the ``monitor()`` call: its wall time, and the CPU seconds and summed resident memory of the
flow process with all its descendants (extraction workers, the harness's Prefect server), see
tests/support/measure.py. Prints a line per run, then (figures are medians over the rounds):
    bench monitor: pages=.. cpu_ratio=.. wall_ratio_1worker=.. wall_ratio=.. peak_rss_mb_total=..
cpu_ratio = flow CPU (all processes) / bare CPU; wall ratios = flow wall / bare wall.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the local server and the meters live in tests/support

from support.http_server import LocalServer  # noqa: E402
from support.serving import served, timed  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "html"
DEFAULT_VARIANTS = int(os.environ.get("BENCH_VARIANTS", 8))  # 65 corpus pages x 8 = 520 pages (issue 6)
DEFAULT_FEEDS = 10
DEFAULT_ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))  # issue 15: at least 3 of each, alternated
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


def bare(variants: int) -> dict[str, Any]:
    """Bare trafilatura.extract over every page, in this process: its wall and CPU seconds."""
    import trafilatura  # noqa: PLC0415

    html = [h for _, h in pages(variants)]
    wall, cpu = time.perf_counter(), time.process_time()
    for page in html:
        trafilatura.extract(page)
    return {"pages": len(html), "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def flow_run(feeds: int, workers: int, base: str, folder: Path) -> dict[str, Any]:
    """The monitor flow over every feed, in this process with ``workers`` extraction processes."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry: no internet here
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # one summary line, not a line per task
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415
    from support.flows import feed_source, write_config  # noqa: PLC0415
    from support.measure import TreeMeter  # noqa: PLC0415

    from flows import monitor as flow_module  # noqa: PLC0415
    from flows import tasks  # noqa: PLC0415

    tasks.EXTRACT_PROCESSES = workers
    spent: dict[str, list[float]] = {"fetch_all": [], "ingest": []}
    for name, times in spent.items():  # the flow's steps, measured where run_monitor calls them
        setattr(flow_module, name, timed(getattr(flow_module, name), times))
    sources = [feed_source(f"bench-{f}", f"{base}/feeds/{f}.xml") for f in range(feeds)]
    config = write_config(folder, f"sqlite:///{folder / 'cw.db'}", sources)
    with prefect_test_harness(server_startup_timeout=60):
        with TreeMeter() as meter:
            summary = flow_module.monitor(config_path=str(config), force=True)
        logging.disable(logging.CRITICAL)  # the harness's shutdown logs cancelled tasks: noise here
    return {"workers": workers, "articles": summary.articles, "errors": len(summary.page_errors),
            "wall_s": meter.wall_s, "cpu_s": meter.cpu_s, "peak_rss_mb": meter.peak_rss_mb,
            "processes": meter.peak_processes, "fetch_extract_s": sum(spent["fetch_all"]),
            "ingest_s": sum(spent["ingest"]), "cpu_by_process": meter.by_process}


def in_child(args: list[str]) -> dict[str, Any]:
    """Run this script with ``args`` in a fresh process; the figures it printed."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench monitor: child {args[:3]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(kind: str, run: dict[str, Any]) -> str:
    """One run's figures."""
    shown = (f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in run.items())
    return f"  {kind}: " + " ".join(shown)


def rounds(args: argparse.Namespace, base: str, folder: Path) -> list[dict[str, dict[str, Any]]]:
    """Bare, flow and one-worker flow runs, alternated, ``args.rounds`` times."""
    done = []
    for n in range(args.rounds):
        figures = {"bare": in_child(["--child", "bare", "--variants", str(args.variants)])}
        for kind, workers in (("flow", args.workers), ("flow_1worker", 1)):
            run_folder = folder / f"{kind}-{n}"
            run_folder.mkdir()
            figures[kind] = in_child(["--child", "flow", "--feeds", str(args.feeds), "--base", base,
                                      "--workers", str(workers), "--folder", str(run_folder)])
        for kind, run in figures.items():
            print(line(f"round {n + 1} {kind}", run), flush=True)
        done.append(figures)
    return done


def summary(args: argparse.Namespace, done: list[dict[str, dict[str, Any]]]) -> str:
    """The summary line: medians over the rounds of each ratio (a round's runs over its own bare run)."""
    def median(kind: str, key: str, over: str | None = None) -> float:
        return statistics.median(r[kind][key] / (r[over][key] if over else 1) for r in done)

    pages = done[0]["bare"]["pages"]
    ingested = min(r[k]["articles"] for r in done for k in ("flow", "flow_1worker"))
    return (f"bench monitor: pages={pages} cpu_ratio={median('flow', 'cpu_s', 'bare'):.2f} "
            f"wall_ratio_1worker={median('flow_1worker', 'wall_s', 'bare'):.2f} "
            f"wall_ratio={median('flow', 'wall_s', 'bare'):.2f} "
            f"peak_rss_mb_total={max(r['flow']['peak_rss_mb'] for r in done):.0f} "
            f"cpu_ratio_1worker={median('flow_1worker', 'cpu_s', 'bare'):.2f} "
            f"bare_s={median('bare', 'wall_s'):.2f} flow_s={median('flow', 'wall_s'):.2f} "
            f"workers={args.workers} rounds={len(done)} ingested_min={ingested}")


def main() -> None:
    """Start the site, alternate the runs, print a line per run and the summary line, stop the site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=DEFAULT_VARIANTS)
    parser.add_argument("--feeds", type=int, default=DEFAULT_FEEDS)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", choices=("bare", "flow"), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "bare":
        print(json.dumps(bare(args.variants)))
    elif args.child == "flow":
        print(json.dumps(flow_run(args.feeds, args.workers, args.base, args.folder)))
    elif not corpus():
        print(f"bench monitor: skipped, no HTML pages in {CORPUS}")
    else:
        with served(serve, (args.variants, args.feeds), "cw-bench-monitor-") as (base, folder):
            print(summary(args, rounds(args, base, folder)), flush=True)


if __name__ == "__main__":
    main()
