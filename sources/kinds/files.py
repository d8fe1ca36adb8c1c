"""What the two kinds read from disk share: a path, relative to the sources file that names it."""

from __future__ import annotations

from pathlib import Path

from sources.kinds.base import ArchiveKind


class FileKind(ArchiveKind):
    """An archive kind whose ``url`` is a local path (``~`` expanded, relative to the sources file)."""

    def resolve_location(self, location: str, folder: Path | None) -> str:
        """The path made absolute against ``folder`` (the sources file's), so the cwd does not matter."""
        path = Path(location).expanduser()
        return str(path if path.is_absolute() or folder is None else folder / path)
