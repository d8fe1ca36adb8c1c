"""Flow commands run one at a time per Prefect home when no Prefect server is configured.

Without ``PREFECT_API_URL`` every ``claimwatch run`` or ``backfill`` starts Prefect's temporary server on
the database in ``PREFECT_HOME``; two starting together contend for it, and one gave up ("Timed out
while attempting to connect to ephemeral Prefect API server") with a traceback. The second now waits
for the first, saying so in one line. With a Prefect server configured, runs go side by side.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from core.errors import ConfigError

LOCK_FILE = "claimwatch-run.lock"
LOCK_WAIT = 30 * 60.0  # seconds a command waits for the other: a monitor run takes minutes, a backfill may not
LOCK_POLL = 0.5  # seconds between tries
STARTUP_TIMEOUT = "90"  # seconds for Prefect's temporary server to start (its default, 20, is short on a busy host)
_held: list[IO[str]] = []  # kept open to the end of the process: the server stops at exit, after the command


def serialise_local_runs(say: Callable[[str], None]) -> None:
    """Hold this Prefect home's run lock until the process exits, waiting (and saying so) while another has it."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME  # noqa: PLC0415 - only flow commands load Prefect

    if PREFECT_API_URL.value() or _held:
        return
    path = Path(PREFECT_HOME.value()) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="ascii")
    if not _try_lock(handle):
        say(f"claimwatch: waiting for another claimwatch run (pid {_holder(handle)}) to finish with "
            f"Prefect's temporary server in {path.parent}")
        _wait_lock(handle, path)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _held.append(handle)


def _try_lock(handle: IO[str]) -> bool:
    """Take the lock if it is free."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_lock(handle: IO[str], path: Path) -> None:
    """Wait for the lock; ConfigError after LOCK_WAIT seconds."""
    deadline = time.monotonic() + LOCK_WAIT
    while not _try_lock(handle):
        if time.monotonic() > deadline:
            raise ConfigError(f"{path}: another claimwatch run held it for {LOCK_WAIT:g} s; set PREFECT_API_URL "
                              "to a Prefect server for runs side by side")
        time.sleep(LOCK_POLL)


def _holder(handle: IO[str]) -> str:
    """The pid the lock's holder wrote, or "unknown"."""
    handle.seek(0)
    return handle.read().strip() or "unknown"
