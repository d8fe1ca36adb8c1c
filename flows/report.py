"""The HTML report and the Prefect run summaries: storage read into alerts.report's ReportData."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from alerts.report import ChangeRow, ConflictRow, MetricSeries, Point, ReportData, SourceRow, render_report
from core.diff import Conflict, current, open_conflicts
from core.errors import InputError
from core.types import Claim, Metric
from flows.runtime import Runtime
from storage import Store


def build_report(runtime: Runtime, *, metrics: Sequence[str] | None = None, since: date | None = None) -> ReportData:
    """Everything the report shows, read from the store."""
    catalog = runtime.pipeline.catalog
    chosen = [catalog.get(m) for m in metrics] if metrics else list(catalog.metrics.values())
    store = runtime.store
    history = {m.id: store.claims(m.id) for m in chosen}
    conflicts = {m.id: _conflicts(history[m.id], m) for m in chosen}
    urls = _urls(store, [c for claims in history.values() for c in claims])
    return ReportData(
        generated_at=datetime.now(UTC), since=since,
        metrics=[_series(m, history[m.id], conflicts[m.id], urls, since) for m in chosen],
        changes=[ChangeRow.from_event(s.event, urls) for s in store.changes(since=since)
                 if not metrics or s.event.metric in metrics],
        conflicts=[_conflict_row(m, c, urls) for m in chosen for c in conflicts[m.id]],
        sources=_source_rows(store),
    )  # fmt: skip


def _conflicts(claims: Sequence[Claim], metric: Metric) -> list[Conflict]:
    """Open conflicts of both series (actuals and forecasts) of a metric."""
    return [c for forecast in (False, True) for c in open_conflicts(claims, metric.kind, forecast=forecast)]


def _urls(store: Store, claims: Sequence[Claim]) -> dict[str, str]:
    """Links for claim sources whose article has a URL."""
    info = store.article_info(sorted({c.source for c in claims}))
    return {source: article.url for source, article in info.items() if article.url}


def _series(metric: Metric, claims: Sequence[Claim], conflicts: Sequence[Conflict], urls: dict[str, str],
            since: date | None) -> MetricSeries:
    """A metric's points (claims with an as-of since `since`) and its current value."""
    disputed = {id(side) for c in conflicts for side in c.sides}
    shown = [c for c in claims if since is None or (c.as_of is not None and c.as_of >= since)]
    points = [Point.from_claim(c, url=urls.get(c.source, ""), conflict=id(c) in disputed) for c in shown]
    now = current(claims, metric.kind)
    return MetricSeries(metric, points, Point.from_claim(now, url=urls.get(now.source, "")) if now else None)


def _conflict_row(metric: Metric, conflict: Conflict, urls: dict[str, str]) -> ConflictRow:
    """Both sides of an open conflict."""
    older, newer = conflict.sides
    return ConflictRow(metric.id, Point.from_claim(older, url=urls.get(older.source, "")),
                       Point.from_claim(newer, url=urls.get(newer.source, "")))


def _source_rows(store: Store) -> list[SourceRow]:
    """Health and contribution of every polled source."""
    counts = store.source_counts()
    return [SourceRow(name=s.id, url=s.url or "", last_success=s.state.last_success,
                      consecutive_failures=s.state.consecutive_failures, articles=counts.get(s.id, (0, 0))[0],
                      claims=counts.get(s.id, (0, 0))[1], last_error=s.state.last_error or "")
            for s in store.sources()]


def render(runtime: Runtime, *, metrics: Sequence[str] | None = None, since: date | None = None) -> str:
    """The report as one HTML document."""
    return render_report(build_report(runtime, metrics=metrics, since=since))


def write_report(html: str, out: Path) -> int:
    """Write a rendered report to a file; its size in bytes; InputError naming the file when impossible."""
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot write the report: {exc.strerror}") from None
    return len(html.encode("utf-8"))
