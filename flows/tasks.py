"""The Prefect tasks the flows map: poll one source, fetch and extract a batch of pages.

Tasks take only serialisable inputs (config models, SourceSpecs, URLs, ArchiveItems) and build
their own HttpClient, cached per process, so they run the same on threads and on Dask workers.
A failure of one source or one page is returned as data (``error``), never raised: one bad page
must not cost its 19 batch-mates, and the flow records it.
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from prefect import task

from core.config import HttpConfig
from core.errors import ClaimwatchError, ExtractionError, InputError
from core.periods import LooseDate
from core.types import Claim, Document, SourceState
from extractors.catalog import load_catalog
from extractors.claims import extract_claims
from extractors.text import document_from_html
from flows.politeness import GlobalHostLimiter
from sources.archive import ArchiveItem, fetch_memento
from sources.feeds import FeedEntry, fetch_feed
from sources.http import HttpClient
from sources.links import canonical_url
from sources.pages import fetch_page, listing_links
from sources.registry import SourceSpec
from sources.relevance import is_relevant

PAGE_BATCH = 20  # pages per task: Prefect's ~20 ms per task run is noise against 20 extractions
TASK_RETRIES = 2  # a batch is retried when its worker dies; page errors are data, not retries
TASK_RETRY_DELAY = 5  # seconds
# Extraction is CPU-bound Python: more threads extracting at once than there are cores only fight over the
# GIL (measured: slower, and more memory), while fetching wants many threads. So fetch freely, extract
# through this many slots per process.
EXTRACT_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 1)
# All CPU work in the flow process shares one GIL (extraction, httpx, Prefect), so extraction goes to this many
# worker processes, one per core; 0 extracts in the task's own thread. Dask workers are processes already and
# always extract in-thread.
EXTRACT_PROCESSES = os.cpu_count() or 1
# Never plain fork from a threaded Prefect process. Spawn, not forkserver: spawned workers are children of the
# flow process, so they see it die (a fork server outlived a SIGKILLed CLI and kept its stdout open).
POOL_START_METHOD = "spawn"
# A worker whose flow process was killed (SIGKILL skips atexit) would wait for work forever, holding the
# killed process's stdout/stderr open; it checks this often whether its parent is gone, and exits.
ORPHAN_CHECK_SECONDS = 0.5

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class PollResult:
    """What polling one source gave: new entries, or a 304, or an error."""

    source: str
    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None


@dataclass(frozen=True)
class PageJob:
    """One page to fetch: where, what the feed said about it, and whether the page must prove relevance."""

    url: str
    canonical: str
    source: str | None = None  # the polled source that listed it
    published: LooseDate | None = None  # the feed entry's date, used when the page states none
    check_relevance: bool = False  # the entry was too thin to judge
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extracted:
    """A page read into a Document with its claims, and the job it came from."""

    job: PageJob
    document: Document
    claims: list[Claim]
    order: datetime | None = None  # capture time for archived pages; None for live ones
    relevant: bool = True  # False: a thin entry whose page is not about what we watch (claims left empty)


@dataclass
class BatchResult:
    """A batch's documents, the pages skipped as irrelevant, and one error line per failed page."""

    extracted: list[Extracted] = field(default_factory=list)
    irrelevant: int = 0
    errors: list[str] = field(default_factory=list)


@lru_cache(maxsize=4)
def http_client(config: HttpConfig, shared_hosts: bool = False) -> HttpClient:
    """One client per process and config; ``shared_hosts`` keeps per-host limits on the Prefect server."""
    return HttpClient(config, limiter=GlobalHostLimiter(config) if shared_hosts else None)


def poll(spec: SourceSpec, state: SourceState, http: HttpConfig, shared_hosts: bool = False) -> PollResult:
    """Poll one source by its kind; network trouble comes back as ``error``."""
    try:
        return POLLERS[spec.kind](http_client(http, shared_hosts), spec, state)
    except ClaimwatchError as exc:
        return PollResult(spec.name, error=str(exc))


def _poll_feed(client: HttpClient, spec: SourceSpec, state: SourceState) -> PollResult:
    """A conditional GET of a feed."""
    feed = fetch_feed(client, spec.url, state)
    return PollResult(
        spec.name, feed.entries, feed.warnings, feed.etag, feed.last_modified, feed.not_modified
    )


def _poll_page(client: HttpClient, spec: SourceSpec, state: SourceState) -> PollResult:
    """A listing page's article links, as entries with no text (so each page proves its relevance)."""
    page = fetch_page(client, spec.url, etag=state.etag, last_modified=state.last_modified)
    etag, modified = (
        page.headers.get("etag", state.etag),
        page.headers.get("last-modified", state.last_modified),
    )
    if page.status == 304:
        return PollResult(spec.name, etag=etag, last_modified=modified, not_modified=True)
    entries = [FeedEntry(link, link, link, "", "") for link in listing_links(page) if link != spec.url]
    return PollResult(spec.name, entries, etag=etag, last_modified=modified)


