"""The report's charts: a metric's timeline drawn by matplotlib as an inline SVG element."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import matplotlib
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure  # the object API: no pyplot, no GUI backend, no global figure state
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from alerts.report import MetricSeries, Point, current_point, recency
from core.types import Qualifier

MAX_MARKERS_PER_SERIES = 300  # ~300 markers fill a 7-inch axis; more only add bytes and drawing time
MAX_CONFLICT_MARKERS = 100  # per chart; more rings hide the data, and the conflicts table lists them
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
    for p in sorted(points, key=recency):
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
    return sorted((p for p in points if p.conflict), key=recency)[-MAX_CONFLICT_MARKERS:]


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

