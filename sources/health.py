"""Per-source health: when to poll next, and when a source has gone quiet (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from core.types import SourceState
from sources.registry import SourceSpec

MAX_BACKOFF = timedelta(hours=12)  # a failing source is retried at least twice a day, never dropped
MAX_DOUBLINGS = 10  # 2**10 intervals is past any cap; stops the exponent from growing without end
SILENCE_FACTOR = 3.0  # three missed intervals is unusual enough to warn about


def next_poll(state: SourceState, spec: SourceSpec, now: datetime, ok: bool) -> datetime:
    """When to poll again: the interval after success, doubling per consecutive failure (capped)."""
    interval = spec.interval_delta
    if ok:
        return now + interval
    failures = state.consecutive_failures + 1  # counting this one
    backoff = interval * 2 ** min(failures, MAX_DOUBLINGS)
    return now + max(interval, min(backoff, MAX_BACKOFF))


def record_poll(state: SourceState, spec: SourceSpec, now: datetime, *, error: str | None = None,
                etag: str | None = None, last_modified: str | None = None,
                warnings: Sequence[str] = ()) -> SourceState:
    """The state after one poll: success (``error`` None) resets the failure count and keeps validators;
    the poll's warnings replace the last ones."""
    ok = error is None
    after = replace(state, last_attempt=now, next_poll=next_poll(state, spec, now, ok), warnings=tuple(warnings))
    if not ok:
        return replace(after, consecutive_failures=state.consecutive_failures + 1, last_error=error)
    return replace(after, last_success=now, consecutive_failures=0, last_error=None,
                   etag=etag or state.etag, last_modified=last_modified or state.last_modified)


def is_silent(state: SourceState, spec: SourceSpec, now: datetime) -> bool:
    """Whether a source has given nothing for longer than ``SILENCE_FACTOR`` of its interval."""
    if state.last_success is None:
        return state.consecutive_failures > 0  # tried and never reached
    return now - state.last_success > spec.interval_delta * SILENCE_FACTOR
