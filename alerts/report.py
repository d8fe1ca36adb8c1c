"""The HTML report: metric timelines, recent changes, open conflicts and source health in one page.

``render_report(data)`` is pure: the caller (flows/, from storage) builds a ``ReportData`` and gets back
one self-contained HTML document — inline CSS, charts as inline SVG (alerts/charts.py), no scripts and
nothing fetched at view time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from alerts import figures
from core.periods import LooseDate
from core.published import PublishedSource
from core.types import ChangeEvent, ChangeKind, Claim, Metric, Qualifier

TEMPLATES = Path(__file__).parent / "templates"
MAX_CHANGE_ROWS = 200  # the most recent changes; older ones are counted, and `claimwatch changes` lists them
MAX_CONFLICT_ROWS = 100  # open conflicts are few in practice; a flood of them is summarised by its count
MAX_EVIDENCE_CHARS = 400  # an evidence sentence longer than this is an extraction accident, not a sentence
LINK_SCHEMES = ("http://", "https://")  # anything else (javascript:, data:) is shown as text, never linked
_MD_SPECIAL = re.compile(r"[\\`*_\[\]|~]")  # inline markdown syntax; "<" and "&" are HTML-escaped after


@dataclass(frozen=True)
class Point:
    """One claimed value of a metric as the report shows it."""

    as_of: date | None
    value: Decimal
    unit: str
    qualifier: Qualifier = Qualifier.EXACT
    forecast: bool = False
    conflict: bool = False  # part of an open conflict
    source: str = ""  # publisher name, URL or seed id
    url: str = ""  # link to the article; only http(s) links are rendered as links
    published: LooseDate | None = None
    evidence: str = ""
    period: str = ""  # "2025-Q3", or "" when the claim has none
    approximate: bool = False  # as of the day the article was first seen: it states no date of its own

    @classmethod
    def from_claim(cls, claim: Claim, *, url: str = "", source: str = "", conflict: bool = False) -> Point:
        """The point of a stored claim; `source` overrides the claim's own (e.g. a publisher name)."""
        return cls(
            as_of=claim.as_of, value=claim.value, unit=claim.unit, qualifier=claim.qualifier,
            forecast=claim.forecast, conflict=conflict, source=source or claim.source,
            url=url or _link(claim.source), published=claim.published, evidence=claim.evidence,
            period=claim.period.label if claim.period is not None else "",
            approximate=claim.period is None and claim.published_source == PublishedSource.FIRST_SEEN,
        )  # fmt: skip

    @property
    def figure(self) -> str:
        """The value as people read it: "over 1.2 billion in 2025-Q3 (forecast)"."""
        words = [figures.QUALIFIER_WORDS[self.qualifier], figures.amount(self.value, self.unit)]
        words += [f"in {self.period}"] if self.period else []
        words += ["(forecast)"] if self.forecast else []
        return " ".join(w for w in words if w)


@dataclass(frozen=True)
class MetricSeries:
    """A tracked metric, its claimed values, and the value currently shown for it."""

    metric: Metric
    points: Sequence[Point] = ()
    current: Point | None = None  # None: the latest dated actual, most recently published first


@dataclass(frozen=True)
class ChangeRow:
    """One change event: the new figure, the one it replaced, and the % change."""

    kind: ChangeKind
    metric: str  # catalog id
    new: Point
    old: Point | None = None
    change_pct: Decimal | None = None

    @classmethod
    def from_event(cls, event: ChangeEvent, urls: Mapping[str, str] | None = None,
                   names: Mapping[str, str] | None = None) -> ChangeRow:
        """The row of a change event; `urls` and `names` map a claim source (a seed id) to its link and name."""
        known, named = urls or {}, names or {}
        old = event.previous

        def shown(claim: Claim) -> Point:
            url, name = known.get(claim.source, ""), named.get(claim.source, "")
            return Point.from_claim(claim, url=url, source=name)

        return cls(kind=event.kind, metric=event.metric or event.claim.entity, new=shown(event.claim),
                   old=shown(old) if old is not None else None, change_pct=event.change_pct)


@dataclass(frozen=True)
class ConflictRow:
    """A conflict: two claims about one metric that cannot both be true; open, or how it ended."""

    metric: str
    side_a: Point
    side_b: Point
    status: str = "open"  # "open", "resolved" (a later report agreed with one side) "superseded" or "withdrawn" (a re-extraction no longer reads one side)
    closed_by: Point | None = None  # the claim that resolved or superseded it


@dataclass(frozen=True)
class SourceRow:
    """How one source is doing, and what it has contributed."""

    name: str
    url: str = ""
    last_success: datetime | None = None
    consecutive_failures: int = 0
    articles: int = 0
    claims: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, assembled by the caller."""

    generated_at: datetime
    since: date | None = None  # shown in the header; the caller has already applied it
    metrics: Sequence[MetricSeries] = ()
    changes: Sequence[ChangeRow] = ()  # any order; the most recently published are shown first
    conflicts: Sequence[ConflictRow] = ()  # open ones
    sources: Sequence[SourceRow] = ()
    title: str = "claimwatch report"
    closed_conflicts: Sequence[ConflictRow] = ()  # resolved or superseded, with the claim that closed each

    @property
    def empty(self) -> bool:
        """Whether there is nothing at all to show yet."""
        return not (any(m.points for m in self.metrics) or self.changes or self.conflicts or self.sources
                    or self.closed_conflicts)


MIN_CHART_POINTS = 2  # one point on a time axis says nothing a value card does not say better


def render_report(data: ReportData) -> str:
    """The whole report as one self-contained HTML document."""
    labels = {s.metric.id: s.metric.label or s.metric.id for s in data.metrics}
    changes = sorted(data.changes, key=lambda r: recency(r.new), reverse=True)
    return _template().render(
        data=data,
        metrics=[_metric_view(s, f"chart-{i}") for i, s in enumerate(data.metrics)],
        changes=changes[:MAX_CHANGE_ROWS],
        changes_hidden=max(0, len(changes) - MAX_CHANGE_ROWS),
        conflicts=list(data.conflicts)[:MAX_CONFLICT_ROWS],
        conflicts_hidden=max(0, len(data.conflicts) - MAX_CONFLICT_ROWS),
        closed=_latest_closed(data.closed_conflicts)[:MAX_CONFLICT_ROWS],
        closed_hidden=max(0, len(data.closed_conflicts) - MAX_CONFLICT_ROWS),
        label=lambda metric_id: labels.get(metric_id, metric_id),
        link=_link,
        clip=_clip,
        change=figures.change,
    )


@cache
def _template() -> jinja2.Template:
    """The page template, autoescaped; unknown names are an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return env.get_template("report.html.j2")


