"""Which channel receives which change event: kinds, metrics and a minimum change."""

from __future__ import annotations

from collections.abc import Iterable

from core.config import AnyChannel
from core.types import ALERTING_KINDS, ChangeEvent, ChangeKind

__all__ = ["AnyChannel", "route", "wants"]


def wants(channel: AnyChannel, event: ChangeEvent) -> bool:
    """Whether the channel receives this event: kind, metric and minimum change."""
    if event.kind not in ALERTING_KINDS or event.kind not in channel.kinds:
        return False
    if channel.metrics is not None and event.metric not in channel.metrics:
        return False
    if event.kind is ChangeKind.UPDATED and event.change_pct is not None:
        return abs(float(event.change_pct)) >= channel.min_change_pct
    return True


def route(events: Iterable[ChangeEvent], channels: Iterable[AnyChannel]) -> list[tuple[str, ChangeEvent]]:
    """(channel name, event) for every pair that should become a pending delivery."""
    listed = list(events)
    return [(c.name, e) for c in channels for e in listed if wants(c, e)]
