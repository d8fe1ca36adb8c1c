"""The extraction worker pool: light workers, started only when pages come, a dead worker one error line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.faults import figures_without_a_stop
from support.flows import Article, feed_source, harness_url, rss, write_config
from support.http_server import LocalServer

from app import extraction
from app.extraction import PageJob, extraction_pool, pool_started, shutdown_pool, start_workers
from core.config import HttpConfig
from flows import tasks
from flows.monitor import monitor
from flows.tasks import fetch_pages

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[1]
STORY = Article(
    "/news/qwen.html",
    "Qwen passes 700 million downloads",
    "2026-01-10",
    "Qwen has passed 700 million downloads, Alibaba Cloud said on Saturday.",
)
HTTP = HttpConfig(allow_private=True, allow_networks=("127.0.0.1/32",), politeness_delay=0, retries=0)
ORPHAN_EXIT_WITHIN = 10.0  # seconds; workers check for their parent every ORPHAN_CHECK_SECONDS
DEADLINE = 1.0  # seconds per page in the deadline tests: a short story takes well under that


LONG = Article("/news/figures.html", "Alibaba Cloud revenue by quarter", "2026-01-10",
               figures_without_a_stop(60_000))


@pytest.fixture
def no_pool() -> Iterator[None]:
    """No extraction workers before the test, none left after it."""
    shutdown_pool()
    yield
    shutdown_pool()


def _worker_pids() -> list[int]:
    """The pids of this process's extraction workers."""
    pool = extraction._pool
    assert pool is not None
    return [p.pid for p in pool._processes.values()]  # no public API lists a pool's processes


