"""The HTML report: metric timelines, recent changes, open conflicts and source health in one page.

``render_report(data)`` is pure: the caller (flows/, from storage) builds a ``ReportData`` and gets back
one self-contained HTML document — inline CSS, charts as inline SVG drawn by matplotlib, no scripts and
nothing fetched at view time.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import jinja2
import matplotlib
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure  # the object API: no pyplot, no GUI backend, no global figure state
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from alerts import figures
from core.periods import LooseDate
from core.published import PublishedSource
from core.types import ChangeEvent, ChangeKind, Claim, Metric, Qualifier

TEMPLATES = Path(__file__).parent / "templates"
MAX_MARKERS_PER_SERIES = 300  # ~300 markers fill a 7-inch axis; more only add bytes and drawing time
MAX_CONFLICT_MARKERS = 100  # per chart; more rings hide the data, and the conflicts table lists them
MAX_CHANGE_ROWS = 200  # the most recent changes; older ones are counted, and `claimwatch changes` lists them
MAX_CONFLICT_ROWS = 100  # open conflicts are few in practice; a flood of them is summarised by its count
MAX_EVIDENCE_CHARS = 400  # an evidence sentence longer than this is an extraction accident, not a sentence
CHART_INCHES = (7.5, 3.0)  # wide and short: a timeline reads left to right
CHART_MARGINS = {"left": 0.11, "right": 0.98, "top": 0.96, "bottom": 0.22}  # fixed, not constrained
# layout: every chart is alike, and measuring the text for a layout engine was a third of the render time
MARKER_AREA = 26  # points²: visible at a glance, small enough that 300 of them do not merge into a band
MONEY_SCALE = (Decimal(10) ** 9, "billion")  # company figures in this domain are billions of CNY or USD
COUNT_SCALES = ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"), (Decimal(10) ** 3, "thousand"))
ACTUAL_COLOR = "#1f77b4"
FORECAST_COLOR = "#ff7f0e"
CONFLICT_COLOR = "#d62728"
LOWER_BOUNDS = frozenset({Qualifier.OVER, Qualifier.AT_LEAST})
LINK_SCHEMES = ("http://", "https://")  # anything else (javascript:, data:) is shown as text, never linked
CHART_RC = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable, uses the page's font
    "text.parse_math": False,  # a "$" in a label is a dollar sign, not mathtext
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}  # deterministic, smaller output
_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
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


@dataclass(frozen=True)
class _Scale:
    """How a metric's values are written on its axis."""

    divisor: Decimal
    label: str
    suffix: str = ""


@dataclass(frozen=True)
class _Marker:
    """One marker style: which points it draws and how it is named in the legend."""

    qualifiers: frozenset[Qualifier]
    shape: str
    legend: str


MARKERS = (  # a bound is drawn hollow: the figure is at least (or at most) there, not there
    _Marker(frozenset(Qualifier) - LOWER_BOUNDS - {Qualifier.UNDER}, "o", ""),
    _Marker(LOWER_BOUNDS, "^", "lower bound (over / at least)"),
    _Marker(frozenset({Qualifier.UNDER}), "v", "upper bound (under)"),
)
BOUNDS = LOWER_BOUNDS | {Qualifier.UNDER}
APPROXIMATE_ALPHA = 0.4  # a point dated only by the day its article was first seen is drawn faint
LEGEND_GREY = "#555555"  # bound and date markers in the legend: a shape, whichever series it marks
MIN_CHART_POINTS = 2  # one point on a time axis says nothing a value card does not say better


def render_report(data: ReportData) -> str:
    """The whole report as one self-contained HTML document."""
    labels = {s.metric.id: s.metric.label or s.metric.id for s in data.metrics}
    changes = sorted(data.changes, key=lambda r: _recency(r.new), reverse=True)
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
        "chart": chart_svg(series, dom_id) if len(dated) >= MIN_CHART_POINTS else None,
        "current": current_point(series),
        "count": len(series.points),
        "points": series.points,
        "undated": len(series.points) - len(dated),
    }


