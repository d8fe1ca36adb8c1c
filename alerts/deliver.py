"""Delivery: send pending alerts per channel with backoff; one channel's failure never stops another.

The caller (flows/) reads pending rows from the outbox and calls ``deliver`` with a ``record`` callback,
called with each alert's results as soon as it is sent (or has failed): a process killed in the middle of
a batch has recorded every send before the one in flight. A failed row stays pending until
``next_attempt_at``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from alerts.compose import Message, probe_message, render
from alerts.context import AlertContext
from alerts.filters import AnyChannel
from alerts.notifiers import Notifier, notifier_for
from alerts.secrets import SecretResolver
from core.errors import ConfigError, DeliveryError
from core.types import Alert, ChangeEvent

log = logging.getLogger(__name__)

ATTEMPTS_PER_RUN = 3  # a blip (restart, 503) clears within seconds; longer outages wait for the next run
RETRY_BASE_DELAY = 0.5  # seconds before the first in-run retry; doubles each time
RETRY_MAX_DELAY = 8.0  # seconds; a run must not hang on one dead channel
NEXT_RUN_BASE = timedelta(minutes=1)  # wait after the first failed run; doubles with every failed run
NEXT_RUN_MAX = timedelta(hours=6)  # a channel down for a day is still tried four times a day

ContextBuilder = Callable[[Sequence[ChangeEvent]], AlertContext]
Recorder = Callable[[Sequence["DeliveryResult"]], None]
Stopping = Callable[[], bool]
Sleep = Callable[[float], None]
Clock = Callable[[], datetime]


class PendingRow(Protocol):
    """What deliver needs of an outbox row; storage's PendingDelivery fits as it is."""

    @property
    def id(self) -> int | str:
        """The outbox row's id."""

    @property
    def channel(self) -> str:
        """The channel's name."""

    @property
    def event(self) -> ChangeEvent:
        """The change event owed to the channel."""

    @property
    def attempts(self) -> int:
        """Delivery runs that already tried this row."""


@dataclass(frozen=True)
class PendingDelivery:
    """One outbox row: this event is owed to this channel."""

    id: int | str
    channel: str
    event: ChangeEvent
    attempts: int = 0  # delivery runs that already tried this row


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one outbox row in this run."""

    id: int | str
    channel: str
    ok: bool
    attempts: int  # delivery runs that tried this row, this one included (what the outbox stores)
    tries: int = 1  # sends made in this run (retries within the run included)
    alert_key: str = ""
    error: str | None = None  # one line, names channel and cause, never a secret
    next_attempt_at: datetime | None = None  # when the next run may try again; None once delivered


@dataclass(frozen=True)
class ChannelCheck:
    """The result of a test message to one channel."""

    channel: str
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class _Outcome:
    """How sending one alert went in this run."""

    ok: bool
    tries: int
    error: str | None = None
    transient: bool = True


def retry_delay(tries_so_far: int) -> float:
    """Seconds to wait before the next in-run try."""
    return min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2 ** (tries_so_far - 1))


def next_attempt(now: datetime, runs: int) -> datetime:
    """When the next run should try again, backing off by the failed runs so far."""
    return now + min(NEXT_RUN_MAX, NEXT_RUN_BASE * 2 ** max(runs - 1, 0))


def send_with_retry(notifier: Notifier, message: Message, sleep: Sleep) -> _Outcome:
    """Send one message, retrying transient failures with exponential backoff."""
    for tries in range(1, ATTEMPTS_PER_RUN + 1):
        try:
            notifier.send(message)
            return _Outcome(True, tries)
        except DeliveryError as exc:
            if not exc.transient or tries == ATTEMPTS_PER_RUN:
                return _Outcome(False, tries, str(exc), exc.transient)
            log.info("retrying after: %s", exc)
            sleep(retry_delay(tries))
    raise AssertionError("unreachable: the loop returns on its last try")


def batches(channel: AnyChannel, rows: Sequence[PendingRow]) -> list[list[PendingRow]]:
    """Rows grouped into alerts: one each, or one digest of all."""
    return [list(rows)] if channel.mode == "digest" else [[row] for row in rows]


def results_for(rows: Iterable[PendingRow], outcome: _Outcome, key: str,
                now: datetime) -> list[DeliveryResult]:
    """One result per row of a sent (or failed) alert."""
    out = []
    for row in rows:
        runs = row.attempts + 1
        retry_at = None if outcome.ok else next_attempt(now, runs)
        out.append(DeliveryResult(row.id, row.channel, outcome.ok, runs, outcome.tries, key, outcome.error,
                                  retry_at))
    return out


def _deliver_channel(channel: AnyChannel, rows: Sequence[PendingRow], build_context: ContextBuilder,
                     resolve: SecretResolver, sleep: Sleep, now: Clock, record: Recorder,
                     stop: Stopping) -> list[DeliveryResult]:
    """Send one channel's pending rows, recording each alert's results at once, until ``stop()``; a setup
    failure fails them all, recorded, not raised."""
    try:
        notifier = notifier_for(channel, resolve)
    except ConfigError as exc:
        failed = _Outcome(False, 1, _setup_error(channel.name, exc))
        return _recorded(results_for(rows, failed, "", now()), record)
    results: list[DeliveryResult] = []
    down: _Outcome | None = None  # once the channel itself fails, the rest wait for the next run untried
    try:
        for batch in batches(channel, rows):
            if stop():  # the run is ending: the rest get no result, and go back to the outbox untried
                break
            alert = Alert(channel.name, tuple(row.event for row in batch))
            outcome = down or send_with_retry(notifier, render(alert, build_context(alert.events)), sleep)
            results.extend(_recorded(results_for(batch, outcome, alert.key, now()), record))
            if not outcome.ok and outcome.transient:
                down = _Outcome(False, 0, outcome.error)
    finally:
        notifier.close()
    return results


def _recorded(results: list[DeliveryResult], record: Recorder) -> list[DeliveryResult]:
    """Hand results to the recorder before anything else is sent; return them."""
    record(results)
    return results


def _setup_error(name: str, exc: ConfigError) -> str:
    """A channel's configuration problem as a one-line error naming the channel."""
    text = str(exc)
    return text if text.startswith(f"channel {name}") else f"channel {name}: {text}"


