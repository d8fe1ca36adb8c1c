"""The source registry: ``data/sources.yaml`` loaded into frozen SourceSpecs, each checked by its kind.

The kinds themselves are classes in ``sources/kinds/`` (``SOURCE_KINDS``); what an entry may hold
comes from its kind: a polled kind needs an ``interval``, an archive kind has none (the backfill
replays it), a CDX search may add ``match``, ``from`` and ``to``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from core.errors import ConfigError
from sources.kinds import SOURCE_KINDS, SourceKind
from sources.spec import SourceSpec

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parents[1] / "data" / "sources.yaml"
MIN_INTERVAL = 5  # minutes; polling a newsroom more often is rude and finds nothing new

__all__ = ["SOURCE_KINDS", "SourceKind", "SourceSpec", "load_sources", "parse_sources", "kinds_markdown"]


def load_sources(path: Path | None = None) -> list[SourceSpec]:
    """Read and validate a sources file; every problem names the file and the key."""
    target = path or DEFAULT_SOURCES_FILE
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{target}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{target}: not valid YAML: {exc}") from None
    return parse_sources(data, target)


def parse_sources(data: object, origin: Path | str = "<sources>") -> list[SourceSpec]:
    """Validate parsed YAML (``{sources: [...]}``) as SourceSpecs with unique names."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ConfigError(f"{origin}: sources: expected a list under the top-level key 'sources'")
    folder = Path(origin).parent if isinstance(origin, Path) else None
    specs = [_spec(item, f"{origin}: sources[{i}]", folder) for i, item in enumerate(data["sources"])]
    names = [s.name for s in specs]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ConfigError(f"{origin}: sources: name {duplicate!r} is used twice")
    return specs


def _spec(item: object, where: str, folder: Path | None = None) -> SourceSpec:
    """One SourceSpec from a mapping, checked by its kind; a ConfigError naming the key otherwise."""
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with name, kind and url (and interval, if polled)")
    name, kind = _text(item, "name", where), _kind(item, where)
    unknown = sorted(set(item) - kind.keys)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: {_not_for(unknown[0], kind)}")
    url = _text(item, "url", where)
    problem = kind.check_location(url)
    if problem:
        raise ConfigError(f"{where}.url: {problem} (got {url!r})")
    language, enabled = item.get("language"), item.get("enabled", True)
    if language is not None and not isinstance(language, str):
        raise ConfigError(f"{where}.language: expected a language code such as 'en' or 'zh'")
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled: expected true or false")
    interval = _interval(item, where) if kind.mode == "poll" else 0
    return SourceSpec(name, kind.kind, kind.resolve_location(url, folder), interval, _terms(item, where),
                      language, enabled, kind.parse_options(item, where))


def _kind(item: dict, where: str) -> SourceKind:
    """The entry's registered kind."""
    kind = _text(item, "kind", where)
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not one of {', '.join(sorted(SOURCE_KINDS))}")
    return SOURCE_KINDS[kind]


def _not_for(key: str, kind: SourceKind) -> str:
    """Why a key is refused: unknown anywhere, or known but not for this kind (an archive kind's interval)."""
    if key == "interval" and kind.mode == "archive":
        return (f"a {kind.kind} source is not polled: `claimwatch backfill --sources` (the backfill-sources "
                "deployment) replays it; remove interval")
    if any(key in k.keys for k in SOURCE_KINDS.values()):
        return f"not a key of a {kind.kind} source"
    return "unknown key"


def _text(item: dict, key: str, where: str) -> str:
    """A required non-empty string value."""
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}: required, a non-empty string")
    return value.strip()


def _interval(item: dict, where: str) -> int:
    """The polling interval in minutes, at least MIN_INTERVAL."""
    value = item.get("interval")
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_INTERVAL:
        raise ConfigError(f"{where}.interval: required, whole minutes, at least {MIN_INTERVAL} (got {value!r})")
    return value


def _terms(item: dict, where: str) -> tuple[str, ...]:
    """Optional extra watch terms."""
    value = item.get("terms", [])
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise ConfigError(f"{where}.terms: expected a list of non-empty strings")
    return tuple(t.strip() for t in value)


def kinds_markdown() -> str:
    """The source kinds as a markdown table, from their classes (for the README and `claimwatch kinds`)."""
    lines = ["| kind | read by | url | what it is |", "|---|---|---|---|"]
    for k in SOURCE_KINDS.values():
        runner = "monitor, every interval" if k.mode == "poll" else "backfill --sources"
        lines.append(f"| `{k.kind}` | {runner} | {k.location} | {k.description} |")
    return "\n".join(lines)
