"""The ``wayback`` kind: one Wayback Machine snapshot, replayed by the backfill."""

from __future__ import annotations

from collections.abc import Iterator

from core.errors import InputError
from sources.archive import WAYBACK_BASE, ArchiveItem, parse_snapshot_url, snapshot_item
from sources.kinds.base import ArchiveKind, web_url_problem
from sources.spec import SourceSpec


class WaybackKind(ArchiveKind):
    """One snapshot, read as archived (raw ``id_`` mode)."""

    kind = "wayback"
    description = "one Wayback Machine snapshot"
    location = "a snapshot URL, https://web.archive.org/web/<timestamp>/<url>"

    def check_location(self, location: str) -> str | None:
        """An http(s) snapshot URL with its /web/<timestamp>/ path."""
        if problem := web_url_problem(location):
            return problem
        try:
            parse_snapshot_url(location)
        except InputError:
            return "must be a Wayback /web/<timestamp>/<url> URL"
        return None

    def items(self, spec: SourceSpec, base: str = WAYBACK_BASE,
              user_agent: str | None = None) -> Iterator[ArchiveItem]:
        """The snapshot, fetched from ``base``."""
        yield snapshot_item(spec.url, base)
