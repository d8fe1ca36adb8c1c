"""The ``urls`` kind: a file of URLs (snapshot or live), one a line, replayed by the backfill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sources.archive import WAYBACK_BASE, ArchiveItem, items_from_url_file
from sources.kinds.files import FileKind
from sources.spec import SourceSpec


class UrlsKind(FileKind):
    """A URL file: ``#`` comments, Wayback snapshot URLs or live pages."""

    kind = "urls"
    description = "a file of URLs, one a line"
    location = "the file's path (relative to the sources file)"

    def check(self, spec: SourceSpec) -> None:
        """Every line readable and a URL."""
        for _ in self.items(spec):
            pass

    def items(self, spec: SourceSpec, base: str = WAYBACK_BASE,
              user_agent: str | None = None) -> Iterator[ArchiveItem]:
        """The file's URLs, read lazily; InputError naming the file for a bad line or an unreadable file."""
        yield from items_from_url_file(Path(spec.url), base)
