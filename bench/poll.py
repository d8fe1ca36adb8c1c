"""What a real poll costs: a feed with 10 new pages, then the same feed with nothing new.

    .venv/bin/python bench/poll.py [--pages N] [--rounds N]

A feed of N corpus pages (../shared/corpora/html) is served over loopback from a child process.
flow_s: the ``monitor()`` call's wall time in a process that has Prefect loaded, with a Prefect server
running (the test harness's), on a fresh SQLite file (N new pages), then again (0 new: the feed answers
304); the median over the rounds, the first round's figure apart (``first_flow_s``: the process's
first flow run pays for its client and catalog). run_s: ``claimwatch run --all`` as a command, its whole
wall time from start to exit, with no Prefect server configured: on the temporary server an earlier
command left running (``run_s``), on one this command starts (``run_s_cold``: its Prefect database already
made, as after any first run), and, for ``run_s_server``, with PREFECT_API_URL naming a running server.
Prints:
    bench poll: new_pages=10 flow_s=.. run_s=.. run_s_cold=.. run_s_server=.. first_flow_s=..
    bench poll: new_pages=0 flow_s=.. run_s=.. run_s_server=..
Targets (issue 15): with a server, 0 new ≤ 1.0 s and 10 new ≤ 1.5 s of flow; without one, run ≤ 4 s.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the local server lives in tests/support

from support.http_server import LocalServer  # noqa: E402
from support.serving import served  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "html"
DEFAULT_PAGES = 10  # a real 30-minute poll sees 0-20 new articles
DEFAULT_ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))


def feed(base: str, paths: list[str]) -> str:
    """An RSS feed whose entries name what we watch (so each page is fetched and read)."""
    items = "".join(
        f"<item><title>Alibaba Cloud and Qwen: story {escape(p)}</title><link>{base}{escape(p)}</link>"
        f"<description>Alibaba Cloud, Qwen and Tongyi news and figures, story {escape(p)}.</description>"
        "</item>"
        for p in paths
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>poll</title>{items}</channel></rss>'


def serve(pages: int, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """A feed of ``pages`` corpus pages (child process): its base URL on ``ready``, served until ``stop``."""
    with LocalServer() as server:
        paths = []
        for page in sorted(CORPUS.glob("*.html"))[:pages]:
            server.add(f"/news/{page.name}", page.read_bytes())
            paths.append(f"/news/{page.name}")
        server.add("/feed.xml", feed(server.base, paths), content_type="application/rss+xml", etag='"v1"')
        ready.put(server.base)
        stop.wait()


def config_file(folder: Path, base: str) -> Path:
    """A config with the one feed and a fresh SQLite file in ``folder``."""
    from support.flows import feed_source, write_config  # noqa: PLC0415

    folder.mkdir(parents=True)
    return write_config(folder, f"sqlite:///{folder / 'cw.db'}", [feed_source("poll", f"{base}/feed.xml")])


def flow_seconds(config: Path) -> tuple[float, float, int]:
    """Two monitor runs on ``config``: wall seconds of the first (new pages), of the second (none), pages."""
    from flows.monitor import monitor  # noqa: PLC0415
    from flows.runners import one_shot  # noqa: PLC0415

    times, articles = [], 0
    for _ in range(2):
        started = time.perf_counter()
        with one_shot():
            summary = monitor(config_path=str(config), force=True)
        times.append(time.perf_counter() - started)
        articles = articles or summary.articles
    return times[0], times[1], articles


def run_seconds(config: Path, api_url: str | None, home: Path, idle: str = "600") -> float:
    """Wall seconds of ``claimwatch run --all`` as a command (its own process), start to exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), CLAIMWATCH_CONFIG=str(config), CLAIMWATCH_SERVER_IDLE=idle)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "claimwatch"), "run", "--all"], env=env,
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench poll: claimwatch run failed:\n{done.stdout}{done.stderr[-3000:]}")
    return took


def measure(args: argparse.Namespace, base: str, folder: Path) -> dict[str, list[float]]:
    """Every figure, ``args.rounds`` times."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry: no internet here
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.settings import PREFECT_API_URL  # noqa: PLC0415
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415

    keys = ("flow", "flow0", "run", "run0", "cold", "srv", "srv0")
    figures: dict[str, list[float]] = {k: [] for k in keys}
    template = migrated_home(folder / "template", base)
    with prefect_test_harness(server_startup_timeout=60):
        url = PREFECT_API_URL.value()
        for n in range(args.rounds + 1):  # round 0: the process's first flow runs, apart
            new, none, articles = flow_seconds(config_file(folder / f"flow-{n}", base))
            if articles != args.pages:
                raise SystemExit(f"bench poll: {articles} articles stored, not {args.pages}")
            figures["flow"].append(new)
            figures["flow0"].append(none)
            home = folder / f"home-{n}"
            shutil.copytree(template, home)
            figures["cold"].append(run_seconds(config_file(folder / f"cold-{n}", base), None, home))
            for key, api in (("run", None), ("srv", url)):
                config = config_file(folder / f"{key}-{n}", base)
                figures[key].append(run_seconds(config, api, home))
                figures[key + "0"].append(run_seconds(config, api, home))
            shutil.rmtree(home)  # its temporary server leaves with it
        logging.disable(logging.CRITICAL)  # the harness's shutdown logs cancelled tasks: noise here
    return figures


def migrated_home(home: Path, base: str) -> Path:
    """A Prefect home whose database a first run made (a first run costs about 8 s more, once)."""
    run_seconds(config_file(home.parent / "first", base), None, home, idle="0")
    deadline = time.monotonic() + 60
    while (home / "claimwatch-temporary-server.json").exists():  # its server leaves once the run is over
        if time.monotonic() > deadline:
            raise SystemExit(f"bench poll: the temporary server in {home} did not leave")
        time.sleep(0.1)
    return home


def main() -> None:
    """Serve the feed, measure, print two lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    args = parser.parse_args()
    with served(serve, (args.pages,), "cw-bench-poll-") as (base, _):
        with tempfile.TemporaryDirectory(prefix="cw-bench-poll-") as folder:
            f = measure(args, base, Path(folder))

    def med(key: str) -> float:
        return statistics.median(f[key][1:] or f[key])  # round 0 apart: the first flow run of the process

    print(f"bench poll: new_pages={args.pages} flow_s={med('flow'):.2f} run_s={med('run'):.2f} "
          f"run_s_cold={med('cold'):.2f} run_s_server={med('srv'):.2f} first_flow_s={f['flow'][0]:.2f}")
    print(f"bench poll: new_pages=0 flow_s={med('flow0'):.2f} run_s={med('run0'):.2f} "
          f"run_s_server={med('srv0'):.2f} first_flow_s={f['flow0'][0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
