"""The HTML report: empty, one point, a realistic small set, escaping, self-containment, 10,000 claims."""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal

import pytest
from support.report import DOWNLOADS, EVIL, GENERATED, GROWTH, REVENUE, point, small_report, synthetic_report

from alerts.charts import MAX_CONFLICT_MARKERS, MAX_MARKERS_PER_SERIES, axis_scale, conflicted, thin
from alerts.report import (
    MAX_CHANGE_ROWS,
    ChangeRow,
    ConflictRow,
    MetricSeries,
    Point,
    ReportData,
    change_table,
    current_point,
    render_report,
    summary_markdown,
)
from core.periods import LooseDate, Period
from core.types import ChangeEvent, ChangeKind, Claim, Qualifier

MAX_BYTES = 5_000_000  # issue 7: the 10,000-claim report stays under 5 MB
# Anything that would make the browser fetch at view time: a resource element with a remote or
# protocol-relative address, a CSS url() or @import of one.
REMOTE_LOAD = re.compile(
    r"<(?:script|link|img|iframe|image|use|source|video|audio|embed|object|input)\b[^>]*?"
    r"\b(?:src|href|xlink:href|data|srcset|poster)\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|url\(\s*[\"']?\s*(?:https?:)?//|@import",
    re.IGNORECASE,
)


def _charts(html: str) -> list[str]:
    """The inline SVG elements of the page."""
    return re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)


def test_empty_report_says_no_data_yet() -> None:
    html = render_report(ReportData(GENERATED))
    assert "No data yet" in html
    assert "<svg" not in html
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_metric_with_one_point_gets_a_value_card_not_a_chart() -> None:
    """Was: a chart with one dot on a four-year axis."""
    only = point("2025-12-31", "149", "percent", period="2025", source="Alizila")
    html = render_report(ReportData(GENERATED, metrics=[MetricSeries(GROWTH, [only])]))
    assert _charts(html) == []
    card = html.split('<div class="card" data-metric="qwen_app.mau_growth">')[1].split("</article>")[0]
    assert "149% in 2025" in card and "as of 2025-12-31" in card and "Alizila" in card
    assert "No data yet" not in html


