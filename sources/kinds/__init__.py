"""The source kinds, registered once: a kind is one module here and one line in ``SOURCE_KINDS``.

``sources.kinds.base`` holds what they share (SourceKind, PollKind, ArchiveKind, PollResult).
"""

from __future__ import annotations

from core.errors import ConfigError
from sources.kinds.base import ArchiveKind, PollKind, PollResult, SourceKind
from sources.kinds.cdx import CdxKind
from sources.kinds.dir import DirKind
from sources.kinds.feed import FeedKind
from sources.kinds.page import PageKind
from sources.kinds.urls import UrlsKind
from sources.kinds.wayback import WaybackKind

SOURCE_KINDS: dict[str, SourceKind] = {
    k.kind: k for k in (FeedKind(), PageKind(), WaybackKind(), CdxKind(), UrlsKind(), DirKind())
}

__all__ = ["SOURCE_KINDS", "ArchiveKind", "PollKind", "PollResult", "SourceKind", "archive_kind", "kinds_of",
           "poll_kind"]


def poll_kind(kind: str) -> PollKind:
    """The polled kind registered as ``kind``; ConfigError for an unknown or archive kind."""
    found = SOURCE_KINDS.get(kind)
    if not isinstance(found, PollKind):
        raise ConfigError(f"source kind {kind!r} is not polled (polled kinds: {', '.join(kinds_of('poll'))})")
    return found


def kinds_of(mode: str) -> list[str]:
    """The kinds of one mode ("poll" or "archive"), in registry order."""
    return [k.kind for k in SOURCE_KINDS.values() if k.mode == mode]


def archive_kind(kind: str) -> ArchiveKind:
    """The archive kind registered as ``kind``; ConfigError for an unknown or polled kind."""
    found = SOURCE_KINDS.get(kind)
    if not isinstance(found, ArchiveKind):
        raise ConfigError(f"source kind {kind!r} is not an archive kind ({', '.join(kinds_of('archive'))})")
    return found
