"""The ``backfill`` flow: replay archived pages (Wayback snapshots, a CDX search, a URL file, saved pages),
and the sources file's archive entries (``from_sources``, the daily ``backfill-sources`` deployment).

Items stream from generators; only their small descriptions (URL, capture time) are kept, sorted into
capture order, then fetched and extracted a window at a time (one task on plain threads; mapped batches on
Dask) and ingested window by window: memory holds one window of pages, whatever the number of items. What
is stored already is skipped, so an interrupted backfill resumes where it stopped. No alerts by default (old
news is ``historical``); ``alerts=True`` queues the events and delivers them once, as one digest per channel.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from htmldate import find_date
from prefect import flow, unmapped
from prefect.artifacts import create_markdown_artifact

from app.backfill_inputs import WAYBACK_BASE, Inputs, stream
from app.baseline import ensure_baseline
from app.delivery import deliver_pending
from app.extraction import Extracted
from app.pipeline import Pipeline
from app.runtime import Runtime, open_runtime
from app.stopping import STOP, graceful_stop, stopped_by
from app.summary import problems_markdown
from core.config import Config
from core.errors import ClaimwatchError
from flows.failures import error_line
from flows.runners import on_wanted_runner, rerun_on, shares_hosts, thread_runner
from flows.secrets import secret_resolver
from flows.tasks import PAGE_BATCH, BatchResult, fetch_archive_batch, fetch_archive_window
from sources.archive import ArchiveItem
from sources.links import canonical_url

WINDOW = 10 * PAGE_BATCH  # pages in memory at once: enough batches to keep every worker busy
STORED_CHECK = 500  # item URLs looked up in one query when skipping what is stored
EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class BackfillSummary:
    """What one backfill did."""

    seeded: int = 0  # seed documents stored first, the database being empty
    fatal: str | None = None  # why the input could not be read at all (an unreachable CDX search)
    items: int = 0
    skipped_stored: int = 0
    pages: int = 0
    claims: int = 0
    events: int = 0
    errors: list[str] = field(default_factory=list)
    alerts_sent: int = 0
    alerts_failed: int = 0
    stopped_by: int | None = None  # the signal (SIGTERM, SIGINT) that stopped the backfill before its end


@flow(name="backfill", task_runner=thread_runner(), log_prints=False)
def backfill(
    urls: list[str] | None = None,
    urls_file: str | None = None,
    folder: str | None = None,
    cdx_url: str | None = None,
    cdx_match: str | None = None,
    cdx_from: str | None = None,
    cdx_to: str | None = None,
    alerts: bool = False,
    config_path: str | None = None,
    wayback_base: str = WAYBACK_BASE,
    from_sources: bool = False,
) -> BackfillSummary:
    """Ingest archived pages in capture order (``from_sources``: also the sources file's archive entries);
    skip what is stored; one digest per channel with ``alerts``."""
    inputs = Inputs(tuple(urls or ()), urls_file, folder, cdx_url, cdx_match, cdx_from, cdx_to, wayback_base,
                    from_sources)
    runtime = open_runtime(config_path)
    try:
        if not on_wanted_runner(runtime.config):
            params = {**inputs.parameters(), "alerts": alerts, "config_path": config_path}
            return rerun_on(backfill, runtime.config, **params)
        with graceful_stop():
            summary = run_backfill(runtime, inputs, alerts=alerts)
    finally:
        runtime.close()
    create_markdown_artifact(
        summary_markdown(summary), key="backfill-summary", description="What this backfill did"
    )
    return summary


def run_backfill(runtime: Runtime, inputs: Inputs, *, alerts: bool = False) -> BackfillSummary:
    """The backfill's steps, inside a flow run."""
    summary = BackfillSummary()
    summary.seeded = ensure_baseline(runtime.pipeline)
    items = _dated(stream(inputs, runtime.config, summary.errors))  # a bad archive source: one error line
    try:
        todo = sorted(_unstored(runtime, items, summary), key=lambda i: i.sort_key)
    except ClaimwatchError as exc:  # the input itself (a CDX search) could not be read: nothing to replay
        summary.fatal = str(exc)
        return summary
    for window in _windows(todo, WINDOW):
        ingest_window(runtime, fetch_window(window, runtime.config, summary), alerts, summary)
        if STOP.is_set():  # what this window read is stored; a rerun resumes with the next
            break
    summary.stopped_by = stopped_by()
    if alerts and summary.stopped_by is None:
        report = deliver_pending(as_digests(runtime.pipeline), secret_resolver())
        summary.alerts_sent, summary.alerts_failed = report.sent, report.failed
        summary.errors += list(report.errors)
    return summary


def _dated(items: Iterable[ArchiveItem]) -> Iterator[ArchiveItem]:
    """Saved pages get their page's own date as capture time, so they sort among the archived ones."""
    for item in items:
        if item.capture_time is None and item.path is not None:
            item = replace(item, capture_time=_page_day(item.path))
        yield item


def _page_day(path: Path) -> datetime | None:
    """A saved page's own publication date (htmldate), or None when it states none or is unreadable."""
    try:
        found = find_date(path.read_bytes(), extensive_search=False)
    except OSError:
        return None  # unreadable: the fetch step reports it with its reason
    return datetime.fromisoformat(found).replace(tzinfo=UTC) if found else None


def _unstored(
    runtime: Runtime, items: Iterable[ArchiveItem], summary: BackfillSummary
) -> Iterator[ArchiveItem]:
    """Items whose page is not stored yet (looked up a chunk at a time)."""
    for chunk in _windows(items, STORED_CHECK):
        stored = set(runtime.store.article_info([canonical_url(i.original_url) for i in chunk]))
        summary.items += len(chunk)
        for item in chunk:
            if canonical_url(item.original_url) in stored:
                summary.skipped_stored += 1
            else:
                yield item


def _windows(items: Iterable[ArchiveItem], size: int) -> Iterator[list[ArchiveItem]]:
    """Consecutive lists of at most ``size`` items from any iterable."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def fetch_window(window: Sequence[ArchiveItem], config: Config, summary: BackfillSummary) -> list[Extracted]:
    """Fetch and extract one window of items: one task on plain threads here, mapped batches on Dask."""
    if shares_hosts(config):
        futures = fetch_archive_batch.map(
            list(_windows(window, PAGE_BATCH)), unmapped(config.http), unmapped(True),
            unmapped(config.extract_deadline), unmapped(config.catalog),
        )
        results: list[BatchResult] = list(futures.result())
    else:
        results = [fetch_archive_window(window, config.http, config.extract_deadline, config.catalog)]
    summary.errors += [e for r in results for e in r.errors]
    return [x for r in results for x in r.extracted]


def capture_order(extracted: Iterable[Extracted]) -> list[Extracted]:
    """By capture time, then by the page's own publication date, then by URL."""

    def key(x: Extracted) -> tuple[datetime, date, str]:
        published = x.document.published.day if x.document.published else date.min
        return (x.order or EARLIEST, published, x.job.canonical)

    return sorted(extracted, key=key)


def ingest_window(
    runtime: Runtime, extracted: Iterable[Extracted], alerts: bool, summary: BackfillSummary
) -> None:
    """Store one window's documents in capture order."""
    for item in capture_order(extracted):
        try:
            result = runtime.pipeline.ingest_claims(item.document, item.claims, alerts=alerts)
        except Exception as exc:  # one document the store refuses (or a bug) costs that document only
            summary.errors.append(error_line(item.job.url, exc))
            continue
        summary.pages += 1
        summary.claims += sum(1 for c in result.claims if c.metric is not None)
        summary.events += len(result.events)


def as_digests(pipeline: Pipeline) -> Pipeline:
    """The pipeline with every channel switched to digest mode: one message per channel."""
    channels = [c.model_copy(update={"mode": "digest"}) for c in pipeline.config.channels]
    config = pipeline.config.model_copy(update={"channels": channels})
    return Pipeline(pipeline.store, config, pipeline.catalog, pipeline.rates)


def summary_markdown(summary: BackfillSummary) -> str:
    """The backfill in a few lines of markdown."""
    s = summary
    lines = [
        "# claimwatch backfill",
        "",
        f"- items: {s.items} ({s.skipped_stored} already stored)",
        f"- pages ingested: {s.pages}; tracked claims: {s.claims}; change events: {s.events}",
        f"- alerts sent: {s.alerts_sent}; failed: {s.alerts_failed}",
    ]
    lines += problems_markdown("Errors", s.errors[:100])
    return "\n".join(lines) + "\n"