def _latest_closed(rows: Sequence[ConflictRow]) -> list[ConflictRow]:
    """Closed conflicts, the most recently closed first."""
    never = (date.min, date.min)
    return sorted(rows, key=lambda r: _recency(r.closed_by) if r.closed_by else never, reverse=True)


def current_point(series: MetricSeries) -> Point | None:
    """The value shown for the metric: the caller's choice, else the latest dated actual."""
    if series.current is not None:
        return series.current
    actuals = [p for p in series.points if p.as_of is not None and not p.forecast]
    return max(actuals, key=lambda p: (p.as_of, _recency(p)), default=None)


def _recency(point: Point) -> tuple[date, date]:
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
    newest = sorted(data.changes, key=lambda r: _recency(r.new), reverse=True)[:MAX_CHANGE_ROWS]
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


# --- charts -------------------------------------------------------------------------------------------


def chart_svg(series: MetricSeries, dom_id: str) -> Markup:
    """The metric's timeline as an inline <svg> element with a title for screen readers."""
    dated = [p for p in series.points if p.as_of is not None]
    scale = axis_scale(series.metric.unit, dated)
    rc = CHART_RC | {"svg.hashsalt": dom_id, "svg.id": dom_id}  # unique ids: many SVGs share one page
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=CHART_INCHES)
        fig.subplots_adjust(**CHART_MARGINS)
        ax = fig.add_subplot()
        handles = _draw(ax, dated, scale)
        _style_axes(ax, scale)
        fig.legend(handles=handles, loc="lower center", ncols=len(handles), frameon=False, fontsize=8)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata=NO_METADATA)
    return _inline(out.getvalue(), dom_id, _chart_title(series, scale))


def axis_scale(unit: str, points: Sequence[Point]) -> _Scale:
    """Percent as %, money in billions of its currency, counts in the largest fitting scale word."""
    if unit == "percent":
        return _Scale(Decimal(1), "percent", "%")
    if unit != "count":
        return _Scale(MONEY_SCALE[0], f"{unit} {MONEY_SCALE[1]}")
    top = max((abs(p.value) for p in points), default=Decimal(0))
    size, word = next(((s, w) for s, w in COUNT_SCALES if top >= s), (Decimal(1), ""))
    return _Scale(size, f"count ({word})" if word else "count")


def _draw(ax: Axes, points: Sequence[Point], scale: _Scale) -> list[Line2D]:
    """Actuals solid, forecasts dashed and hollow, bounds as carets, conflicts ringed; the legend handles."""
    handles: list[Line2D] = []
    for forecast, color in ((False, ACTUAL_COLOR), (True, FORECAST_COLOR)):
        own = [p for p in points if p.forecast == forecast]
        calm = thin([p for p in own if not p.conflict], MAX_MARKERS_PER_SERIES)
        shown = sorted(calm + conflicted(own), key=_x)
        if shown:
            handles.append(_draw_series(ax, shown, scale, color, forecast))
    handles += _draw_markers(ax, points, scale)
    return handles


def _draw_series(ax: Axes, points: Sequence[Point], scale: _Scale, color: str, forecast: bool) -> Line2D:
    """The series line (solid: actuals, dashed: forecasts, each in one colour) with a marker per point.

    Exact figures are filled, bounds hollow; a point dated only by when its article was first seen is faint.
    Returns the series' legend handle.
    """
    style = {"linestyle": "--" if forecast else "-", "color": color, "linewidth": 1.2}
    ax.plot([_x(p) for p in points], [_y(p, scale) for p in points], **style)
    for marker in MARKERS:
        for faint in (False, True):
            chosen = [p for p in points if p.qualifier in marker.qualifiers and p.approximate == faint]
            if chosen:
                face = "white" if marker.qualifiers <= BOUNDS else color
                ax.scatter([_x(p) for p in chosen], [_y(p, scale) for p in chosen], marker=marker.shape,
                           s=MARKER_AREA, facecolors=face, edgecolors=color, linewidths=1.0, zorder=3,
                           alpha=APPROXIMATE_ALPHA if faint else 1.0)  # fmt: skip
    name = "forecast" if forecast else "actual"
    return Line2D([], [], marker="o", markerfacecolor=color, label=name, **style)


