"""The entity lexicon (data/entities.yaml): which names stand for which entity, in what role and calendar."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError

DEFAULT_LEXICON = Path(__file__).resolve().parents[1] / "data" / "entities.yaml"
ROLES = frozenset({"watched", "sibling", "rival"})
REFERENCE_KINDS = frozenset({"company", "unit", "model"})  # "the company", "the unit", "the model"
CALENDAR_YEAR_END = 12
_KEYS = frozenset({"id", "role", "names", "refers_back_as", "fiscal_year_end", "part_of", "group"})


@dataclass(frozen=True)
class Entry:
    """One entity of the lexicon."""

    id: str
    role: str
    names: tuple[str, ...]
    refers_back_as: tuple[str, ...] = ()
    fiscal_year_end: int = CALENDAR_YEAR_END
    part_of: str | None = None  # the company it belongs to: "the cloud division" of that company is this
    group: str | None = None  # the group it shares figures with (None: its own); another group's is a rival's


@dataclass(frozen=True)
class Lexicon:
    """Entries in match order, and one pattern that finds any of their names in a single pass."""

    entries: tuple[Entry, ...]
    pattern: re.Pattern[str]
    groups: Mapping[str, str] = field(default_factory=dict, compare=False)  # id -> group (asked per figure)

    def entry(self, group: str) -> Entry:
        """The entry whose name a match group ("e3") of ``pattern`` stands for."""
        return self.entries[int(group[1:])]

    @property
    def watched(self) -> frozenset[str]:
        """Ids of the watched entities."""
        return frozenset(e.id for e in self.entries if e.role == "watched")

    def kinds(self, entity: str) -> tuple[str, ...]:
        """What a definite description of this entity may say ("company", "unit", "model")."""
        return next((e.refers_back_as for e in self.entries if e.id == entity), ())

    def part(self, company: str, kind: str) -> str | None:
        """The watched part of a company that a definite description of this kind names ("the unit")."""
        return next((e.id for e in self.entries if e.part_of == company and kind in e.refers_back_as), None)

    def same_group(self, entity: str, other: str) -> bool:
        """Whether two entities are of one group (a figure near one may be the other's)."""
        return entity == other or self._group(entity) == self._group(other)

    def _group(self, entity: str) -> str:
        """An entity's group: its `group`, else its own id."""
        return self.groups.get(entity, entity)

    def parent(self, entity: str) -> str | None:
        """The company an entity is part of (``part_of``), if any."""
        return next((e.part_of for e in self.entries if e.id == entity), None)

    def fiscal_year_end(self, entity: str | None) -> int:
        """The month the entity's fiscal year ends (12 when it reports by the calendar year or is unknown)."""
        return next((e.fiscal_year_end for e in self.entries if e.id == entity), CALENDAR_YEAR_END)


def build(entries: list[Entry], origins: Mapping[str, Path] | None = None) -> Lexicon:
    """A lexicon over entries in match order; ConfigError, naming the entry's file from ``origins``, for a
    part of a company that is not in it."""
    ids = {e.id for e in entries}
    for entry in entries:
        if entry.part_of is not None and entry.part_of not in ids:
            where = (origins or {}).get(entry.id, DEFAULT_LEXICON)
            raise ConfigError(f"{where}: entities.{entry.id}.part_of: no entity {entry.part_of!r}")
    alternatives = "|".join(f"(?P<e{i}>{'|'.join(e.names)})" for i, e in enumerate(entries))
    # ASCII: a Latin name is a word of its own beside Chinese characters ("CIG收入", "的Qwen")
    groups = {e.id: e.group or e.id for e in entries}
    return Lexicon(tuple(entries), re.compile(alternatives, re.ASCII), groups)


def parse_entries(path: Path, raw: object) -> list[Entry]:
    """Entries from a file's `entities` list; ConfigError naming file, key and problem for a malformed one."""
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: entities: expected a list of entities")
    entries = [_entry(path, index, item) for index, item in enumerate(raw)]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ConfigError(f"{path}: entities.{entry.id}: the id is given twice")
        seen.add(entry.id)
    return entries


def parse_terms(path: Path, raw: object) -> tuple[str, ...]:
    """A file's `watch_terms`: words or phrases matched literally; ConfigError naming the file otherwise."""
    if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
        raise ConfigError(f"{path}: watch_terms: expected a list of words or phrases")
    return tuple(raw)


def plain_names(entries: list[Entry]) -> tuple[str, ...]:
    """The names of watched entries that are plain words (no regex syntax): watch terms as they stand."""
    return tuple(
        n for e in entries if e.role == "watched" for n in e.names if re.escape(n).replace("\\ ", " ") == n
    )


def merge(base: list[Entry], extra: list[Entry]) -> list[Entry]:
    """A user's entries over the bundled ones: one with a known id replaces it, new ones are tried first."""
    by_id = {e.id: e for e in extra}
    replaced = [by_id.pop(e.id, e) for e in base]
    return [e for e in extra if e.id in by_id] + replaced


def _entry(path: Path, index: int, item: object) -> Entry:
    """One entry, validated strictly."""
    where = f"{path}: entities[{index}]"
    item = checked_mapping(where, item, _KEYS, "a mapping with id, role and names")
    entity = item.get("id")
    if not isinstance(entity, str) or not entity:
        raise ConfigError(f"{where}.id: expected an entity id")
    where = f"{path}: entities.{entity}"
    return Entry(
        entity,
        _role(where, item.get("role")),
        _names(where, item.get("names")),
        _kinds(where, item.get("refers_back_as") or []),
        _month(where, item.get("fiscal_year_end", CALENDAR_YEAR_END)),
        _part_of(where, item.get("part_of")),
        _group(where, item.get("group")),
    )


def checked_mapping(where: str, item: object, known: frozenset[str], expected: str) -> dict:
    """The item as a mapping of known keys only; ConfigError naming where and the first unknown key."""
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected {expected}")
    unknown = sorted(set(item) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    return item


def _role(where: str, role: object) -> str:
    """A known role."""
    if role not in ROLES:
        raise ConfigError(f"{where}.role: expected one of {', '.join(sorted(ROLES))}, got {role!r}")
    return str(role)


def _names(where: str, names: object) -> tuple[str, ...]:
    """Name patterns that compile, and do not capture (capturing groups would shift the match groups)."""
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"{where}.names: expected a list of regular expressions")
    for index, name in enumerate(names):
        try:
            compiled = re.compile(name)
        except re.error as exc:
            raise ConfigError(f"{where}.names[{index}]: {name!r} is no regular expression ({exc})") from None
        if compiled.groups:
            problem = "has a capturing group; write (?:...) instead"
            raise ConfigError(f"{where}.names[{index}]: {name!r} {problem}")
    return tuple(names)


def _kinds(where: str, kinds: object) -> tuple[str, ...]:
    """Known kinds of definite description."""
    if not isinstance(kinds, list) or not set(kinds) <= REFERENCE_KINDS:
        known = ", ".join(sorted(REFERENCE_KINDS))
        raise ConfigError(f"{where}.refers_back_as: expected some of {known}")
    return tuple(kinds)


def _part_of(where: str, company: object) -> str | None:
    """The id of the company an entity belongs to, if given."""
    if company is not None and (not isinstance(company, str) or not company):
        raise ConfigError(f"{where}.part_of: expected an entity id, got {company!r}")
    return company


def _group(where: str, group: object) -> str | None:
    """The name of an entity's group, if given."""
    if group is not None and (not isinstance(group, str) or not group):
        raise ConfigError(f"{where}.group: expected a group name, got {group!r}")
    return group


def _month(where: str, month: object) -> int:
    """A month number."""
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise ConfigError(f"{where}.fiscal_year_end: expected a month number 1-12, got {month!r}")
    return month
