"""Fetched bytes into Documents and claims, here or on a pool of worker processes.

The Prefect-free half of the page tasks: a worker process imports this module (to run
``extract_body`` and rebuild its arguments) and nothing of Prefect, which would cost each worker
more start-up time than a hundred pages of extraction.
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType

from app.stopping import STOP
from core.errors import ExtractionError
from core.periods import LooseDate
from core.published import PublishedSource, check_not_future, first_seen
from core.types import Claim, Document
from extractors.catalog import load_catalog
from extractors.claims import extract_claims
from extractors.text import document_from_html
from sources.relevance import is_relevant

# Extraction is CPU-bound Python: more threads extracting at once than there are cores only fight over the
# GIL (measured: slower, and more memory), while fetching wants many threads. So fetch freely, extract
# through this many slots per process.
EXTRACT_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 1)
# All CPU work in the flow process shares one GIL (extraction, httpx, Prefect), so extraction goes to this
# many worker processes, one per core; 0 extracts in the task's own thread. Dask workers are processes
# already and always extract in-thread.
EXTRACT_PROCESSES = os.cpu_count() or 1
# Never plain fork from a threaded Prefect process. Spawn, not forkserver: spawned workers are children of the
# flow process, so they see it die (a fork server outlived a SIGKILLed CLI and kept its stdout open).
POOL_START_METHOD = "spawn"
# A worker whose flow process was killed (SIGKILL skips atexit) would wait for work forever, holding the
# killed process's stdout/stderr open; it checks this often whether its parent is gone, and exits.
ORPHAN_CHECK_SECONDS = 0.5
# How long a page may take to extract (core.config.Config.extract_deadline) is enforced twice: in the worker
# an alarm ends the page and the worker goes on; a worker stuck where the alarm cannot reach it (C code) is
# killed when this much longer has passed, and a fresh pool replaces its pool.
KILL_GRACE = 5.0  # seconds
STOP_CHECK = 0.5  # seconds: a thread waiting for a page wakes this often to see whether the run is stopping

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()  # pools killed for a page past its deadline


class _Overrun(BaseException):
    """Internal: the worker's alarm rang. A BaseException, so that no library's ``except Exception`` eats it."""


@dataclass(frozen=True)
class PageJob:
    """One page to fetch: where, what the feed said about it, and whether the page must prove relevance."""

    url: str
    canonical: str
    source: str | None = None  # the polled source that listed it
    published: LooseDate | None = None  # the feed entry's date, used when the page states none
    check_relevance: bool = False  # the entry was too thin to judge
    terms: tuple[str, ...] = ()
    # the config's user catalog: a worker process loads it itself (once, cached) to read as this run does
    catalog: Path | None = None


@dataclass(frozen=True)
class Extracted:
    """A page read into a Document with its claims, and the job it came from."""

    job: PageJob
    document: Document
    claims: list[Claim]
    order: datetime | None = None  # capture time for archived pages; None for live ones
    relevant: bool = True  # False: a thin entry whose page is not about what we watch (claims left empty)


def extract_body(body: bytes, job: PageJob, fetched_at: datetime | None) -> Extracted:
    """Read fetched bytes into a Document and claims; a thin entry's page must itself name a watched term."""
    document = _document(body, job, fetched_at)
    if job.check_relevance and not is_relevant(f"{document.title or ''}\n{document.text}", job.terms):
        return Extracted(job, document, [], relevant=False)
    return Extracted(job, document, extract_claims(document, load_catalog(user=job.catalog)))


def _document(body: bytes, job: PageJob, fetched_at: datetime | None) -> Document:
    """The page as a Document named by its canonical URL, dated by the page, else the feed, else first seen.

    InputError naming the page when that date is in the future: such a page is never stored (CHANGES.md).
    """
    document = document_from_html(body, job.url, fetched_at=fetched_at)
    if document.published is not None:
        dated = dataclasses.replace(document, published_source=PublishedSource.PAGE)
    elif job.published is not None:
        dated = dataclasses.replace(document, published=job.published, published_source=PublishedSource.FEED)
    else:
        dated = dataclasses.replace(document, published=first_seen(fetched_at),
                                    published_source=PublishedSource.FIRST_SEEN)
    check_not_future(dated.published, job.url)  # type: ignore[arg-type] - dated above
    return dataclasses.replace(dated, source=job.canonical)


def extract(body: bytes, job: PageJob, fetched_at: datetime | None, processes: int = 0,
            deadline: float | None = None) -> Extracted:
    """``extract_body`` on the extraction pool when ``processes`` > 0, within ``deadline`` seconds; else here."""
    with EXTRACT_SLOTS:  # on the pool too: a page's deadline counts from when a worker is free to take it
        if processes <= 0:
            return _in_thread(deadline, body, job, fetched_at)
        return _on_pool(processes, deadline, body, job, fetched_at)