def _draw_markers(ax: Axes, points: Sequence[Point], scale: _Scale) -> list[Line2D]:
    """Red rings around conflicting points; legend handles for the bound, date and conflict markers drawn."""
    conflicts = conflicted(points)
    if conflicts:
        ax.scatter([_x(p) for p in conflicts], [_y(p, scale) for p in conflicts], s=110,
                   facecolors="none", edgecolors=CONFLICT_COLOR, linewidths=1.6, zorder=4)  # fmt: skip
    present = {p.qualifier for p in points}
    handles = [_legend_marker(m.shape, LEGEND_GREY, m.legend, hollow=True)
               for m in MARKERS[1:] if m.qualifiers & present]
    if any(p.approximate for p in points):
        handles.append(_legend_marker("o", LEGEND_GREY, "date approximate (first seen)", faint=True))
    return handles + ([_legend_marker("o", CONFLICT_COLOR, "conflict", ring=True)] if conflicts else [])


def _legend_marker(shape: str, color: str, label: str, *, ring: bool = False, hollow: bool = False,
                   faint: bool = False) -> Line2D:
    """A legend entry showing a single marker, drawn as the chart draws it."""
    face = "none" if ring else "white" if hollow else color
    return Line2D([], [], linestyle="", marker=shape, markersize=8 if ring else 6, markerfacecolor=face,
                  markeredgecolor=color, alpha=APPROXIMATE_ALPHA if faint else 1.0, label=label)


def thin(points: Sequence[Point], limit: int) -> list[Point]:
    """One point per as-of date (the latest published), then at most `limit` by even time bins."""
    per_date: dict[date, Point] = {}
    for p in sorted(points, key=_recency):
        per_date[p.as_of or date.min] = p
    kept = sorted(per_date.values(), key=_x)
    if len(kept) <= limit:
        return kept
    first, span = kept[0].as_of.toordinal(), kept[-1].as_of.toordinal() - kept[0].as_of.toordinal()
    bins: dict[int, Point] = {}
    for p in kept:  # later points overwrite: each bin keeps its latest date
        bins[(p.as_of.toordinal() - first) * (limit - 1) // span] = p
    return list(bins.values())


def conflicted(points: Sequence[Point]) -> list[Point]:
    """Every point in an open conflict (both sides may share a date); the latest published if too many."""
    return sorted((p for p in points if p.conflict), key=_recency)[-MAX_CONFLICT_MARKERS:]


def _style_axes(ax: Axes, scale: _Scale) -> None:
    """Date axis with concise labels; value axis labelled with the unit."""
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.6g}{scale.suffix}"))
    ax.set_ylabel(scale.label)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.margins(x=0.05, y=0.15)


def _x(point: Point) -> date:
    """A point's place on the time axis."""
    return point.as_of or date.min


def _y(point: Point, scale: _Scale) -> float:
    """A point's height on the value axis, in the axis's scale."""
    return float(point.value / scale.divisor)


def _chart_title(series: MetricSeries, scale: _Scale) -> str:
    """The chart's accessible name: what it plots and what is current."""
    current = current_point(series)
    now = f"; current value {current.figure} as of {current.as_of}" if current else ""
    return f"{series.metric.label or series.metric.id} over time, in {scale.label}{now}"


def _inline(svg: str, dom_id: str, title: str) -> Markup:
    """An SVG file made an inline element: prolog dropped, role and <title> added."""
    body = _PROLOG.sub("", svg, count=1)
    opening = _SVG_OPEN.search(body)
    if opening is None:
        raise ValueError("matplotlib wrote no <svg> element")  # a library bug, not a claimwatch error
    tag = opening.group(0)[:-1] + f' role="img" aria-labelledby="{dom_id}-title">'
    named = f'{tag}<title id="{dom_id}-title">{escape(title)}</title>'
    return Markup(body[: opening.start()] + named + body[opening.end() :])

