"""Stopping a run in seconds, keeping what it did: SIGTERM or Ctrl-C sets one event that every wait watches.

While a flow's steps run (``graceful_stop``), the first SIGTERM or Ctrl-C only sets ``STOP``: fetches
(sources.http), politeness and back-off waits and extraction waits (app.extraction) end within a second
as "stopped" errors, and the steps wind down: what was read is stored, sources are recorded without
counting the stop as their failure, and alerts wait in the outbox for the next run. A second signal
raises ``Terminated`` at once. Outside the steps (Prefect's own set-up, or a thread where no handler can
be set) an interrupt passing through still sets ``STOP``, so no thread is left waiting on the network.
Prefect-free, so that extraction workers can import it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP = threading.Event()  # set once the run is asked to stop; every client and wait of a run is given this one
SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_STATUS = {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGINT: 128 + signal.SIGINT}  # as shells report
_received: list[int] = []  # the signals that asked this run to stop


class Terminated(BaseException):
    """A signal ended claimwatch; like KeyboardInterrupt, no ``except Exception`` stops it on its way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stopped_by() -> int | None:
    """The signal that stopped the current run, or None."""
    return _received[0] if STOP.is_set() and _received else None


@contextmanager
def graceful_stop() -> Iterator[None]:
    """Run a flow's steps: the first SIGTERM or Ctrl-C sets STOP, the second raises Terminated."""
    STOP.clear()  # a new run in a long-lived process (serve) is not stopped by an earlier one
    _received.clear()
    previous = _install(_wind_down)
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, Exception):  # an interrupt from outside our handler (Prefect's, or a second)
            STOP.set()
        raise
    finally:
        _restore(previous)


@contextmanager
def signals_end_the_command() -> Iterator[None]:
    """While a CLI command runs, SIGTERM and Ctrl-C raise Terminated (Prefect's handler hands SIGTERM on)."""
    previous = _install(_terminate)
    try:
        yield
    finally:
        _restore(previous)


Handler = Callable[[int, FrameType | None], Any]


def _install(handler: Handler) -> dict[int, Any] | None:
    """Set ``handler`` for SIGTERM and SIGINT; the previous handlers, or None off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None  # only the main thread may set handlers; the exception path of graceful_stop still works
    return {signum: signal.signal(signum, handler) for signum in SIGNALS}


def _restore(previous: dict[int, Any] | None) -> None:
    """Put back the handlers ``_install`` replaced."""
    for signum, handler in (previous or {}).items():
        signal.signal(signum, handler)


def _wind_down(signum: int, _frame: FrameType | None) -> None:
    """The first signal during a run's steps asks them to stop; the second ends the process now."""
    if STOP.is_set():
        raise Terminated(signum)
    _received.append(signum)
    STOP.set()


def _terminate(signum: int, _frame: FrameType | None) -> None:
    """A signal outside a run's steps: stop every wait, and unwind."""
    _received.append(signum)
    STOP.set()
    raise Terminated(signum)