def _unknown_channel(rows: Sequence[PendingRow], now: datetime) -> list[DeliveryResult]:
    """Rows for a channel no longer configured: kept pending with a clear error."""
    error = f"channel {rows[0].channel}: not in the configuration"
    return results_for(rows, _Outcome(False, 0, error), "", now)


def group(pending: Iterable[PendingRow]) -> dict[str, list[PendingRow]]:
    """Pending rows by channel name, in order."""
    grouped: dict[str, list[PendingRow]] = {}
    for row in pending:
        grouped.setdefault(row.channel, []).append(row)
    return grouped


def deliver(pending: Iterable[PendingRow], channels: Iterable[AnyChannel], build_context: ContextBuilder,
            resolve: SecretResolver, *, sleep: Sleep = time.sleep,
            now: Clock = lambda: datetime.now(UTC), record: Recorder = lambda _: None,
            stop: Stopping = lambda: False) -> list[DeliveryResult]:
    """Send every pending row to its channel and return one result per row; never raises for a channel.

    ``record`` gets each alert's results right after its send, before the next one goes. Once ``stop()``
    says so, no further alert is sent: the rows not reached have no result.
    """
    by_name: Mapping[str, AnyChannel] = {c.name: c for c in channels}
    results: list[DeliveryResult] = []
    for name, rows in group(pending).items():
        channel = by_name.get(name)
        if channel is None:
            results.extend(_recorded(_unknown_channel(rows, now()), record))
            continue
        results.extend(_deliver_channel(channel, rows, build_context, resolve, sleep, now, record, stop))
    for r in results:
        if not r.ok:
            log.warning("delivery %s not sent: %s", r.id, r.error)
    return results


def test_channel(channel: AnyChannel, resolve: SecretResolver, *, sleep: Sleep = time.sleep) -> ChannelCheck:
    """Send a test message to one channel and report the result (`claimwatch alerts test`)."""
    key = f"cw_test_{channel.name}_{int(time.time())}"
    try:
        notifier = notifier_for(channel, resolve)
    except ConfigError as exc:
        return ChannelCheck(channel.name, False, _setup_error(channel.name, exc))
    try:
        outcome = send_with_retry(notifier, probe_message(channel.name, key), sleep)
    finally:
        notifier.close()
    return ChannelCheck(channel.name, outcome.ok, outcome.error)


test_channel.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
