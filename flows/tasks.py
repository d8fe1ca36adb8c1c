"""The Prefect tasks of the flows: poll the due sources, fetch and extract pages (live or archived).

Tasks take only serialisable inputs (config models, SourceSpecs, URLs, ArchiveItems) and build
their own HttpClient, cached per process, so they run the same on threads and on Dask workers.
A failure of one source or one page is returned as data (``error``), never raised: one bad page
must not cost its 19 batch-mates, and the flow records it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from prefect import task

from app.extraction import EXTRACT_PROCESSES, Extracted, PageJob, extract, start_workers
from app.stopping import STOP
from core.config import HttpConfig
from core.errors import InputError
from core.types import SourceState
from flows.failures import error_line, may_pass
from flows.politeness import GlobalHostLimiter
from sources.archive import ArchiveItem, fetch_memento
from sources.feeds import newest
from sources.http import HttpClient
from sources.kinds import PollResult, poll_kind
from sources.links import canonical_url
from sources.pages import fetch_page
from sources.registry import SourceSpec

PAGE_BATCH = 20  # pages per task: Prefect's ~20 ms per task run is noise against 20 extractions
# On the thread runner a run's polls, and its pages, are one task each, run on plain threads: a task run per
# source cost 0.35-0.72 s for 50 feeds against 0.05-0.15 s for the same polls in a loop (issue 15).
IO_THREADS = 8  # concurrent polls and page fetches; per-host limits keep each site at 2 anyway
# Fewer pages than this extract in the flow's own process: two spawned workers take ~1.5 s (and ~3 CPU s)
# to start, more than 40 pages take in-thread (25 ms each); the page deadline still holds (app.extraction).
IN_THREAD_PAGES = 40
TASK_RETRIES = 2  # a batch is retried when its worker dies; page errors are data, not retries
TASK_RETRY_DELAY = 5  # seconds
_clients_lock = threading.Lock()


@dataclass
class BatchResult:
    """A batch's documents, the pages skipped as irrelevant, and one error line per failed page."""

    extracted: list[Extracted] = field(default_factory=list)
    irrelevant: int = 0
    errors: list[str] = field(default_factory=list)
    by_source: dict[str, list[str]] = field(default_factory=dict)  # the errors of pages a polled source listed
    to_retry: set[str] = field(default_factory=set)  # sources that listed a page whose failure may pass


def http_client(config: HttpConfig, shared_hosts: bool = False) -> HttpClient:
    """One client per process and config; ``shared_hosts`` keeps per-host limits on the Prefect server."""
    with _clients_lock:  # the first tasks of a run ask at once: one client for them all, not one each
        return _client(config, shared_hosts)


@lru_cache(maxsize=4)
def _client(config: HttpConfig, shared_hosts: bool) -> HttpClient:
    """A new client (see http_client)."""
    return HttpClient(config, limiter=GlobalHostLimiter(config) if shared_hosts else None, stop=STOP)


def poll(spec: SourceSpec, state: SourceState, http: HttpConfig, shared_hosts: bool = False,
         max_items: int | None = None) -> PollResult:
    """Poll one source by its kind, keeping its ``max_items`` newest entries; any failure comes back as
    ``error`` (see flows.failures)."""
    try:
        result = poll_kind(spec.kind).poll(http_client(http, shared_hosts), spec, state)
    except Exception as exc:  # one source's failure, whatever it is, must not end the run for the others
        return PollResult(spec.name, error=error_line(spec.url, exc))
    return result if max_items is None else capped(result, spec, max_items)


def capped(result: PollResult, spec: SourceSpec, limit: int) -> PollResult:
    """The poll with its ``limit`` newest entries, and a warning naming how many were left."""
    if len(result.entries) <= limit:
        return result
    warning = f"{spec.url}: {len(result.entries)} items, the newest {limit} read (max_items_per_poll)"
    return dataclasses.replace(result, entries=newest(result.entries, limit), warnings=[*result.warnings, warning])


def poll_each(specs: Sequence[SourceSpec], states: Mapping[str, SourceState], http: HttpConfig,
              shared_hosts: bool = False, max_items: int | None = None) -> list[PollResult]:
    """Poll every source on plain threads, in the order given; each failure comes back as its ``error``."""
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="poll") as threads:
        return list(threads.map(lambda s: poll(s, states[s.name], http, shared_hosts, max_items), specs))


poll_sources = task(poll_each, name="poll-sources", retries=0, log_prints=False)


def read_page(client: HttpClient, job: PageJob, processes: int = 0, deadline: float | None = None) -> Extracted:
    """Fetch one live page (in this thread) and extract it (on ``processes`` workers, 0: here)."""
    page = fetch_page(client, job.url)
    return extract(page.body, job, page.fetched_at, processes=processes, deadline=deadline)


def pool_size(shared_hosts: bool, pages: int | None = None) -> int:
    """Extraction processes: none on Dask (its workers are the processes) or for a run of few ``pages``, else
    one per core."""
    return 0 if shared_hosts or (pages is not None and pages < IN_THREAD_PAGES) else EXTRACT_PROCESSES


