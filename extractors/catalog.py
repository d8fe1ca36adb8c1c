"""The metric catalog (data/metrics.yaml): metrics and the cues that match a number to one by meaning."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from core.errors import ConfigError
from core.types import Metric, MetricKind
from extractors.periods import CALENDAR_YEAR_END_MONTH

DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "data" / "metrics.yaml"


@dataclass(frozen=True)
class MatchRule:
    """How to recognise a metric in a sentence (see the header of data/metrics.yaml)."""

    about: frozenset[str]
    units: frozenset[str]
    near: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...] = ()
    forbid: tuple[re.Pattern[str], ...] = ()
    streak: bool = False
    signed: bool = False  # a change: a figure stated as a fall is negative ("revenue decreased by 2%")
    # per `near` cue: entities whose name already says it (the cloud unit's revenue is cloud revenue)
    implied: tuple[frozenset[str], ...] = ()
    least: Decimal | None = None  # smallest plausible value: smaller figures are about something else
    most: Decimal | None = None  # largest plausible value


@dataclass(frozen=True)
class Catalog:
    """The tracked metrics and their match rules, keyed by metric id (in file order)."""

    metrics: dict[str, Metric]
    rules: dict[str, MatchRule] = field(default_factory=dict)
    fiscal_year_end: dict[str, int] = field(default_factory=dict)  # entity -> month its fiscal year ends

    def fiscal_year_end_of(self, entity: str | None) -> int:
        """The month an entity's fiscal year ends (12: the calendar year, when the catalog gives none)."""
        return self.fiscal_year_end.get(entity or "", CALENDAR_YEAR_END_MONTH)

    def get(self, metric_id: str) -> Metric:
        """The metric with this id; ConfigError when the catalog has none."""
        try:
            return self.metrics[metric_id]
        except KeyError:
            raise ConfigError(f"metric catalog: no metric {metric_id!r}") from None


def load_catalog(path: Path | None = None) -> Catalog:
    """Load a catalog file (default: the bundled data/metrics.yaml); cached per path."""
    return _load(Path(path or DEFAULT_CATALOG).resolve())


@lru_cache(maxsize=8)
def _load(path: Path) -> Catalog:
    """Parse and validate one catalog file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the metric catalog ({exc})") from None
    entries = (raw or {}).get("metrics") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{path}: key 'metrics': expected a mapping of metric ids")
    metrics, rules = {}, {}
    for metric_id, entry in entries.items():
        metrics[metric_id], rules[metric_id] = _entry(path, metric_id, entry)
    return Catalog(metrics, rules, _fiscal_calendars(path, raw.get("fiscal_year_end") or {}))


def _fiscal_calendars(path: Path, raw: object) -> dict[str, int]:
    """Entity -> the month its fiscal year ends; ConfigError naming the key when one is not a month."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: key 'fiscal_year_end': expected a mapping of entity ids to months")
    for entity, month in raw.items():
        if not isinstance(month, int) or not 1 <= month <= 12:
            problem = f"expected a month number 1-12, got {month!r}"
            raise ConfigError(f"{path}: fiscal_year_end.{entity}: {problem}")
    return dict(raw)


def _entry(path: Path, metric_id: str, entry: dict) -> tuple[Metric, MatchRule]:
    """One metric and its rule; ConfigError naming the key when it is malformed."""
    try:
        metric = Metric(
            id=metric_id,
            entity=entry["entity"],
            unit=entry["unit"],
            kind=MetricKind(entry["kind"]),
            says=entry.get("says", ""),
            label=entry.get("label", metric_id),
        )
        rule = MatchRule(
            about=frozenset(entry.get("about") or [metric.entity]),
            units=frozenset(entry.get("units") or [metric.unit]),
            near=_compile([_cue(item) for item in entry["near"]]),
            implied=tuple(_implied_by(item) for item in entry["near"]),
            context=_compile(entry.get("context") or []),
            forbid=_compile(entry.get("forbid") or []),
            streak=bool(entry.get("streak", False)),
            signed=bool(entry.get("signed", False)),
            least=_bound(entry.get("least")),
            most=_bound(entry.get("most")),
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigError(f"{path}: metrics.{metric_id}: {exc}") from None
    return metric, rule


def _cue(item: str | dict) -> str:
    """A `near` item's pattern: the item itself, or its `cue` key."""
    return item["cue"] if isinstance(item, dict) else item


def _implied_by(item: str | dict) -> frozenset[str]:
    """The entities that satisfy a `near` item without its words being written."""
    return frozenset(item.get("implied_by") or []) if isinstance(item, dict) else frozenset()


def _bound(value: object) -> Decimal | None:
    """An optional numeric bound from the catalog."""
    return None if value is None else Decimal(str(value))


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    """Case-insensitive regexes."""
    return tuple(re.compile(p, re.IGNORECASE | re.ASCII) for p in patterns)  # \\b between 的 and MAU
