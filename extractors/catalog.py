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
from extractors.lexicon import (
    DEFAULT_LEXICON,
    Lexicon,
    build,
    checked_mapping,
    merge,
    parse_entries,
    parse_terms,
    plain_names,
)

DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "data" / "metrics.yaml"


@dataclass(frozen=True)
class MatchRule:
    """How to recognise a metric in a sentence (see the header of data/metrics.yaml)."""

    about: frozenset[str]
    units: frozenset[str]
    near: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...] = ()
    forbid: tuple[re.Pattern[str], ...] = ()
    # per `forbid` cue: entities that own such words harmlessly ("the cloud unit's total revenue" is its own)
    unless: tuple[frozenset[str], ...] = ()
    streak: bool = False
    signed: bool = False  # a change: a figure stated as a fall is negative ("revenue decreased by 2%")
    # per `near` cue: entities whose name already says it (the cloud unit's revenue is cloud revenue)
    implied: tuple[frozenset[str], ...] = ()
    least: Decimal | None = None  # smallest plausible value: smaller figures are about something else
    most: Decimal | None = None  # largest plausible value


@dataclass(frozen=True)
class Catalog:
    """The tracked metrics and their match rules by metric id (in file order), the entity lexicon, and the
    terms that make a feed entry worth fetching."""

    metrics: dict[str, Metric]
    rules: dict[str, MatchRule] = field(default_factory=dict)
    lexicon: Lexicon = field(default_factory=lambda: _bundled_lexicon())
    watch_terms: tuple[str, ...] = ()

    def fiscal_year_end_of(self, entity: str | None) -> int:
        """The month an entity's fiscal year ends (12: the calendar year, when the lexicon gives none)."""
        return self.lexicon.fiscal_year_end(entity)

    def get(self, metric_id: str) -> Metric:
        """The metric with this id; ConfigError when the catalog has none."""
        try:
            return self.metrics[metric_id]
        except KeyError:
            raise ConfigError(f"metric catalog: no metric {metric_id!r}") from None


METRICS_KEYS = frozenset({"metrics", "money", "entities"})  # data/metrics.yaml (`money`: a YAML anchor)
LEXICON_KEYS = frozenset({"entities", "watch_terms"})  # data/entities.yaml
USER_KEYS = frozenset({"entities", "metrics", "watch_terms"})  # a user catalog (the config's `catalog`)


def load_catalog(path: Path | None = None, user: Path | None = None) -> Catalog:
    """The bundled catalog (data/metrics.yaml and data/entities.yaml), or ``path``, with a user catalog's
    entities and metrics added or overriding (``user``, the config's `catalog`); cached per pair of paths."""
    return _load(Path(path or DEFAULT_CATALOG).resolve(), Path(user).expanduser().resolve() if user else None)


@lru_cache(maxsize=8)
def _load(path: Path, user: Path | None) -> Catalog:
    """Parse and validate the catalog files."""
    shipped = _lexicon_file()
    entries = parse_entries(DEFAULT_LEXICON, shipped.get("entities"))
    terms = parse_terms(DEFAULT_LEXICON, shipped.get("watch_terms", []))
    origins: dict[str, Path] = {e.id: DEFAULT_LEXICON for e in entries}
    raw = _read(path)
    _only_keys(path, raw, METRICS_KEYS)
    metrics_raw = {mid: (path, entry) for mid, entry in _metrics_mapping(path, raw).items()}
    if user is not None:
        extra = _user_file(user)
        added = parse_entries(user, extra.get("entities") or [])
        entries = merge(entries, added)
        origins.update((e.id, user) for e in added)
        terms = (*terms, *parse_terms(user, extra.get("watch_terms", [])), *plain_names(added))
        theirs = _metrics_mapping(user, extra, required=False)
        metrics_raw.update((metric_id, (user, entry)) for metric_id, entry in theirs.items())
    lexicon = build(entries, origins)
    metrics, rules = {}, {}
    for metric_id, (source, entry) in metrics_raw.items():
        metrics[metric_id], rules[metric_id] = _entry(source, metric_id, entry, lexicon.watched)
    return Catalog(metrics, rules, lexicon, tuple(dict.fromkeys(terms)))


def default_lexicon() -> Lexicon:
    """The bundled entity lexicon (data/entities.yaml)."""
    return _bundled_lexicon()


@lru_cache(maxsize=1)
def _bundled_lexicon() -> Lexicon:
    """The bundled entity lexicon alone."""
    return build(parse_entries(DEFAULT_LEXICON, _lexicon_file().get("entities")))