def fetch_pages(jobs: Sequence[PageJob], http: HttpConfig, shared_hosts: bool = False,
                deadline: float | None = None, processes: int | None = None) -> BatchResult:
    """Fetch and extract a batch of live pages (each within ``deadline`` s) on ``processes`` workers (default:
    pool_size); each failure is one error line."""
    client, result = http_client(http, shared_hosts), BatchResult()
    processes = pool_size(shared_hosts) if processes is None else processes
    for job in jobs:
        try:
            found = read_page(client, job, processes, deadline)
        except Exception as exc:  # one page's failure must not cost its batch-mates (flows.failures)
            result.errors.append(error_line(job.url, exc))
            result.by_source.setdefault(job.source or "", []).append(result.errors[-1])
            if may_pass(exc):
                result.to_retry.add(job.source or "")
            continue
        if found.relevant:
            result.extracted.append(found)
        else:
            result.irrelevant += 1
    return result


fetch_page_batch = task(
    fetch_pages, name="fetch-pages", retries=TASK_RETRIES, retry_delay_seconds=TASK_RETRY_DELAY
)


def fetch_each(jobs: Sequence[PageJob], http: HttpConfig, deadline: float | None = None) -> BatchResult:
    """Fetch and extract every page of a run on plain threads, on workers only for many pages (see
    IN_THREAD_PAGES); results in the order of ``jobs``."""
    processes = pool_size(False, len(jobs))
    start_workers(processes, jobs[0].catalog if jobs else None)  # a run's jobs share the config's catalog
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="fetch") as threads:
        parts = list(threads.map(lambda job: fetch_pages([job], http, False, deadline, processes), jobs))
    return merged(parts)


def merged(parts: Sequence[BatchResult]) -> BatchResult:
    """One result of many, in their order."""
    result = BatchResult()
    for part in parts:
        result.extracted += part.extracted
        result.irrelevant += part.irrelevant
        result.errors += part.errors
        for source, errors in part.by_source.items():
            result.by_source.setdefault(source, []).extend(errors)
        result.to_retry |= part.to_retry
    return result


fetch_all_pages = task(fetch_each, name="fetch-pages", retries=0, log_prints=False)  # page errors are data


def read_archived(client: HttpClient, item: ArchiveItem, processes: int = 0,
                  deadline: float | None = None, catalog: Path | None = None) -> Extracted:
    """Fetch (or read from disk) one archived page and extract it (with the user ``catalog``), named by its
    original URL."""
    if item.path is not None:
        body, when, url = _read_saved(item.path), item.capture_time, item.original_url
    else:
        memento = fetch_memento(client, item)
        body, when, url = memento.page.body, memento.capture_time, memento.original_url
    job = PageJob(url, canonical_url(url), catalog=catalog)
    found = extract(body, job, when, processes=processes, deadline=deadline)
    return dataclasses.replace(found, order=when or item.capture_time)


def _read_saved(path: Path) -> bytes:
    """A saved page's bytes; InputError naming the file when unreadable."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read saved page ({exc.strerror})") from None


def fetch_archived(items: Sequence[ArchiveItem], http: HttpConfig, shared_hosts: bool = False,
                   deadline: float | None = None, catalog: Path | None = None,
                   processes: int | None = None) -> BatchResult:
    """Fetch and extract a batch of archived pages (each within ``deadline`` s, with the user ``catalog``) on
    ``processes`` workers (default: pool_size); each failure is one error line."""
    client, result = http_client(http, shared_hosts), BatchResult()
    processes = pool_size(shared_hosts) if processes is None else processes
    for item in items:
        try:
            result.extracted.append(read_archived(client, item, processes, deadline, catalog))
        except Exception as exc:  # one item's failure must not cost its batch-mates (flows.failures)
            result.errors.append(error_line(str(item.fetch_url or item.path or item.original_url), exc))
    return result


fetch_archive_batch = task(
    fetch_archived, name="fetch-archived", retries=TASK_RETRIES, retry_delay_seconds=TASK_RETRY_DELAY
)


def fetch_archived_each(items: Sequence[ArchiveItem], http: HttpConfig, deadline: float | None = None,
                        catalog: Path | None = None) -> BatchResult:
    """Fetch and extract archived pages (with the user ``catalog``) on plain threads (a window in one task), on
    workers unless few."""
    processes = pool_size(False, len(items))
    start_workers(processes, catalog)
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="archive") as threads:
        parts = list(threads.map(
            lambda i: fetch_archived([i], http, False, deadline, catalog, processes), items
        ))
    return merged(parts)


fetch_archive_window = task(fetch_archived_each, name="fetch-archived", retries=0, log_prints=False)


def batched(items: Sequence[PageJob], size: int = PAGE_BATCH) -> list[list[PageJob]]:
    """Consecutive slices of at most ``size`` items."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
