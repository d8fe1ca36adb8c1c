"""The input of composition: what the caller knows about metrics, history and sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.types import ChangeEvent, Claim, Metric

WEB_SCHEMES = ("http://", "https://")  # anything else (javascript:, file:) never becomes a link


@dataclass(frozen=True)
class AlertContext:
    """What composition needs beyond the events, assembled by the caller from storage."""

    metrics: Mapping[str, Metric] = field(default_factory=dict)
    history: Mapping[str, Sequence[Claim]] = field(default_factory=dict)  # metric id → claims, oldest first
    publishers: Mapping[str, str] = field(default_factory=dict)  # claim source → publisher name
    urls: Mapping[str, str] = field(default_factory=dict)  # claim source → link, when the source is no URL
    citations: Mapping[str, Sequence[str]] = field(default_factory=dict)  # event key → more sources

    def label(self, metric: str | None, entity: str) -> str:
        """The metric's catalog label, else its id, else the entity."""
        found = self.metrics.get(metric) if metric else None
        return (found.label or found.id) if found else (metric or entity)

    def link(self, source: str) -> str:
        """A link for a claim source: the known URL, the source when it is one, else ""."""
        link = self.urls.get(source, source)
        return link if link.startswith(WEB_SCHEMES) else ""

    def sources_citing(self, event: ChangeEvent) -> list[str]:
        """Every other source that stated the event's figure, in order, without repeats (never its own)."""
        own = {event.claim.source, self.urls.get(event.claim.source, event.claim.source)}
        found = [*event.citations, *self.citations.get(event.key, ())]
        return [source for source in dict.fromkeys(found) if source not in own]
