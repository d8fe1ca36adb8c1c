"""Prefect's temporary server for flow commands, started by claimwatch and kept a while for the next command.

With no Prefect server configured, Prefect starts a temporary one inside each flow command and stops it at
exit. Measured on two cores: the command spent 2.7 s importing Prefect's server code only to launch it, the
server 3.5 s more to start, so ``claimwatch run`` of 10 pages took 11-20 s, nearly all of it start-up.
claimwatch launches the same server itself (uvicorn on Prefect's ``create_app`` in ephemeral mode, on the
SQLite database in PREFECT_HOME) in a session of its own, while the command goes on loading, and leaves it
running for ``CLAIMWATCH_SERVER_IDLE`` seconds (default 600) after the last command that used it, so the
next command finds it ready; ``0`` stops it as soon as the command exits.

Each command holds a shared lock on the lease file while it may use the server. The server leaves once it
could take that lock alone for the idle time, when the record names another server (one started with other
settings), or when PREFECT_HOME is gone. The record file names this home's server: URL, pid and settings.
Prefect-free at import: the server process sets Prefect's settings before Prefect is loaded.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.errors import ConfigError
from flows.local_server import answers, running_server, wait_answering

IDLE_ENV = "CLAIMWATCH_SERVER_IDLE"
DEFAULT_IDLE = 600.0  # seconds: back-to-back commands share one start; a half-hourly cron pays its own
RECORD = "claimwatch-temporary-server.json"
LEASE = "claimwatch-temporary-server.lease"
START_LOCK = "claimwatch-temporary-server.start"
LOG = "claimwatch-temporary-server.log"
STARTUP_TIMEOUT = 90.0  # seconds: a first start creates and migrates Prefect's database; a busy host is slow
LOCK_TIMEOUT = 60.0  # seconds a command waits for a leaving server to finish leaving, or for another's start
WATCH_EVERY = 0.5  # seconds between the server's looks at its lease: how late an idle server leaves
SHUTDOWN_GRACE = 5  # seconds uvicorn gives open connections when the server leaves
# Settings that change only what a command logs or how it runs its flow, not the server: a command with
# other values of these may share the server.
CLIENT_ONLY = ("PREFECT_API_URL", "PREFECT_LOGGING_", "PREFECT_SERVER_LOGGING_", "PREFECT_FLOWS_")
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
_leases: list[IO[str]] = []  # held open to the end of the command: the lock goes with the process


@dataclass(frozen=True)
class Record:
    """This Prefect home's temporary server, as its record file says."""

    url: str
    pid: int
    fingerprint: str
    started: float  # time.time() at launch


def command_api() -> AbstractContextManager[str | None]:
    """Where a command's flows run: the configured Prefect API, ``serve``'s server, or the temporary one.

    Decided (and a temporary server launched) now, so it starts while the command loads; the block waits
    for it and points Prefect, and the processes a flow starts, at it.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_ENABLED  # noqa: PLC0415

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return nullcontext(PREFECT_API_URL.value())  # Prefect says why when ephemeral mode is off
    if (url := running_server()) is not None:
        return _pointed(url)
    home = Path(PREFECT_HOME.value())
    record = lease_server(home)
    return _pointed(record.url, lambda: wait_ready(home, record))


@contextmanager
def _pointed(url: str, ready: Callable[[], None] | None = None) -> Iterator[str]:
    """Prefect's API is ``url`` for the block (after ``ready`` returns: a temporary server has started)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    if ready is not None:
        ready()
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url  # the processes a flow starts (Dask workers) read it there
    try:
        with temporary_settings({PREFECT_API_URL: url}):
            yield url
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


