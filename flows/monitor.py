"""The ``monitor`` flow: poll due sources, read new relevant articles, store claims, alert on changes.

::

    sources due ──poll-sources (one task, plain threads)──▶ entries ──dedupe, skip stored, relevance──▶ jobs
      (entries' Google News links first resolved to the publishers', in the flow: app.googlenews)
    page jobs ──fetch-pages (one task, plain threads; on Dask: batches of 20, mapped, retried)──▶ Documents
    Documents in publication order ──Pipeline.ingest_claims (in the flow)──▶ changes, outbox
    outbox ──deliver_pending (leased)──▶ channels;  source health saved;  artifacts attached

Resuming after a crash: articles are stored one transaction each and stored ones are never fetched
again; a feed's validators (ETag, Last-Modified) are saved only after its articles are stored, so a
crash before that polls the feed in full again instead of getting a 304 and losing the entries.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from app.baseline import ensure_baseline
from app.delivery import DeliveryReport, deliver_pending
from app.extraction import Extracted, PageJob
from app.googlenews import google_news_links
from app.polling import archive_note, due_sources
from app.runtime import Runtime, open_runtime
from app.stopping import STOP, graceful_stop, stopped_by
from app.summary import changes_table, events_markdown, problems_markdown
from core.config import Config
from core.periods import LooseDate
from core.types import ChangeEvent, SourceState
from flows.failures import error_line
from flows.runners import on_wanted_runner, rerun_on, shares_hosts, thread_runner
from flows.secrets import secret_resolver
from flows.tasks import (
    BatchResult,
    PollResult,
    batched,
    fetch_all_pages,
    fetch_page_batch,
    http_client,
    poll_sources,
)
from sources.feeds import FeedEntry, dedupe_entries
from sources.googlenews import resolve_entries
from sources.health import SILENCE_FACTOR, is_silent, record_poll
from sources.registry import SourceSpec
from sources.relevance import is_relevant, is_thin


@dataclass
class MonitorSummary:
    """What one monitor run did, for the artifacts, the CLI and the tests."""

    seeded: int = 0  # seed documents stored first, the database being empty
    sources_polled: int = 0
    not_modified: int = 0
    unreachable: list[tuple[str, str, str]] = field(default_factory=list)  # (source, url, error)
    silent: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_links: int = 0
    irrelevant: int = 0
    pages_fetched: int = 0
    page_errors: list[str] = field(default_factory=list)
    source_page_errors: dict[str, list[str]] = field(default_factory=dict)  # page errors by the source listing them
    # sources that listed a page whose failure may pass (a timeout, a 503): polled in full next time
    to_retry: set[str] = field(default_factory=set)
    articles: int = 0
    claims: int = 0
    events: list[ChangeEvent] = field(default_factory=list)
    alerts_sent: int = 0
    alerts_failed: int = 0
    alerts_pending: int = 0
    delivery_errors: list[str] = field(default_factory=list)
    stopped_by: int | None = None  # the signal (SIGTERM, SIGINT) that stopped the run before its end


@flow(name="monitor", task_runner=thread_runner(), log_prints=False)
def monitor(
    config_path: str | None = None, force: bool = False, hold_digests: bool = False
) -> MonitorSummary:
    """Poll the due sources (all with ``force``), ingest new articles, deliver alerts, attach a summary."""
    runtime = open_runtime(config_path)
    try:
        if not on_wanted_runner(runtime.config):
            return rerun_on(
                monitor, runtime.config, config_path=config_path, force=force, hold_digests=hold_digests
            )
        with graceful_stop():
            summary = run_monitor(runtime, force=force, hold_digests=hold_digests)
    finally:
        runtime.close()
    log_problems(summary)
    publish(summary)
    return summary


def run_monitor(runtime: Runtime, *, force: bool = False, hold_digests: bool = False) -> MonitorSummary:
    """The monitor's steps, inside a flow run (tasks go to the flow's task runner)."""
    summary, now = MonitorSummary(), datetime.now(UTC)
    summary.seeded = ensure_baseline(runtime.pipeline)
    specs = due_sources(runtime, now, force)
    summary.warnings += archive_note(runtime)
    states = runtime.store.source_states(s.name for s in specs)
    polls = publisher_links(runtime, poll_all(specs, states, runtime.config), summary)
    jobs = page_jobs(runtime, specs, polls, summary)
    ingest(runtime, fetch_all(jobs, runtime.config, summary), summary)
    record_health(runtime, specs, states, polls, now, summary)
    if stopped_by() is None:  # a stopped run leaves its alerts in the outbox for the next one
        deliver(runtime, summary, hold_digests)  # a stop while it sends ends it after the send in flight
    else:
        summary.alerts_pending = len(runtime.store.pending(due_only=False))
    summary.stopped_by = stopped_by()
    return summary


def poll_all(specs: Sequence[SourceSpec], states: dict[str, SourceState], config: Config) -> list[PollResult]:
    """Poll every source (one task, on plain threads); a failing source comes back with its error."""
    if not specs:
        return []
    return poll_sources(list(specs), states, config.http, shares_hosts(config), config.max_items_per_poll)


def publisher_links(runtime: Runtime, polls: Sequence[PollResult], summary: MonitorSummary) -> list[PollResult]:
    """Each poll with its Google News links resolved to the publishers'; an unresolvable one is left out with
    a warning of its source (see sources.googlenews), and that source is polled in full next time (to_retry)."""
    links = google_news_links(runtime, http_client(runtime.config.http, shares_hosts(runtime.config)))
    resolved = [(poll, resolve_entries(links, poll.entries)) for poll in polls]
    summary.to_retry |= {poll.source for poll, (_, skipped) in resolved if skipped}
    return [replace(p, entries=kept, warnings=[*p.warnings, *skipped]) for p, (kept, skipped) in resolved]


def page_jobs(
    runtime: Runtime, specs: Sequence[SourceSpec], polls: Sequence[PollResult], summary: MonitorSummary
) -> list[PageJob]:
    """New, relevant links across all feeds: deduplicated, not stored yet, with their watch terms."""
    by_name = {s.name: s for s in specs}
    owner: dict[str, str] = {}
    for result in polls:
        for entry in result.entries:
            owner.setdefault(entry.canonical_url, result.source)
    entries = dedupe_entries(e for r in polls for e in r.entries)
    stored = set(runtime.store.article_info([e.canonical_url for e in entries]))
    fresh = [e for e in entries if e.canonical_url not in stored]
    summary.new_links = len(fresh)
    terms, catalog = runtime.watch_terms, runtime.config.catalog
    jobs = [_job(e, by_name[owner[e.canonical_url]], terms, catalog) for e in fresh]
    summary.irrelevant += sum(1 for j in jobs if j is None)
    return [j for j in jobs if j is not None]


def _job(entry: FeedEntry, spec: SourceSpec, watch_terms: Iterable[str],
         catalog: Path | None = None) -> PageJob | None:
    """A page job for a relevant entry, a checked job for a thin one, None for an off-topic one; its page is
    read with the user ``catalog``."""
    terms = (*watch_terms, *spec.terms)
    text = f"{entry.title}\n{entry.summary}"
    if not is_relevant(text, terms) and not is_thin(text):
        return None  # a full teaser that never names what we watch: not worth a fetch
    published = LooseDate(entry.published.date()) if entry.published else None
    thin = not is_relevant(text, terms)
    return PageJob(entry.url, entry.canonical_url, spec.name, published, thin, terms, catalog)


def fetch_all(jobs: Sequence[PageJob], config: Config, summary: MonitorSummary) -> list[Extracted]:
    """Fetch and extract the pages (one task here, mapped batches on Dask's workers); count what came back."""
    if not jobs:
        return []
    if shares_hosts(config):
        futures = fetch_page_batch.map(
            batched(jobs), unmapped(config.http), unmapped(True), unmapped(config.extract_deadline)
        )
        results: list[BatchResult] = list(futures.result())
    else:
        results = [fetch_all_pages(jobs, config.http, config.extract_deadline)]
    summary.pages_fetched = len(jobs) - sum(len(r.errors) for r in results)
    summary.irrelevant += sum(r.irrelevant for r in results)
    summary.page_errors += [e for r in results for e in r.errors]
    for result in results:
        for source, errors in result.by_source.items():
            summary.source_page_errors.setdefault(source, []).extend(errors)
        summary.to_retry |= result.to_retry
    return [x for r in results for x in r.extracted]


def publication_order(extracted: Iterable[Extracted]) -> list[Extracted]:
    """Oldest publication first; undated pages last (they are usually the newest), then by URL."""
    return sorted(
        extracted,
        key=lambda x: (
            x.document.published is None,
            x.document.published.day if x.document.published else date.max,
            x.job.canonical,
        ),
    )


def ingest(runtime: Runtime, extracted: Iterable[Extracted], summary: MonitorSummary) -> None:
    """Store each document with its claims, in publication order, queueing alerts."""
    for item in publication_order(extracted):
        try:
            result = runtime.pipeline.ingest_claims(
                item.document, item.claims, alerts=True, source_id=item.job.source
            )
        except Exception as exc:  # one document the store refuses (or a bug) costs that document only
            summary.page_errors.append(error_line(item.job.url, exc))
            continue
        if result.new_article:  # a concurrent run may have stored it first: then it adds nothing here
            summary.articles += 1
            summary.claims += sum(1 for c in result.claims if c.metric is not None)
        summary.events += result.events


def record_health(
    runtime: Runtime,
    specs: Sequence[SourceSpec],
    states: dict[str, SourceState],
    polls: Sequence[PollResult],
    now: datetime,
    summary: MonitorSummary,
) -> None:
    """Save each polled source's state: validators and success, or its error and back-off.

    In a stopped run a failed poll is not counted (the stop may be its cause), and the new validators are
    not saved (some of the feed's pages may not have been read): the next run polls the feed in full. So too
    for a source that listed a page whose failure may pass: with its validators kept, the feed would answer
    304 until it changed and the page would not be offered again (a figure silenced by one timeout).
    """
    by_name, stopped, saved = {s.name: s for s in specs}, STOP.is_set(), {}
    for result in polls:
        if stopped and result.error is not None:
            continue
        spec = by_name[result.source]
        partial = stopped or spec.name in summary.to_retry
        state = record_poll(
            states[spec.name],
            spec,
            now,
            error=result.error,
            etag=None if partial else result.etag,
            last_modified=None if partial else result.last_modified,
            warnings=source_warnings(states[spec.name], result, summary.source_page_errors.get(spec.name, [])),
        )
        saved[spec.name] = state
        _count_poll(summary, spec, result, is_silent(state, spec, now))
    runtime.store.save_source_states(saved)  # one transaction for every source


def source_warnings(before: SourceState, result: PollResult, page_errors: Sequence[str]) -> list[str]:
    """What a source's poll read with trouble: the feed's own warnings, then one line per failed page; an
    unchanged feed (304) keeps the warnings of the poll that read it."""
    if result.not_modified:
        return list(before.warnings)
    return [*result.warnings, *(f"page failed: {e}" for e in page_errors)]


def _count_poll(summary: MonitorSummary, spec: SourceSpec, result: PollResult, silent: bool) -> None:
    """Add one poll to the summary."""
    summary.sources_polled += 1
    summary.not_modified += result.not_modified
    summary.warnings += result.warnings
    if result.error is not None:
        summary.unreachable.append((spec.name, spec.url, result.error))
    if silent:
        summary.silent.append(spec.name)


def deliver(runtime: Runtime, summary: MonitorSummary, hold_digests: bool) -> None:
    """Send what the outbox holds; with ``hold_digests`` digest channels wait for the digest flow."""
    channels = [c.name for c in runtime.config.channels if c.mode == "each"] if hold_digests else None
    try:
        report = deliver_pending(runtime.pipeline, secret_resolver(), channels=channels)
    except Exception as exc:  # what was stored stays stored; the outbox keeps what was not sent
        report = DeliveryReport(0, 0, (error_line("delivery", exc),))
    _count_delivery(summary, report, len(runtime.store.pending(due_only=False)))


def _count_delivery(summary: MonitorSummary, report: DeliveryReport, pending: int) -> None:
    """Add the delivery step to the summary."""
    summary.alerts_sent, summary.alerts_failed = report.sent, report.failed
    summary.alerts_pending, summary.delivery_errors = pending, list(report.errors)


def log_problems(summary: MonitorSummary) -> None:
    """Warn in the run's log (the Prefect UI) about each unreachable or silent source and failed page."""
    logger = get_run_logger()
    for name, url, error in summary.unreachable:
        logger.warning("source %s (%s) unreachable: %s", name, url, error)
    for name in summary.silent:
        logger.warning("source %s has given nothing for longer than %s intervals", name, SILENCE_FACTOR)
    for warning in summary.warnings:
        logger.warning("%s", warning)
    for error in summary.page_errors + summary.delivery_errors:
        logger.warning("%s", error)


def publish(summary: MonitorSummary) -> None:
    """Attach the run's markdown summary and its table of changes to the Prefect run."""
    create_markdown_artifact(
        summary_markdown(summary),
        key="monitor-summary",
        description="What this monitor run polled, read, found and sent",
    )
    create_table_artifact(
        changes_table(summary.events), key="monitor-changes", description="Changes found in this run"
    )


def summary_markdown(summary: MonitorSummary) -> str:
    """The run in a few lines of markdown."""
    s = summary
    lines = [
        "# claimwatch monitor run",
        "",
        f"- sources polled: {s.sources_polled} ({s.not_modified} not modified, {len(s.unreachable)} failed)",
        f"- new links: {s.new_links}; pages fetched: {s.pages_fetched}; off-topic: {s.irrelevant}",
        f"- articles stored: {s.articles}; tracked claims: {s.claims}; changes: {len(s.events)}",
        f"- alerts sent: {s.alerts_sent}; failed: {s.alerts_failed}; pending: {s.alerts_pending}",
    ]
    if s.stopped_by is not None:
        lines.append(f"- stopped by {signal.Signals(s.stopped_by).name} before its end; alerts left for the next run")
    lines += events_markdown(s.events)
    lines += problems_markdown("Unreachable sources", [f"{n} ({u}): {e}" for n, u, e in s.unreachable])
    lines += problems_markdown("Silent sources", s.silent)
    lines += problems_markdown("Feed warnings", s.warnings)
    lines += problems_markdown("Page errors", s.page_errors)
    lines += problems_markdown("Delivery errors", s.delivery_errors)
    return "\n".join(lines) + "\n"
