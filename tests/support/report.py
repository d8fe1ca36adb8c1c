"""Report data for tests and the bench: a small realistic set, and a large synthetic one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from alerts.report import ChangeRow, ConflictRow, MetricSeries, Point, ReportData, SourceRow
from core.periods import LooseDate
from core.types import ChangeKind, Metric, MetricKind, Qualifier

EVIL = '<script>alert("x")</script><img src=https://evil.example/x.png onerror=alert(1)> & "quotes"'
GENERATED = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)

DOWNLOADS = Metric("qwen.downloads", "qwen", "count", MetricKind.CUMULATIVE, label="Qwen downloads")
REVENUE = Metric("alibaba_cloud.revenue", "alibaba_cloud", "CNY", MetricKind.FLOW, label="Cloud revenue")
GROWTH = Metric("qwen_app.mau_growth", "qwen_app", "percent", MetricKind.FLOW, label="Qwen app MAU growth")
CAPEX = Metric("alibaba.ai_capex_plan", "alibaba", "CNY", MetricKind.TARGET, label="AI capex plan")
CATALOG = (DOWNLOADS, REVENUE, GROWTH, CAPEX)


def point(as_of: str, value: str, unit: str, **kw: object) -> Point:
    """A point from short strings: point("2025-09-30", "7e8", "count", qualifier=Qualifier.OVER)."""
    published = kw.pop("published", as_of)
    return Point(
        as_of=date.fromisoformat(as_of), value=Decimal(value), unit=unit,
        published=LooseDate.parse(str(published)), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def small_report() -> ReportData:
    """Four metrics: actuals, a forecast, lower bounds, a conflict, an evil evidence string."""
    dl = [
        point("2025-04-30", "3e8", "count", source="Reuters", url="https://reuters.example/a"),
        point("2025-09-30", "6e8", "count", qualifier=Qualifier.OVER, source="AInvest"),
        point("2026-01-12", "7e8", "count", qualifier=Qualifier.OVER, source="AInvest", conflict=True),
        point("2026-02-01", "6.5e8", "count", source="Huxiu", conflict=True, evidence=EVIL,
              url="javascript:alert(1)"),  # fmt: skip
        point("2026-12-31", "1e9", "count", forecast=True, source="Jefferies", published="2026-02-01"),
    ]
    revenue = [
        point("2025-03-31", "30.1e9", "CNY", period="2025-Q1", source="Alibaba IR"),
        point("2025-06-30", "33.4e9", "CNY", period="2025-Q2", source="Alibaba IR"),
        point("2025-09-30", "39.8e9", "CNY", period="2025-Q3", source="Alibaba IR"),
        point("2025-12-31", "43e9", "CNY", period="2025-Q4", forecast=True, source="Jefferies"),
    ]
    growth = [point("2025-12-31", "149", "percent", period="2025", source="Alizila")]
    conflict = ConflictRow(DOWNLOADS.id, dl[2], dl[3])
    changes = [
        ChangeRow(ChangeKind.UPDATED, REVENUE.id, revenue[2], revenue[1], Decimal("19.16")),
        ChangeRow(ChangeKind.CONFLICT, DOWNLOADS.id, dl[3], dl[2]),
        ChangeRow(ChangeKind.NEW, GROWTH.id, growth[0]),
    ]
    sources = [
        SourceRow("Alizila", "https://www.alizila.com/feed/", GENERATED - timedelta(hours=2), 0, 12, 40),
        SourceRow("Huxiu <b>", "file:///etc/passwd", None, 5, 1, 3, last_error=EVIL),
    ]
    return ReportData(
        generated_at=GENERATED, since=date(2025, 1, 1),
        metrics=[MetricSeries(DOWNLOADS, dl), MetricSeries(REVENUE, revenue), MetricSeries(GROWTH, growth),
                 MetricSeries(CAPEX, ())],
        changes=changes, conflicts=[conflict], sources=sources,
    )  # fmt: skip


SYNTHETIC_METRICS = (
    *CATALOG,
    Metric("qwen.derivative_models", "qwen", "count", MetricKind.CUMULATIVE, label="Derivative models"),
    Metric("qwen.languages", "qwen", "count", MetricKind.LEVEL, label="Languages"),
    Metric("qwen_app.mau", "qwen_app", "count", MetricKind.LEVEL, label="Qwen app MAU"),
    Metric("alibaba_cloud.ai_revenue", "alibaba_cloud", "CNY", MetricKind.FLOW, label="AI revenue"),
    Metric("alibaba_cloud.revenue_growth_yoy", "alibaba_cloud", "percent", MetricKind.FLOW, label="Growth"),
    Metric("alibaba_cloud.china_ai_cloud_share", "alibaba_cloud", "percent", MetricKind.LEVEL, label="Share"),
    Metric("alibaba.ai_investment_usd", "alibaba", "USD", MetricKind.TARGET, label="AI investment"),
    Metric("qwen_omni.speech_languages", "qwen_omni", "count", MetricKind.LEVEL, label="Speech languages"),
)
BASES = {"count": 5e7, "CNY": 2e10, "USD": 5e10, "percent": 20.0}
START = date(2023, 1, 1)
DAYS = 1200  # about three years of news
SOURCES = 40  # a generous watch list


def synthetic_report(claims: int, seed: int = 7) -> ReportData:
    """`claims` claims spread over the synthetic metrics, with changes, conflicts and 40 sources."""
    rng = random.Random(seed)
    series = {m.id: [] for m in SYNTHETIC_METRICS}
    for i in range(claims):
        metric = SYNTHETIC_METRICS[i % len(SYNTHETIC_METRICS)]
        series[metric.id].append(_synthetic_point(rng, metric))
    metrics = [MetricSeries(m, series[m.id]) for m in SYNTHETIC_METRICS]
    every = [(m.id, p) for m in SYNTHETIC_METRICS for p in series[m.id]]
    changes = [ChangeRow(ChangeKind.UPDATED, mid, p, None, Decimal("3.5")) for mid, p in every[::10]]
    conflicts = [ConflictRow(mid, p, p) for mid, p in every if p.conflict]
    sources = [SourceRow(f"Source {n}", f"https://news{n}.example/feed", GENERATED, n % 3, 50, 250)
               for n in range(SOURCES)]  # fmt: skip
    return ReportData(GENERATED, None, metrics, changes, conflicts, sources)


def _synthetic_point(rng: random.Random, metric: Metric) -> Point:
    """One plausible claim: growing value with noise, some forecasts, bounds and conflicts."""
    day = rng.randrange(DAYS)
    value = BASES[metric.unit] * (1 + day / 400) * rng.uniform(0.95, 1.05)
    n = rng.randrange(SOURCES)
    return Point(
        as_of=START + timedelta(days=day), value=Decimal(f"{value:.4g}"), unit=metric.unit,
        qualifier=rng.choice([Qualifier.EXACT] * 6 + [Qualifier.OVER, Qualifier.AT_LEAST, Qualifier.APPROX]),
        forecast=rng.random() < 0.1, conflict=rng.random() < 0.01, source=f"Source {n}",
        url=f"https://news{n}.example/story/{rng.randrange(10**6)}",
        published=LooseDate(START + timedelta(days=day + rng.randrange(30))),
        evidence=f"{metric.label} reached {value:,.0f} according to the company's statement on day {day}, "
        "analysts said in a note to clients.",
    )  # fmt: skip