def idle_seconds(env: Mapping[str, str] | None = None) -> float:
    """Seconds the server stays after its last command (CLAIMWATCH_SERVER_IDLE); ConfigError if no number."""
    raw = (os.environ if env is None else env).get(IDLE_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_IDLE
    except ValueError:
        raise ConfigError(f"{IDLE_ENV}: {raw!r} is not a number of seconds") from None
    if value < 0:
        raise ConfigError(f"{IDLE_ENV}: {raw!r} is negative; 0 stops the server when the command exits")
    return value


def fingerprint(env: Mapping[str, str] | None = None) -> str:
    """What the server's behaviour depends on: the environment, Prefect's version and PREFECT_* settings."""
    env = os.environ if env is None else env
    prefect = importlib.metadata.version("prefect")  # an upgrade in place must not meet the old server
    settings = sorted((k, v) for k, v in env.items()
                      if k.startswith("PREFECT_") and not k.startswith(CLIENT_ONLY))
    return hashlib.sha256(json.dumps([sys.prefix, sys.version, prefect, settings]).encode()).hexdigest()[:16]


def lease_server(home: Path) -> Record:
    """Hold ``home``'s lease to the end of this process; its server, launched when none can be reused."""
    idle = idle_seconds()  # a bad value is said now, whether or not this command launches the server
    home.mkdir(parents=True, exist_ok=True)
    _take(home / LEASE, fcntl.LOCK_SH, keep=True)
    with _locked(home / START_LOCK):
        record = read_record(home)
        if record is not None and _reusable(record):
            return record
        return _launch(home, idle)


def wait_ready(home: Path, record: Record, timeout: float = STARTUP_TIMEOUT) -> None:
    """Wait until the server answers; ConfigError naming its log when it leaves or never answers."""
    if wait_answering(record.url, lambda: _alive(record.pid), timeout):
        return
    state = "did not answer in %g s" % timeout if _alive(record.pid) else "exited"
    raise ConfigError(f"Prefect's temporary server on {record.url} {state} (see {home / LOG}); "
                      "or set PREFECT_API_URL to a running Prefect server")


def read_record(home: Path) -> Record | None:
    """The record of ``home``'s server, or None when there is none (or it is unreadable: one will be made)."""
    try:
        return Record(**json.loads((home / RECORD).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _reusable(record: Record) -> bool:
    """Whether a recorded server is ours to use: same settings, alive, and answering or still starting."""
    if record.fingerprint != fingerprint() or not _alive(record.pid):
        return False
    if time.time() - record.started < STARTUP_TIMEOUT:
        return True  # it may still be starting: wait_ready tells
    return answers(record.url)  # else a pid reused after a reboot, or a hung server


def _launch(home: Path, idle: float) -> Record:
    """Start a server staying ``idle`` s, on a loopback socket bound here (no port race); record it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        command = [sys.executable, "-m", "flows.temporary_server", "--fd", str(listener.fileno()),
                   "--idle", repr(idle), "--home", str(home)]
        with (home / LOG).open("ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, pass_fds=[listener.fileno()],
                                       start_new_session=True)
    record = Record(f"http://127.0.0.1:{port}/api", process.pid, fingerprint(), time.time())
    _write_record(home, record)
    return record


def _write_record(home: Path, record: Record) -> None:
    """Replace the record in one step, so a reader sees the old one or the new one."""
    part = home / f"{RECORD}.{os.getpid()}"
    part.write_text(json.dumps(record.__dict__), encoding="utf-8")
    os.replace(part, home / RECORD)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a child of ours that exited is reaped first)."""
    try:
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return False
    except ChildProcessError:
        pass  # not our child: another command started it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block."""
    handle = _take(path, fcntl.LOCK_EX, keep=False)
    try:
        yield
    finally:
        handle.close()


def _take(path: Path, mode: int, *, keep: bool) -> IO[str]:
    """Lock ``path`` (waiting up to LOCK_TIMEOUT); kept to the end of the process when ``keep``."""
    handle = path.open("a+", encoding="ascii")
    deadline = time.monotonic() + LOCK_TIMEOUT
    while not _try(handle, mode):
        if time.monotonic() > deadline:
            handle.close()
            raise ConfigError(f"{path}: still locked after {LOCK_TIMEOUT:g} s by another claimwatch command")
        time.sleep(0.05)
    if keep:
        _leases.append(handle)
    return handle


def _try(handle: IO[str], mode: int) -> bool:
    """Take a lock if it is free now."""
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# The server process.


def serve(fd: int, idle: float, home: Path) -> None:
    """Serve Prefect's API on the inherited socket until the lease has been free for ``idle`` seconds."""
    os.environ.update(SERVER_ENV)  # before Prefect is imported: its settings are read once
    import uvicorn  # noqa: PLC0415 - the server's own imports stay out of every command

    config = uvicorn.Config("prefect.server.api.server:create_app", factory=True, log_level="error",
                            lifespan="on", timeout_graceful_shutdown=SHUTDOWN_GRACE)
    server = uvicorn.Server(config)
    watcher = threading.Thread(target=_watch, args=(server, home, idle), name="lease-watch", daemon=True)
    watcher.start()
    server.run(sockets=[socket.socket(fileno=fd)])


def _watch(server: Any, home: Path, idle: float) -> None:
    """Ask ``server`` to leave when unused for ``idle`` seconds, replaced, or its home is gone."""
    lease = (home / LEASE).open("a+", encoding="ascii")
    free_since: float | None = None
    while not server.should_exit:
        time.sleep(WATCH_EVERY)
        if not home.is_dir():
            server.should_exit = True
        elif not _try(lease, fcntl.LOCK_EX):
            free_since = None
        elif _replaced(home) or time.monotonic() - (free_since := free_since or time.monotonic()) >= idle:
            _forget(home)  # the lock stays held until the process ends: no command takes a leaving server
            server.should_exit = True
        else:
            fcntl.flock(lease, fcntl.LOCK_UN)


def _replaced(home: Path) -> bool:
    """Whether the record names another server (started with other settings) or none."""
    record = read_record(home)
    return record is None or record.pid != os.getpid()


def _forget(home: Path) -> None:
    """Remove the record if it still names this server."""
    if not _replaced(home):
        (home / RECORD).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """``python -m flows.temporary_server --fd N --idle S --home DIR``: the server process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--idle", type=float, required=True)
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.fd, args.idle, args.home)


if __name__ == "__main__":
    main()