def _in_thread(deadline: float | None, body: bytes, job: PageJob, fetched_at: datetime | None) -> Extracted:
    """``extract_body`` in this process within ``deadline`` seconds: past it the page is an error line.

    A thread cannot be stopped, so the page runs on a daemon thread of its own that is left to finish (or to
    end with the process: a command's run, or a deployment's run process); the run goes on without it.
    """
    if deadline is None:
        return extract_body(body, job, fetched_at)
    done: Future[Extracted] = Future()

    def work() -> None:
        try:
            done.set_result(extract_body(body, job, fetched_at))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            done.set_exception(exc)

    threading.Thread(target=work, name=f"extract {job.url}", daemon=True).start()
    try:
        return _result(done, deadline, job)
    except FutureTimeout:
        raise _overrun_error(job, deadline) from None


def _on_pool(processes: int, deadline: float | None, body: bytes, job: PageJob,
             fetched_at: datetime | None) -> Extracted:
    """Run one page on the pool; a pool killed for another page's deadline gets this page once more."""
    for _ in range(2):
        pool = extraction_pool(processes, job.catalog)
        try:
            future = pool.submit(extract_within, deadline, body, job, fetched_at)
            return _result(future, None if deadline is None else deadline + KILL_GRACE, job)
        except FutureTimeout:
            _kill_pool(pool)
            raise _overrun_error(job, deadline) from None
        except _Overrun:  # the alarm rang just as the page was done
            raise _overrun_error(job, deadline) from None
        except BrokenProcessPool:
            _drop_pool(pool)
            if pool not in _killed:
                break
    raise ExtractionError(f"{job.url}: extraction worker died")


def _result(future: Future[Extracted], limit: float | None, job: PageJob) -> Extracted:
    """The page's result within ``limit`` seconds (FutureTimeout after); an error at once when stopping."""
    ends = None if limit is None else time.monotonic() + limit
    while True:
        wait = STOP_CHECK if ends is None else min(STOP_CHECK, ends - time.monotonic())
        try:
            return future.result(timeout=max(wait, 0))
        except FutureTimeout:
            if STOP.is_set():
                raise ExtractionError(f"{job.url}: stopped, the run is ending") from None
            if ends is not None and time.monotonic() >= ends:
                raise


def extract_within(deadline: float | None, body: bytes, job: PageJob, fetched_at: datetime | None) -> Extracted:
    """``extract_body`` in a worker process, ended by an alarm after ``deadline`` seconds."""
    if deadline is None:
        return extract_body(body, job, fetched_at)
    previous = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, deadline)
    try:
        return extract_body(body, job, fetched_at)
    except _Overrun:
        raise _overrun_error(job, deadline) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _ring(signum: int, frame: FrameType | None) -> None:
    """The worker's alarm handler: stop the page being extracted."""
    raise _Overrun()


def _overrun_error(job: PageJob, deadline: float | None) -> ExtractionError:
    """The one error line of a page that took too long to extract."""
    return ExtractionError(f"{job.url}: extraction took longer than {deadline:g} s (page deadline)")


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's workers (one is stuck past its deadline) so that a fresh pool replaces it."""
    _killed.add(pool)
    for process in list(pool._processes.values()):  # no public API reaches a pool's processes before 3.14
        process.kill()
    _drop_pool(pool)


def extraction_pool(processes: int, catalog: Path | None = None) -> ProcessPoolExecutor:
    """The per-process extraction pool, made on first use (an idle poll never makes it); its workers load
    ``catalog`` (the user catalog) before their first page, and any other a job names when it comes."""
    global _pool
    with _pool_lock:
        if _pool is None:
            context = multiprocessing.get_context(POOL_START_METHOD)
            _pool = ProcessPoolExecutor(
                processes, mp_context=context, initializer=_warm_worker, initargs=(os.getpid(), catalog)
            )
        return _pool


def start_workers(processes: int, catalog: Path | None = None) -> None:
    """Start the pool's workers now, without waiting, so their start-up overlaps the first fetches."""
    if processes > 0 and _pool is None:
        pool = extraction_pool(processes, catalog)
        for _ in range(processes):
            pool.submit(_ready)  # a pool starts a worker per task submitted while none is idle


def _ready() -> None:
    """Nothing: a task whose only effect is that a worker has started."""


def _warm_worker(parent: int, catalog: Path | None = None) -> None:
    """Load the catalog once per worker, before its first page, and watch for being orphaned."""
    load_catalog(user=catalog)
    # The parent's pid comes from the parent: one that died while this worker started has no pid to read here.
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    """End this worker once its parent, the flow process, is gone."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(1)


def _drop_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a pool (a dead worker broke it) so the next page starts a fresh one."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def pool_started() -> bool:
    """Whether this process has started extraction workers."""
    return _pool is not None


@atexit.register
def shutdown_pool() -> None:
    """Stop the extraction workers (at interpreter exit, or when a caller is done); killed when stopping."""
    global _pool
    with _pool_lock:
        pool = _pool
    if pool is not None and STOP.is_set():
        _kill_pool(pool)  # a page in a worker may have most of its deadline left: the run must end now
    elif pool is not None:
        _drop_pool(pool)
        pool.shutdown(wait=True)
