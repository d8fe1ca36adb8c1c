"""Which sources are due for a poll: read from the store and the sources file, without Prefect.

``claimwatch run`` asks first, and when nothing is due it starts no flow at all (a flow run costs
seconds of Prefect start-up; answering "nothing due" costs a query).
"""

from __future__ import annotations

from datetime import datetime

from app.runtime import Runtime
from core.types import SourceState
from sources.registry import SOURCE_KINDS, SourceSpec, load_sources


def polled_sources(runtime: Runtime) -> list[SourceSpec]:
    """The enabled sources of the sources file that are polled on a schedule."""
    return [
        s
        for s in load_sources(runtime.config.sources_file)
        if s.enabled and SOURCE_KINDS[s.kind].mode == "poll"
    ]


def archive_note(runtime: Runtime) -> list[str]:
    """One line naming the enabled archive-kind sources the monitor leaves to the backfill (none: no line)."""
    names = [s.name for s in load_sources(runtime.config.sources_file)
             if s.enabled and SOURCE_KINDS[s.kind].mode == "archive"]
    if not names:
        return []
    return [f"not polled: {', '.join(names)} (archive kinds; `claimwatch backfill --sources` "
            "or the backfill-sources deployment replays them)"]


def due_sources(runtime: Runtime, now: datetime, force: bool) -> list[SourceSpec]:
    """The enabled polled sources, registered, whose next poll has come (all of them with ``force``)."""
    specs = polled_sources(runtime)
    known = {info.id: info.state for info in runtime.store.sources()}
    for spec in specs:
        if spec.name not in known:
            runtime.store.register_source(spec.name, spec.kind, spec.url, spec.interval * 60)
    return [s for s in specs if force or _is_due(known.get(s.name, SourceState()), now)]


def _is_due(state: SourceState, now: datetime) -> bool:
    """Whether a source's next poll has come."""
    return state.next_poll is None or state.next_poll <= now


def next_poll(runtime: Runtime) -> datetime | None:
    """When the first of the polled sources is next due; None when there is none."""
    names = {spec.name for spec in polled_sources(runtime)}
    polls = [
        i.state.next_poll for i in runtime.store.sources() if i.id in names and i.state.next_poll is not None
    ]
    return min(polls, default=None)
