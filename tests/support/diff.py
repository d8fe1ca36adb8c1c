"""Claims for change-engine tests from short specs: {value: 700M, q: over, published: 2026-01-12}."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from core.periods import LooseDate, Period
from core.types import Claim, Qualifier

SCALES = {"K": Decimal(10) ** 3, "M": Decimal(10) ** 6, "B": Decimal(10) ** 9, "T": Decimal(10) ** 12}


def value(text: object) -> Decimal:
    """'700M' -> 700000000, '39.8B' -> 39800000000, 34 -> 34."""
    raw = str(text).strip()
    scale = SCALES.get(raw[-1:].upper())
    return Decimal(raw[:-1]) * scale if scale else Decimal(raw)


def claim(spec: Mapping[str, Any], *, default_source: str = "src") -> Claim:
    """A Claim from a short spec; unset fields get neutral defaults."""
    published = spec.get("published")
    period = spec.get("period")
    return Claim(
        metric=spec.get("metric", "m.metric"),
        entity=spec.get("entity", "qwen"),
        value=value(spec["value"]),
        unit=spec.get("unit", "count"),
        qualifier=Qualifier(spec.get("q", "exact")),
        period=Period.parse(str(period)) if period is not None else None,
        forecast=bool(spec.get("forecast", False)),
        evidence=spec.get("evidence", f"says {spec['value']}"),
        start=0,
        end=10,
        source=spec.get("source", default_source),
        published=LooseDate.parse(str(published)) if published is not None else None,
    )


def claims(specs: list[Mapping[str, Any]]) -> list[Claim]:
    """Claims from specs; each without a source gets its own ("s0", "s1", ...)."""
    return [claim(spec, default_source=f"s{i}") for i, spec in enumerate(specs)]


# ---------------------------------------------------------------- hypothesis strategies

METRICS = ("qwen.downloads", "alibaba_cloud.revenue")
PERIODS = [Period.parse(p) for p in ("2025-Q1", "2025-Q2", "2025-H1", "2025-Q3", "2025-12", "2026")]
DAYS = [date(2025, 6, 1), date(2025, 9, 30), date(2025, 12, 31), date(2026, 1, 12), date(2026, 2, 1)]

values = st.one_of(
    st.sampled_from([Decimal(v) for v in ("0", "100", "101", "95", "110", "200", "700", "1000")]),
    st.decimals(min_value=-50, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
)
loose_dates = st.builds(LooseDate, st.sampled_from(DAYS), st.sampled_from(["day", "month"]))
published = st.one_of(st.none(), loose_dates)


@st.composite
def random_claims(draw: st.DrawFn, metric: str | None = None) -> Claim:
    """A claim of a few metrics, with values, qualifiers and dates that often collide."""
    return Claim(
        metric=metric or draw(st.sampled_from(METRICS)),
        entity="qwen",
        value=draw(values),
        unit=draw(st.sampled_from(["count", "count", "count", "USD"])),
        qualifier=draw(st.sampled_from(list(Qualifier))),
        period=draw(st.one_of(st.none(), st.sampled_from(PERIODS))),
        forecast=draw(st.booleans()),
        evidence="",
        start=0,
        end=0,
        source=draw(st.sampled_from(["a", "b", "c"])),
        published=draw(published),
    )