POLLERS = {"feed": _poll_feed, "page": _poll_page}  # kinds polled on a schedule (registry mode "poll")

poll_source = task(poll, name="poll-source", retries=0, log_prints=False)


def read_page(client: HttpClient, job: PageJob, processes: int = 0) -> Extracted:
    """Fetch one live page (in this thread) and extract it (on ``processes`` workers, 0: here)."""
    page = fetch_page(client, job.url)
    return extract(page.body, job, page.fetched_at, processes=processes)


def extract_body(body: bytes, job: PageJob, fetched_at: datetime | None) -> Extracted:
    """Read fetched bytes into a Document and claims; a thin entry's page must itself mention a watched term."""
    document = _document(body, job, fetched_at)
    if job.check_relevance and not is_relevant(f"{document.title or ''}\n{document.text}", job.terms):
        return Extracted(job, document, [], relevant=False)
    return Extracted(job, document, extract_claims(document, load_catalog()))


def _document(body: bytes, job: PageJob, fetched_at: datetime | None) -> Document:
    """The page as a Document named by its canonical URL, dated by the page, else by the feed."""
    document = document_from_html(body, job.url, fetched_at=fetched_at)
    return dataclasses.replace(document, source=job.canonical, published=document.published or job.published)


def extract(body: bytes, job: PageJob, fetched_at: datetime | None, processes: int = 0) -> Extracted:
    """``extract_body`` on the extraction pool when ``processes`` > 0, else in this thread."""
    if processes <= 0:
        with EXTRACT_SLOTS:
            return extract_body(body, job, fetched_at)
    pool = extraction_pool(processes)
    try:
        return pool.submit(extract_body, body, job, fetched_at).result()
    except BrokenProcessPool:
        _drop_pool(pool)
        raise ExtractionError(f"{job.url}: extraction worker died") from None


def extraction_pool(processes: int) -> ProcessPoolExecutor:
    """The per-process extraction pool, started on first use (an idle poll never starts it)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            context = multiprocessing.get_context(POOL_START_METHOD)
            _pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_warm_worker)
        return _pool


def _warm_worker() -> None:
    """Load the catalog once per worker, before its first page, and watch for being orphaned."""
    load_catalog()
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


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


@atexit.register
def shutdown_pool() -> None:
    """Stop the extraction workers (at interpreter exit, or when a caller is done)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def pool_size(shared_hosts: bool) -> int:
    """Extraction processes for a batch: none on Dask (its workers are the processes), else EXTRACT_PROCESSES."""
    return 0 if shared_hosts else EXTRACT_PROCESSES


def fetch_pages(jobs: Sequence[PageJob], http: HttpConfig, shared_hosts: bool = False) -> BatchResult:
    """Fetch and extract a batch of live pages; each failure is one error line."""
    client, result, processes = http_client(http, shared_hosts), BatchResult(), pool_size(shared_hosts)
    for job in jobs:
        try:
            found = read_page(client, job, processes)
        except ClaimwatchError as exc:
            result.errors.append(f"{job.url}: {exc}" if job.url not in str(exc) else str(exc))
            continue
        if found.relevant:
            result.extracted.append(found)
        else:
            result.irrelevant += 1
    return result


fetch_page_batch = task(
    fetch_pages, name="fetch-pages", retries=TASK_RETRIES, retry_delay_seconds=TASK_RETRY_DELAY
)


def read_archived(client: HttpClient, item: ArchiveItem, processes: int = 0) -> Extracted:
    """Fetch (or read from disk) one archived page and extract it, named by its original URL."""
    if item.path is not None:
        body, when, url = _read_saved(item.path), item.capture_time, item.original_url
    else:
        memento = fetch_memento(client, item)
        body, when, url = memento.page.body, memento.capture_time, memento.original_url
    found = extract(body, PageJob(url, canonical_url(url)), when, processes=processes)
    return dataclasses.replace(found, order=when or item.capture_time)


def _read_saved(path: Path) -> bytes:
    """A saved page's bytes; InputError naming the file when unreadable."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read saved page ({exc.strerror})") from None


def fetch_archived(items: Sequence[ArchiveItem], http: HttpConfig, shared_hosts: bool = False) -> BatchResult:
    """Fetch and extract a batch of archived pages; each failure is one error line."""
    client, result, processes = http_client(http, shared_hosts), BatchResult(), pool_size(shared_hosts)
    for item in items:
        try:
            result.extracted.append(read_archived(client, item, processes))
        except ClaimwatchError as exc:
            result.errors.append(f"{item.fetch_url or item.path or item.original_url}: {exc}")
    return result


fetch_archive_batch = task(
    fetch_archived, name="fetch-archived", retries=TASK_RETRIES, retry_delay_seconds=TASK_RETRY_DELAY
)


def batched(items: Sequence[PageJob], size: int = PAGE_BATCH) -> list[list[PageJob]]:
    """Consecutive slices of at most ``size`` items."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