def _metric_view(series: MetricSeries, dom_id: str) -> dict[str, object]:
    """What the template shows for one metric: its chart (from two dated points on) and current value."""
    dated = [p for p in series.points if p.as_of is not None]
    return {
        "metric": series.metric,
        "label": series.metric.label or series.metric.id,
        "dom_id": dom_id,
        "chart": _chart(series, dom_id) if len(dated) >= MIN_CHART_POINTS else None,
        "current": current_point(series),
        "count": len(series.points),
        "points": series.points,
        "undated": len(series.points) - len(dated),
    }


def _chart(series: MetricSeries, dom_id: str) -> Markup:
    """The metric's chart; matplotlib loads here, not with the module (0.25 s every command paid for it)."""
    from alerts.charts import chart_svg  # noqa: PLC0415 - alerts.charts imports this module

    return chart_svg(series, dom_id)


def _latest_closed(rows: Sequence[ConflictRow]) -> list[ConflictRow]:
    """Closed conflicts, the most recently closed first."""
    never = (date.min, date.min)
    return sorted(rows, key=lambda r: recency(r.closed_by) if r.closed_by else never, reverse=True)


def current_point(series: MetricSeries) -> Point | None:
    """The value shown for the metric: the caller's choice, else the latest dated actual."""
    if series.current is not None:
        return series.current
    actuals = [p for p in series.points if p.as_of is not None and not p.forecast]
    return max(actuals, key=lambda p: (p.as_of, recency(p)), default=None)


def recency(point: Point) -> tuple[date, date]:
    """Sort key: publication date, then as-of date; unknown dates sort oldest."""
    return (point.published.day if point.published else date.min, point.as_of or date.min)


def _link(url: str) -> str:
    """The URL when it is safe to link (http or https), else ""."""
    return url if url.lower().startswith(LINK_SCHEMES) else ""


def _clip(text: str) -> str:
    """Text cut to MAX_EVIDENCE_CHARS, with an ellipsis when cut."""
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[: MAX_EVIDENCE_CHARS - 1] + "…"


# --- run summaries (Prefect artifacts are made by flows/ from these) --------------------------------------


def summary_markdown(data: ReportData) -> str:
    """A short markdown summary of the report: counts, then each metric's current value."""
    lines = [f"# {_md(data.title)}", "", _md(_counts_line(data)), ""]
    current = [(s, current_point(s)) for s in data.metrics]
    rows = [f"| {_md(s.metric.label or s.metric.id)} | {_md(p.figure)} | {p.as_of or ''} | {_md(p.source)} |"
            for s, p in current if p is not None]  # fmt: skip
    if rows:
        lines += ["| Metric | Current value | As of | Source |", "|---|---|---|---|", *rows]
    return "\n".join(lines) + "\n"


def change_table(data: ReportData) -> list[dict[str, str]]:
    """The most recent changes as rows of raw text (column → text), newest first; the viewer escapes them."""
    labels = {s.metric.id: s.metric.label or s.metric.id for s in data.metrics}
    newest = sorted(data.changes, key=lambda r: recency(r.new), reverse=True)[:MAX_CHANGE_ROWS]
    return [_change_cells(r, labels.get(r.metric, r.metric)) for r in newest]


def _change_cells(row: ChangeRow, label: str) -> dict[str, str]:
    """One change as text cells."""
    return {
        "kind": row.kind.value, "metric": label, "old": row.old.figure if row.old else "",
        "new": row.new.figure, "change": figures.change(row.change_pct),
        "as_of": str(row.new.as_of or ""), "source": row.new.source, "url": _link(row.new.url),
        "evidence": _clip(row.new.evidence),
    }  # fmt: skip


def _counts_line(data: ReportData) -> str:
    """"3 changes (1 conflict, 2 updated) · 1 open conflict · 4 metrics · 2 sources, 1 failing"."""
    kinds = Counter(r.kind.value for r in data.changes)
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    failing = sum(1 for s in data.sources if s.consecutive_failures)
    return (f"{_plural(len(data.changes), 'change')}{f' ({by_kind})' if by_kind else ''} · "
            f"{_plural(len(data.conflicts), 'open conflict')} · {_plural(len(data.metrics), 'metric')} · "
            f"{_plural(len(data.sources), 'source')}, {failing} failing")  # fmt: skip


def _plural(n: int, noun: str) -> str:
    """ "1 change", "2 changes"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _md(text: str) -> str:
    """Text made inert in markdown: one line, markup characters backslashed, then HTML escaped."""
    return str(escape(_MD_SPECIAL.sub(r"\\\g<0>", " ".join(text.split()))))
