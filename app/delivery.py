"""Delivering the outbox: pending rows from storage, sent through alerts/, results recorded."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from alerts.context import AlertContext
from alerts.deliver import DeliveryResult, deliver
from alerts.secrets import SecretResolver
from app.pipeline import Pipeline
from app.stopping import STOP
from core.types import ChangeEvent, Claim
from storage import PendingDelivery, Store

HISTORY_IN_ALERT = 5  # recent values shown in an alert body: enough to see a trend, short enough to read
LEASE = timedelta(minutes=10)  # a run's rows are hidden from concurrent runs this long; far above a send


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery step did."""

    sent: int
    failed: int
    errors: tuple[str, ...]


def alert_context(pipeline: Pipeline, events: Sequence[ChangeEvent]) -> AlertContext:
    """What composition needs about these events, read from storage and the catalog."""
    store = pipeline.store
    metrics = {e.metric for e in events if e.metric}
    history = {m: recent(store.claims(m)) for m in metrics}
    claims = [c for e in events for c in (e.claim, e.previous) if c is not None]
    info = store.article_info([c.source for c in claims])
    return AlertContext(
        metrics={m: pipeline.catalog.get(m) for m in metrics},
        history=history,
        publishers={s: a.publisher for s, a in info.items() if a.publisher},
        urls={s: a.url for s, a in info.items() if a.url},
        citations={e.key: _others(store, e) for e in events},
    )


def _others(store: Store, event: ChangeEvent) -> list[str]:
    """The other sources that stated the event's figure (never the event's own)."""
    return [c.source for c in store.event_citations(event) if c.source != event.claim.source]


def recent(claims: Sequence[Claim]) -> list[Claim]:
    """The latest few figures by date (as-of, then publication), oldest first.

    Not the last few stored: a backfilled old figure stored last is not the latest.
    """
    dated = sorted(claims, key=lambda c: (c.as_of or date.min, c.published.day if c.published else date.min))
    return dated[-HISTORY_IN_ALERT:]


def deliver_pending(pipeline: Pipeline, resolve: SecretResolver, *, channels: Collection[str] | None = None,
                    due_only: bool = True, stop: Callable[[], bool] = STOP.is_set) -> DeliveryReport:
    """Send the due (or all) rows of ``channels`` (default: every channel), recording each result; when the
    run is stopping, what is not sent yet goes back to the outbox, due at once."""
    rows = _take(pipeline, channels, due_only)
    if not rows:
        return DeliveryReport(0, 0, ())
    results = deliver(rows, pipeline.config.channels, lambda events: alert_context(pipeline, events), resolve,
                      record=lambda done: _record(pipeline, done), stop=stop)
    untried = {r.id for r in rows} - {r.id for r in results}
    if untried:
        pipeline.store.release(sorted(untried))
    failed = [r for r in results if not r.ok]
    return DeliveryReport(len(results) - len(failed), len(failed), tuple(dict.fromkeys(r.error or "" for r in failed)))


def _take(pipeline: Pipeline, channels: Collection[str] | None, due_only: bool) -> list[PendingDelivery]:
    """Lease the rows, so two concurrent runs never send the same alert."""
    names: list[str | None] = list(channels) if channels is not None else [None]
    return [row for name in names for row in pipeline.store.pending(name, due_only=due_only, lease=LEASE)]


def _record(pipeline: Pipeline, results: Sequence[DeliveryResult]) -> None:
    """Mark sent rows sent and failed rows failed, with their next attempt."""
    sent = [r.id for r in results if r.ok]
    if sent:
        pipeline.store.mark_sent(sent)
    for result in results:
        if not result.ok:
            pipeline.store.mark_failed([result.id], result.error or "failed", result.next_attempt_at)