def test_the_legend_draws_bounds_hollow_and_forecasts_in_one_colour() -> None:
    """Was: forecasts drawn hollow like the legend's bounds, and the legend's bounds filled."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    from alerts.charts import _draw  # noqa: PLC0415 - the drawing itself is what is checked

    points = [point("2025-06-30", "5e8", "count"), point("2025-09-30", "6e8", "count", qualifier=Qualifier.OVER),
              point("2026-12-31", "1e9", "count", forecast=True), point("2027-12-31", "2e9", "count", forecast=True),
              point("2026-01-31", "7e8", "count", approximate=True)]
    ax = Figure().add_subplot()
    handles = {h.get_label(): h for h in _draw(ax, points, axis_scale("count", points))}
    assert handles["actual"].get_markerfacecolor() == handles["actual"].get_color()
    assert handles["forecast"].get_markerfacecolor() == handles["forecast"].get_color()  # filled, orange
    assert handles["lower bound (over / at least)"].get_markerfacecolor() == "white"  # hollow, as drawn
    assert handles["date approximate (first seen)"].get_alpha() < 1
    faces = [(c.get_offsets()[0][1], tuple(c.get_facecolors()[0])) for c in ax.collections]
    assert [face for y, face in faces if abs(y - 0.6) < 1e-9] == [(1.0, 1.0, 1.0, 1.0)]  # "over 600 million"
    assert all(face != (1.0, 1.0, 1.0, 1.0) for y, face in faces if abs(y - 0.6) > 1e-9)  # the rest filled


def test_closed_conflicts_say_how_they_ended() -> None:
    sides = (point("2026-01-12", "7e8", "count", qualifier=Qualifier.OVER), point("2026-01-20", "6.5e8", "count"))
    later = point("2026-02-03", "1e9", "count", qualifier=Qualifier.OVER, source="Alizila")
    closed = ConflictRow(DOWNLOADS.id, *sides, status="superseded", closed_by=later)
    html = render_report(ReportData(GENERATED, metrics=[MetricSeries(DOWNLOADS, [*sides, later])],
                                    closed_conflicts=[closed]))
    table = html.split('<table class="closed-conflicts">')[1].split("</table>")[0]
    assert "superseded" in table and "over 1 billion" in table and "Alizila" in table
    assert "Conflicts (0 open, 1 closed)" in html


def test_small_report_has_a_chart_per_dated_metric_with_its_legend_and_unit() -> None:
    html = render_report(small_report())
    charts = _charts(html)
    assert len(charts) == 2  # growth has one point: a value card; the capex plan none: a sentence
    downloads, revenue = charts
    for label in ("actual", "forecast", "lower bound (over / at least)", "conflict"):
        assert f">{label}<" in downloads
    assert "count (billion)" in downloads
    assert "CNY billion" in revenue and ">conflict<" not in revenue
    assert 'class="card" data-metric="qwen_app.mau_growth"' in html and "149% in 2025" in html
    assert 'data-metric="alibaba.ai_capex_plan"' not in html and "No dated claims for this metric yet" in html


def test_small_report_charts_have_accessible_titles_and_the_tables_have_headers() -> None:
    html = render_report(small_report())
    for i, chart in enumerate(_charts(html)):
        assert f'role="img" aria-labelledby="chart-{i}-title"' in chart
        assert re.search(rf'<title id="chart-{i}-title">[^<]+ over time, in ', chart)
    assert html.count('<th scope="col">') == 6 + 3 + 6
    assert [h for h in re.findall(r"<h2[^>]*>([^<]+)</h2>", html)] == [
        "Metrics", "Recent changes", "Conflicts", "Source health"
    ]  # fmt: skip


def test_evil_strings_are_escaped_and_unsafe_urls_never_linked() -> None:
    html = render_report(small_report())
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Huxiu &lt;b&gt;" in html
    assert 'href="javascript:' not in html and 'href="file:' not in html
    assert html.count("&lt;script&gt;") == 3  # evidence in changes, in conflicts, and the source's last error


def test_nothing_is_fetched_at_view_time() -> None:
    for data in (small_report(), synthetic_report(500)):
        html = render_report(data)
        assert REMOTE_LOAD.search(html) is None
        assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_local_references_in_the_charts_resolve_to_exactly_one_element() -> None:
    html = render_report(small_report())
    targets = set(re.findall(r'(?:xlink:href="#|url\(#)([^")]+)', html))
    assert targets, "matplotlib references its markers and clip paths by id"
    for target in targets:
        assert html.count(f'id="{target}"') == 1, target


def test_rendering_is_deterministic() -> None:
    assert render_report(small_report()) == render_report(small_report())


def test_changes_are_newest_first() -> None:
    html = render_report(small_report())
    order = [html.index(f'class="kind kind-{k}"') for k in ("conflict", "new", "updated")]
    assert order == sorted(order)  # published 2026-02-01, 2025-12-31, 2025-09-30


@pytest.mark.parametrize(
    ("unit", "values", "label", "suffix"),
    [
        ("percent", ["149"], "percent", "%"),
        ("CNY", ["3.98e10"], "CNY billion", ""),
        ("USD", ["5e8"], "USD billion", ""),  # money is always in billions, even below one
        ("count", ["1.2e9", "7e8"], "count (billion)", ""),
        ("count", ["3e7"], "count (million)", ""),
        ("count", ["200000"], "count (thousand)", ""),
        ("count", ["119"], "count", ""),
        ("count", [], "count", ""),
    ],
)
def test_axis_scale(unit: str, values: list[str], label: str, suffix: str) -> None:
    scale = axis_scale(unit, [point("2025-01-01", v, unit) for v in values])
    assert (scale.label, scale.suffix) == (label, suffix)


def test_thin_keeps_one_point_per_date_the_latest_published() -> None:
    early = point("2025-06-30", "1", "count", published="2025-07-01")
    late = point("2025-06-30", "2", "count", published="2025-08-01")
    other = point("2025-09-30", "3", "count")
    assert thin([late, other, early], 10) == [late, other]


def test_thin_caps_thousands_of_dates_and_keeps_both_ends() -> None:
    points = [point(date.fromordinal(738000 + d).isoformat(), str(d), "count") for d in range(2000)]
    kept = thin(points, MAX_MARKERS_PER_SERIES)
    assert len(kept) <= MAX_MARKERS_PER_SERIES
    assert kept[-1] == points[-1]
    assert kept[0].as_of - points[0].as_of < (points[-1].as_of - points[0].as_of) / 100


def test_both_sides_of_a_same_period_conflict_are_ringed_and_rings_are_capped() -> None:
    side_a = point("2025-09-30", "39.8e9", "CNY", conflict=True, published="2025-11-25")
    side_b = point("2025-09-30", "38.1e9", "CNY", conflict=True, published="2025-11-26")
    assert conflicted([side_b, point("2025-06-30", "33e9", "CNY"), side_a]) == [side_a, side_b]
    days = [f"2025-{1 + d // 28:02d}-{1 + d % 28:02d}" for d in range(300)]
    many = [point(day, "1", "count", conflict=True) for day in days]
    assert conflicted(many) == many[-MAX_CONFLICT_MARKERS:]


def test_current_value_is_the_callers_else_the_latest_dated_actual() -> None:
    actual = point("2025-09-30", "7e8", "count")
    forecast = point("2026-12-31", "1e9", "count", forecast=True)
    undated = Point(None, Decimal("9e8"), "count")
    assert current_point(MetricSeries(DOWNLOADS, [actual, forecast, undated])) == actual
    assert current_point(MetricSeries(DOWNLOADS, [actual], current=forecast)) == forecast
    assert current_point(MetricSeries(DOWNLOADS, [forecast])) is None


def test_rows_are_built_from_change_events() -> None:
    def claim(value: str, period: str, source: str) -> Claim:
        return Claim(REVENUE.id, "alibaba_cloud", Decimal(value), "CNY", Qualifier.EXACT,
                     Period.parse(period), False, "Cloud revenue rose.", 0, 10, source,
                     LooseDate.parse("2025-11-25"))  # fmt: skip

    event = ChangeEvent(ChangeKind.UPDATED, claim("39.8e9", "2025-Q3", "seed-1"),
                        claim("33.4e9", "2025-Q2", "https://ir.example/q2"), Decimal("19.16"))  # fmt: skip
    row = ChangeRow.from_event(event, {"seed-1": "https://ir.example/q3"})
    assert (row.new.as_of, row.new.period) == (date(2025, 9, 30), "2025-Q3")
    assert row.new.url == "https://ir.example/q3"
    assert row.old is not None and row.old.url == "https://ir.example/q2"
    assert row.new.figure == "CNY 39.8 billion in 2025-Q3"
    html = render_report(ReportData(GENERATED, changes=[row]))
    assert "CNY 33.4 billion in 2025-Q2 → <strong>CNY 39.8 billion in 2025-Q3</strong>" in html
    assert "+19%" in html and 'href="https://ir.example/q3"' in html


def test_undated_points_are_counted_not_drawn() -> None:
    undated = Point(None, Decimal("5"), "count", evidence="no date")
    html = render_report(ReportData(GENERATED, metrics=[MetricSeries(DOWNLOADS, [undated])]))
    assert "<svg" not in html and "(1 undated)" in html


def test_ten_thousand_claims_render_under_five_megabytes() -> None:
    data = synthetic_report(10_000)
    started = time.perf_counter()
    html = render_report(data)
    seconds = time.perf_counter() - started
    size = len(html.encode("utf-8"))
    print(f"10,000 claims: {size} bytes in {seconds:.2f} s")
    assert size < MAX_BYTES
    assert len(_charts(html)) == len(data.metrics)
    hidden = len(data.changes) - MAX_CHANGE_ROWS
    assert f"{hidden} older changes not shown" in html
    assert html.count('<td class="kind kind-updated">') == MAX_CHANGE_ROWS
    assert EVIL not in html


def test_summary_markdown_counts_and_current_values() -> None:
    text = summary_markdown(small_report())
    counts = "3 changes (1 conflict, 1 new, 1 updated) · 1 open conflict · 4 metrics · 2 sources, 1 failing"
    assert counts in text
    assert "| Qwen downloads | 650 million | 2026-02-01 | Huxiu |" in text
    assert "| Cloud revenue | CNY 39.8 billion in 2025-Q3 | 2025-09-30 | Alibaba IR |" in text
    assert "AI capex plan" not in text  # no current value, no row
    assert summary_markdown(ReportData(GENERATED)).splitlines()[2].startswith("0 changes · 0 open conflicts")


def test_summary_markdown_makes_names_inert() -> None:
    evil = point("2025-01-01", "1", "count", source="a | b <script>[x](javascript:1)")
    text = summary_markdown(ReportData(GENERATED, metrics=[MetricSeries(DOWNLOADS, [evil])]))
    assert "| a \\| b &lt;script&gt;\\[x\\](javascript:1) |" in text
    assert "<script" not in text


def test_change_table_rows_newest_first_and_capped() -> None:
    rows = change_table(small_report())
    assert [r["kind"] for r in rows] == ["conflict", "new", "updated"]
    assert rows[2] == {
        "kind": "updated", "metric": "Cloud revenue", "old": "CNY 33.4 billion in 2025-Q2",
        "new": "CNY 39.8 billion in 2025-Q3", "change": "+19%", "as_of": "2025-09-30",
        "source": "Alibaba IR", "url": "", "evidence": "",
    }  # fmt: skip
    assert rows[0]["url"] == ""  # javascript: is never passed on as a link
    assert len(change_table(synthetic_report(3000))) == MAX_CHANGE_ROWS
