"""Claims for change-engine tests from short specs: {value: 700M, q: over, published: 2026-01-12}."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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
