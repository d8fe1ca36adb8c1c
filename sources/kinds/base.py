"""What every source kind shares: the base classes a kind's module subclasses, and PollResult.

A kind says what its entries in ``data/sources.yaml`` may hold (``keys``, a location check, options)
and how it is read: a ``PollKind`` is polled by the monitor on its interval, an ``ArchiveKind`` is
replayed by ``claimwatch backfill --sources`` (the ``backfill-sources`` deployment), never polled.
Adding a kind is one module in sources/kinds/ plus one line in ``sources/kinds/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from core.types import SourceState
from sources.archive import WAYBACK_BASE, ArchiveItem
from sources.feeds import FeedEntry
from sources.http import HttpClient
from sources.spec import SourceSpec

COMMON_KEYS = frozenset({"name", "kind", "url", "terms", "language", "enabled"})


@dataclass(frozen=True)
class PollResult:
    """What polling one source gave: new entries, or a 304, or an error."""

    source: str
    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None


class SourceKind:
    """What every source kind declares: its name, how it is read, what its entries may hold."""

    kind: ClassVar[str]
    mode: ClassVar[Literal["poll", "archive"]]
    description: ClassVar[str]  # one line for `claimwatch kinds` and the README
    location: ClassVar[str]  # what ``url`` holds for this kind, for `claimwatch kinds`
    options: ClassVar[frozenset[str]] = frozenset()  # keys only this kind accepts

    @property
    def keys(self) -> frozenset[str]:
        """Every key an entry of this kind may have."""
        return COMMON_KEYS | self.options

    def check_location(self, location: str) -> str | None:
        """A problem with the entry's ``url``, or None when it is fine."""
        return None if location.strip() else "must not be empty"

    def resolve_location(self, location: str, folder: Path | None) -> str:
        """The location as stored: a local path made absolute against the sources file's ``folder``."""
        return location

    def parse_options(self, item: Mapping[str, object], where: str) -> tuple[tuple[str, str], ...]:
        """The entry's own keys (``options``) as text; ConfigError naming the first bad one."""
        return ()


class PollKind(SourceKind):
    """A source polled by the monitor every ``interval`` minutes."""

    mode = "poll"

    @property
    def keys(self) -> frozenset[str]:
        """Every key an entry may have: a polled one needs its interval."""
        return COMMON_KEYS | self.options | {"interval"}

    def check_location(self, location: str) -> str | None:
        """A polled source is fetched over the web: an http(s) URL."""
        return web_url_problem(location)

    def poll(self, client: HttpClient, spec: SourceSpec, state: SourceState) -> PollResult:
        """New entries since ``state`` (its validators); raise a ClaimwatchError on failure."""
        raise NotImplementedError


class ArchiveKind(SourceKind):
    """A source replayed in capture order by the backfill, never polled (so it has no interval)."""

    mode = "archive"

    def check(self, spec: SourceSpec) -> None:
        """Raise InputError when the entry cannot be read now (a missing file), before a flow starts."""

    def items(self, spec: SourceSpec, base: str = WAYBACK_BASE,
              user_agent: str | None = None) -> Iterator[ArchiveItem]:
        """The entry's archived pages, lazily; ``base`` is the Wayback server."""
        raise NotImplementedError


def web_url_problem(location: str) -> str | None:
    """A problem with an http(s) URL, or None."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an http(s) URL"
    return None
