"""The value that stands for each metric now, by the change engine's own rule (core.diff.current)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from core.diff import current, open_conflicts
from core.types import Claim, Metric
from extractors.catalog import Catalog
from storage import Store

SERIES = (False, True)  # actuals, then forecasts: separate series (eval/CHANGES.md)


@dataclass(frozen=True)
class Standing:
    """The current value of one series (a metric's actuals or its forecasts)."""

    metric: Metric
    claim: Claim
    open_conflicts: int


def standing_values(store: Store, catalog: Catalog, metric: str | None = None) -> list[Standing]:
    """One row per metric and forecast flag that has a claim, in catalog order."""
    metrics = [catalog.get(metric)] if metric else list(catalog.metrics.values())
    return [row for m in metrics for row in _standing(store.claims(m.id), m)]


def _standing(claims: list[Claim], metric: Metric) -> Iterator[Standing]:
    """The current value of each of a metric's series."""
    for forecast in SERIES:
        now = current(claims, metric.kind, forecast=forecast)
        if now is not None:
            yield Standing(metric, now, len(open_conflicts(claims, metric.kind, forecast=forecast)))
