"""The source registry: ``data/sources.yaml`` loaded into frozen SourceSpecs, and the source kinds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml

from core.errors import ConfigError

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parents[1] / "data" / "sources.yaml"
MIN_INTERVAL = 5  # minutes; polling a newsroom more often is rude and finds nothing new
SPEC_KEYS = frozenset({"name", "kind", "url", "interval", "terms", "language", "enabled"})


@dataclass(frozen=True)
class SourceSpec:
    """One configured source."""

    name: str
    kind: str
    url: str
    interval: int  # minutes between polls
    terms: tuple[str, ...] = ()  # extra watch terms; empty means the global watch list
    language: str | None = None
    enabled: bool = True

    @property
    def interval_delta(self) -> timedelta:
        """The polling interval as a timedelta."""
        return timedelta(minutes=self.interval)


@dataclass(frozen=True)
class SourceKind:
    """What a kind of source is: polled on a schedule, or replayed once for backfill."""

    kind: str
    mode: Literal["poll", "archive"]
    check_location: Callable[[str], str | None]  # returns a problem, or None when the location is fine
    description: str


def _web_url(location: str) -> str | None:
    """A problem with an http(s) URL, or None."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an http(s) URL"
    return None


def _wayback_url(location: str) -> str | None:
    """A problem with a Wayback snapshot URL, or None."""
    return _web_url(location) or (None if "/web/" in location else "must be a Wayback /web/<timestamp>/<url> URL")


def _anything(location: str) -> str | None:
    """Paths and CDX patterns are checked when used (a path may not exist yet)."""
    return None if location.strip() else "must not be empty"


SOURCE_KINDS: dict[str, SourceKind] = {
    k.kind: k
    for k in (
        SourceKind("feed", "poll", _web_url, "RSS, Atom or JSON Feed, polled with conditional GET"),
        SourceKind("page", "poll", _web_url, "a newsroom or listing page whose links are followed"),
        SourceKind("wayback", "archive", _wayback_url, "one Wayback Machine snapshot"),
        SourceKind("cdx", "archive", _anything, "a Wayback CDX search; url is the pattern, e.g. qwenlm.github.io/blog/"),
        SourceKind("urls", "archive", _anything, "a file of URLs, one a line"),
        SourceKind("dir", "archive", _anything, "a folder of saved HTML pages"),
    )
}


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
    specs = [_spec(item, f"{origin}: sources[{i}]") for i, item in enumerate(data["sources"])]
    names = [s.name for s in specs]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise ConfigError(f"{origin}: sources: name {duplicate!r} is used twice")
    return specs


def _spec(item: object, where: str) -> SourceSpec:
    """One SourceSpec from a mapping, or a ConfigError naming the key."""
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with name, kind, url and interval")
    unknown = sorted(set(item) - SPEC_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key")
    name = _text(item, "name", where)
    kind = _text(item, "kind", where)
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not one of {', '.join(sorted(SOURCE_KINDS))}")
    url = _text(item, "url", where)
    problem = SOURCE_KINDS[kind].check_location(url)
    if problem:
        raise ConfigError(f"{where}.url: {problem} (got {url!r})")
    language, enabled = item.get("language"), item.get("enabled", True)
    if language is not None and not isinstance(language, str):
        raise ConfigError(f"{where}.language: expected a language code such as 'en' or 'zh'")
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled: expected true or false")
    return SourceSpec(name, kind, url, _interval(item, where), _terms(item, where), language, enabled)


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
