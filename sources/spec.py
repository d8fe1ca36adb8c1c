"""SourceSpec: one configured source, as ``data/sources.yaml`` describes it (see sources.registry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SourceSpec:
    """One configured source."""

    name: str
    kind: str
    url: str
    interval: int  # minutes between polls; 0 for an archive kind, which is replayed, not polled
    terms: tuple[str, ...] = ()  # extra watch terms; empty means the global watch list
    language: str | None = None
    enabled: bool = True
    options: tuple[tuple[str, str], ...] = ()  # keys only its kind accepts (a CDX search's match), as text

    @property
    def interval_delta(self) -> timedelta:
        """The polling interval as a timedelta."""
        return timedelta(minutes=self.interval)

    def option(self, key: str) -> str | None:
        """One of the kind's own keys, or None when the entry does not set it."""
        return dict(self.options).get(key)