def _lexicon_file() -> dict:
    """data/entities.yaml's top-level mapping, with known keys only."""
    raw = _read(DEFAULT_LEXICON)
    _only_keys(DEFAULT_LEXICON, raw, LEXICON_KEYS)
    return raw


def _user_file(path: Path) -> dict:
    """A user catalog's top-level mapping; one line when the file is missing or has a key of no meaning."""
    if not path.is_file():
        raise ConfigError(f"{path}: catalog file not found (config key `catalog`)")
    raw = _read(path)
    _only_keys(path, raw, USER_KEYS)
    return raw


def _read(path: Path) -> dict:
    """A YAML file's top-level mapping; ConfigError naming the file when it cannot be read."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the catalog ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return raw


def _only_keys(path: Path, raw: dict, known: set[str]) -> None:
    """ConfigError naming the first key that is not a known one."""
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _metrics_mapping(path: Path, raw: dict, required: bool = True) -> dict:
    """The `metrics` mapping of a catalog file."""
    entries = raw.get("metrics")
    if entries is None and not required:
        return {}
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{path}: metrics: expected a mapping of metric ids")
    return entries


_METRIC_KEYS = frozenset(
    {"entity", "unit", "kind", "says", "label", "about", "units", "near", "context", "forbid", "streak",
     "signed", "least", "most"}
)  # fmt: skip


def _entry(path: Path, metric_id: str, entry: object, watched: frozenset[str]) -> tuple[Metric, MatchRule]:
    """One metric and its rule; ConfigError naming the file, the key and the problem when it is malformed."""
    where = f"{path}: metrics.{metric_id}"
    entry = checked_mapping(where, entry, _METRIC_KEYS, "a mapping")
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
            near=tuple(_pattern(f"{where}.near[{i}]", _cue(item)) for i, item in enumerate(entry["near"])),
            implied=tuple(_entities(item, "implied_by") for item in entry["near"]),
            context=_patterns(f"{where}.context", entry.get("context") or []),
            forbid=tuple(
                _pattern(f"{where}.forbid[{i}]", _cue(cue)) for i, cue in enumerate(entry.get("forbid") or [])
            ),
            unless=_unless(entry.get("forbid") or []),
            streak=bool(entry.get("streak", False)),
            signed=bool(entry.get("signed", False)),
            least=_bound(entry.get("least")),
            most=_bound(entry.get("most")),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing key {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    named = {e for group in (*rule.implied, *rule.unless) for e in group}
    _known_entities(where, {metric.entity, *rule.about, *named}, watched)
    return metric, rule


def _known_entities(where: str, ids: set[str], watched: frozenset[str]) -> None:
    """ConfigError naming an entity id that the lexicon does not watch."""
    unknown = sorted(ids - watched)
    if unknown:
        raise ConfigError(f"{where}: unknown entity {unknown[0]!r} (watched: {', '.join(sorted(watched))})")


def _cue(item: str | list | dict) -> str | list:
    """A `near` or `forbid` item's pattern: the item itself, or its `cue` key."""
    if isinstance(item, dict):
        unknown = sorted(set(item) - {"cue", "implied_by", "unless"})
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} in a cue")
        return item["cue"]
    return item


def _entities(item: str | list | dict, key: str) -> frozenset[str]:
    """A cue's entity list under ``key`` (`implied_by` for `near`, `unless` for `forbid`), else none."""
    return frozenset(item.get(key) or []) if isinstance(item, dict) else frozenset()


def _unless(items: list) -> tuple[frozenset[str], ...]:
    """Per `forbid` item, the entities it spares; empty when it spares none (the common, fast case)."""
    unless = tuple(_entities(item, "unless") for item in items)
    return unless if any(unless) else ()


def _bound(value: object) -> Decimal | None:
    """An optional numeric bound from the catalog."""
    return None if value is None else Decimal(str(value))


def _patterns(where: str, items: list) -> tuple[re.Pattern[str], ...]:
    """Each item a pattern (an item that is a list: its alternatives)."""
    return tuple(_pattern(f"{where}[{i}]", item) for i, item in enumerate(items))


def _pattern(where: str, item: str | list) -> re.Pattern[str]:
    """A case-insensitive regex from a string or a list of alternatives; ConfigError naming a bad one."""
    alternatives = item if isinstance(item, list) else [item]
    for alternative in alternatives:
        try:
            re.compile(alternative)
        except (re.error, TypeError) as exc:
            raise ConfigError(f"{where}: {alternative!r} is no regular expression ({exc})") from None
    # ASCII: \b between 的 and MAU (Chinese characters are no word characters for a Latin cue)
    return re.compile("|".join(alternatives), re.IGNORECASE | re.ASCII)
