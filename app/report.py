"""The HTML report and the Prefect run summaries: storage read into alerts.report's ReportData."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from alerts.report import ChangeRow, ConflictRow, MetricSeries, Point, ReportData, SourceRow, render_report
from app.runtime import Runtime
from core.diff import ClosedConflict, Conflict, closed_conflicts, current, open_conflicts
from core.errors import InputError
from core.types import Claim, Metric
from storage import ArticleInfo, Store


def build_report(runtime: Runtime, *, metrics: Sequence[str] | None = None, since: date | None = None) -> ReportData:
    """Everything the report shows, read from the store."""
    catalog = runtime.pipeline.catalog
    chosen = [catalog.get(m) for m in metrics] if metrics else list(catalog.metrics.values())
    store = runtime.store
    history = {m.id: store.claims(m.id) for m in chosen}
    conflicts = {m.id: _conflicts(history[m.id], m) for m in chosen}
    links = _Links.read(store, [c for claims in history.values() for c in claims])
    return ReportData(
        generated_at=datetime.now(UTC), since=since,
        metrics=[_series(m, history[m.id], conflicts[m.id], links, since) for m in chosen],
        changes=[ChangeRow.from_event(s.event, links.urls, links.names) for s in store.changes(since=since)
                 if not metrics or s.event.metric in metrics],
        conflicts=[_conflict_row(m, c, links) for m in chosen for c in conflicts[m.id]],
        closed_conflicts=[_closed_row(m, c, links) for m in chosen for c in _closed(history[m.id], m)],
        sources=_source_rows(store),
    )  # fmt: skip


@dataclass(frozen=True)
class _Links:
    """How each claim source is linked and named in the report: its URL, and "Publisher: title"."""

    urls: dict[str, str]
    names: dict[str, str]

    @classmethod
    def read(cls, store: Store, claims: Sequence[Claim]) -> _Links:
        """The links and names of the articles behind these claims."""
        info = store.article_info(sorted({c.source for c in claims}))
        return cls({s: a.url for s, a in info.items() if a.url}, {s: _name(a) for s, a in info.items()})

    def point(self, claim: Claim, conflict: bool = False) -> Point:
        """A claim as a report point, linked and named."""
        url, name = self.urls.get(claim.source, ""), self.names.get(claim.source, "")
        return Point.from_claim(claim, url=url, source=name, conflict=conflict)


def _name(article: ArticleInfo) -> str:
    """An article as people know it: "AInvest: Alibaba's Qwen: …", else its title or publisher, else ""."""
    parts = [part for part in (article.publisher, article.title) if part]
    return ": ".join(parts)


def _conflicts(claims: Sequence[Claim], metric: Metric) -> list[Conflict]:
    """Open conflicts of both series (actuals and forecasts) of a metric."""
    return [c for forecast in (False, True) for c in open_conflicts(claims, metric.kind, forecast=forecast)]


def _closed(claims: Sequence[Claim], metric: Metric) -> list[ClosedConflict]:
    """Resolved and superseded conflicts of both series of a metric."""
    return [c for forecast in (False, True) for c in closed_conflicts(claims, metric.kind, forecast=forecast)]


def _series(metric: Metric, claims: Sequence[Claim], conflicts: Sequence[Conflict], links: _Links,
            since: date | None) -> MetricSeries:
    """A metric's points (claims with an as-of since `since`) and its current value."""
    disputed = {id(side) for c in conflicts for side in c.sides}
    shown = [c for c in claims if since is None or (c.as_of is not None and c.as_of >= since)]
    points = [links.point(c, conflict=id(c) in disputed) for c in shown]
    now = current(claims, metric.kind)
    return MetricSeries(metric, points, links.point(now) if now else None)


def _conflict_row(metric: Metric, conflict: Conflict, links: _Links) -> ConflictRow:
    """Both sides of an open conflict."""
    older, newer = conflict.sides
    return ConflictRow(metric.id, links.point(older), links.point(newer))


def _closed_row(metric: Metric, closed: ClosedConflict, links: _Links) -> ConflictRow:
    """Both sides of a closed conflict, how it ended and the claim that ended it."""
    older, newer = closed.conflict.sides
    ended_by = links.point(closed.by)
    return ConflictRow(metric.id, links.point(older), links.point(newer), closed.outcome, ended_by)


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
