"""The ``dir`` kind: a folder of saved HTML pages, replayed by the backfill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from core.errors import InputError
from sources.archive import WAYBACK_BASE, ArchiveItem, items_from_dir
from sources.kinds.files import FileKind
from sources.spec import SourceSpec


class DirKind(FileKind):
    """Saved pages (.html, .htm, .xhtml) under a folder, each dated by its own publication date."""

    kind = "dir"
    description = "a folder of saved HTML pages"
    location = "the folder's path (relative to the sources file)"

    def check(self, spec: SourceSpec) -> None:
        """The folder is there."""
        if not Path(spec.url).is_dir():
            raise InputError(f"{spec.url}: no such folder")

    def items(self, spec: SourceSpec, base: str = WAYBACK_BASE,
              user_agent: str | None = None) -> Iterator[ArchiveItem]:
        """The folder's saved pages, in name order."""
        self.check(spec)
        yield from items_from_dir(Path(spec.url))