def test_the_worker_module_loads_no_prefect() -> None:
    """A spawned worker imports this to run extract_body: no Prefect (it would cost seconds per worker)."""
    code = (
        "import sys, app.extraction; print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_claimwatch_script_as_a_workers_main_module_loads_no_prefect() -> None:
    """A spawned worker runs its parent's main script as ``__mp_main__``: the script must stay light."""
    script = Path(sys.executable).parent / "claimwatch"
    if not script.exists():
        pytest.skip(f"no console script at {script}: the project is not installed in this environment")
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'typer', 'matplotlib')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(script)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_an_idle_poll_starts_no_workers(
    tmp_path: Path, no_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness_url()
    monkeypatch.setattr(tasks, "IN_THREAD_PAGES", 1)  # one page is enough to want workers here
    with LocalServer() as server:
        server.add(STORY.path, STORY.html())
        server.add("/feed.xml", rss(server.base, [STORY]), content_type="application/rss+xml", etag='"v1"')
        config = write_config(
            tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [feed_source("news", server.url("/feed.xml"))]
        )
        first = monitor(config_path=str(config), force=True)
        assert first.articles == 1 and pool_started()  # a page to read started the workers
        shutdown_pool()
        second = monitor(config_path=str(config), force=True)
    assert second.not_modified == 1 and second.pages_fetched == 0
    assert not pool_started()


def test_a_run_of_few_pages_reads_them_in_its_own_process(tmp_path: Path, no_pool: None) -> None:
    harness_url()
    with LocalServer() as server:
        server.add(STORY.path, STORY.html())
        server.add("/feed.xml", rss(server.base, [STORY]), content_type="application/rss+xml")
        config = write_config(
            tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [feed_source("news", server.url("/feed.xml"))]
        )
        summary = monitor(config_path=str(config), force=True)
    assert summary.articles == 1 and summary.claims >= 1 and not summary.page_errors
    assert not pool_started()  # fewer pages than tasks.IN_THREAD_PAGES: no workers to start


def test_a_page_past_its_deadline_in_thread_is_one_error_and_the_next_page_is_read(no_pool: None) -> None:
    with LocalServer() as server:
        for article in (LONG, STORY):
            server.add(article.path, article.html())
        jobs = [PageJob(server.url(a.path), server.url(a.path)) for a in (LONG, STORY)]
        started = time.monotonic()
        result = fetch_pages(jobs, HTTP, deadline=DEADLINE, processes=0)  # the 60 KB page takes seconds
        took = time.monotonic() - started
    assert result.errors == [f"{jobs[0].url}: extraction took longer than {DEADLINE:g} s (page deadline)"]
    assert [x.job for x in result.extracted] == [jobs[1]]
    assert took < extraction.KILL_GRACE and not pool_started()  # not waited for; no worker involved


def test_a_dead_worker_costs_one_page_an_error_line_and_the_next_page_gets_new_workers(no_pool: None) -> None:
    with LocalServer() as server:
        server.add(STORY.path, STORY.html())
        server.add("/again.html", STORY.html())
        jobs = [PageJob(server.url(p), server.url(p)) for p in (STORY.path, "/again.html")]
        start_workers(1)
        dead = _worker_pids()
        for pid in dead:
            os.kill(pid, signal.SIGKILL)
        result = fetch_pages(jobs, HTTP)
    assert result.errors == [f"{jobs[0].url}: extraction worker died"]
    assert [x.job for x in result.extracted] == [jobs[1]]
    assert [c.value for c in result.extracted[0].claims if c.metric == "qwen.downloads"]
    assert pool_started() and not set(_worker_pids()) & set(dead)


def test_workers_exit_when_their_flow_process_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from app.extraction import extraction_pool
        pool = extraction_pool(2)
        for _ in range(2):
            pool.submit(time.sleep, 0.2).result()
        print(" ".join(str(p.pid) for p in pool._processes.values()), flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    parent.send_signal(signal.SIGKILL)  # skips atexit: nothing shuts the pool down
    parent.wait(timeout=30)
    deadline = time.monotonic() + ORPHAN_EXIT_WITHIN
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert workers and not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _ready_workers(count: int) -> list[int]:
    """Start ``count`` extraction workers and wait until each has run a task; their pids."""
    start_workers(count)
    pool = extraction_pool(count)
    for future in [pool.submit(time.sleep, 0.5) for _ in range(count)]:
        future.result()
    return _worker_pids()


def test_a_60_kb_sentence_of_figures_is_read_well_within_the_page_deadline(no_pool: None) -> None:
    with LocalServer() as server:
        server.add(LONG.path, LONG.html())
        job = PageJob(server.url(LONG.path), server.url(LONG.path))
        result = fetch_pages([job], HTTP, deadline=60.0)  # was over 400 s: clause owners per number and phrase
    assert not result.errors
    claims = result.extracted[0].claims
    assert len(claims) > 3000 and {c.period.label for c in claims if c.period} >= {"2024-Q3", "2020-Q1"}
    assert any(c.metric == "alibaba_cloud.revenue_growth_yoy" for c in claims)


def test_a_page_past_its_deadline_is_one_error_and_the_worker_reads_the_next(no_pool: None) -> None:
    with LocalServer() as server:
        for article in (LONG, STORY):
            server.add(article.path, article.html())
        jobs = [PageJob(server.url(a.path), server.url(a.path)) for a in (LONG, STORY)]
        workers = _ready_workers(1)
        started = time.monotonic()
        result = fetch_pages(jobs, HTTP, deadline=DEADLINE)  # the 60 KB page takes a few seconds
        took = time.monotonic() - started
    assert result.errors == [f"{jobs[0].url}: extraction took longer than {DEADLINE:g} s (page deadline)"]
    assert [x.job for x in result.extracted] == [jobs[1]]
    assert _worker_pids() == workers and took < extraction.KILL_GRACE  # the alarm stopped it; no kill


def test_a_worker_stuck_past_its_deadline_is_replaced(no_pool: None) -> None:
    with LocalServer() as server:
        server.add(STORY.path, STORY.html())
        server.add("/again.html", STORY.html())
        jobs = [PageJob(server.url(p), server.url(p)) for p in (STORY.path, "/again.html")]
        stuck = _ready_workers(1)
        os.kill(stuck[0], signal.SIGSTOP)  # a worker that no alarm reaches (as if deep in C code)
        result = fetch_pages(jobs, HTTP, deadline=DEADLINE)
    assert result.errors == [f"{jobs[0].url}: extraction took longer than {DEADLINE:g} s (page deadline)"]
    assert [x.job for x in result.extracted] == [jobs[1]]
    assert not _alive(stuck[0]) and not set(_worker_pids()) & set(stuck)
