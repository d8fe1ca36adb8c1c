"""Schedules: the same four deployments for ``claimwatch serve`` (one process) and ``prefect.yaml`` (a pool).

Keep ``SCHEDULES`` and ``prefect.yaml`` in step; tests/test_cli_flows.py checks that they agree.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import serve as prefect_serve
from prefect._vendor.croniter import croniter
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

from core.errors import ConfigError
from flows.backfill import backfill
from flows.digest import digest
from flows.local_server import forget_server, record_server, wait_answering
from flows.monitor import monitor

TIMEZONE = "UTC"  # cron times below are read in this zone; UTC never skips or repeats an hour
SERVER_START_TIMEOUT = 90.0  # seconds; a first start creates and migrates the server's database
SERVER_STOP_TIMEOUT = 15.0  # seconds for the local server to stop after the runner before it is killed


@dataclass(frozen=True)
class Schedule:
    """One deployment: its flow, cron (None: run on demand only) and fixed parameters."""

    name: str
    flow: Any
    cron: str | None
    parameters: dict[str, Any]


SCHEDULES = (
    Schedule("monitor", monitor, "*/30 * * * *", {"force": False, "hold_digests": True}),
    Schedule("digest", digest, "0 8 * * *", {}),  # after the night's news from China, before Europe's morning
    Schedule("backfill", backfill, None, {"alerts": False}),
    # the sources file's archive entries (wayback, cdx, urls, dir), once a day: what is stored is skipped,
    # so a day's run reads only captures the CDX searches found since, at the archive's pace
    Schedule("backfill-sources", backfill, "30 3 * * *", {"alerts": False, "from_sources": True}),
)


def deployments(config_path: str | None = None) -> list[Any]:
    """RunnerDeployments for ``prefect.serve``, each told which config file to load."""
    return [
        s.flow.to_deployment(
            name=s.name,
            schedules=[Cron(s.cron, timezone=TIMEZONE)] if s.cron else None,
            parameters={**s.parameters, "config_path": config_path},
            tags=["claimwatch"],
        )
        for s in SCHEDULES
    ]


def serve(config_path: str | None = None, *, run_now: bool = False) -> None:
    """Run the schedules in this process until interrupted (no work pool); ``run_now``: a monitor run first."""
    # Prefect 3.8's SIGTERM handler calls the async Runner.stop without awaiting it; the runner stops anyway.
    warnings.filterwarnings("ignore", "coroutine 'Runner.astop' was never awaited", RuntimeWarning)
    own_server = not PREFECT_API_URL.value()
    with _sigterm_exits(), prefect_api() as api:
        served = deployments(config_path)
        if run_now:
            _run_monitor_now(config_path)
        print(serving_message(api, own_server, ran_now=run_now), flush=True)
        prefect_serve(*served, print_starting_message=False)


def _run_monitor_now(config_path: str | None) -> None:
    """One monitor run before the schedules start (``claimwatch serve --now``), summarised like ``run``."""
    from flows.commands import print_run  # noqa: PLC0415 - the CLI's summary, without importing the CLI
    from flows.terminal import console  # noqa: PLC0415

    print("monitor: running once now", flush=True)
    print_run(console, monitor(config_path=config_path, force=False, hold_digests=True))


def serving_message(api: str, own_server: bool, *, ran_now: bool, now: datetime | None = None) -> str:
    """What is served, when each schedule first runs, and how to run the monitor by hand (works as printed)."""
    moment = now or datetime.now(UTC)
    lines = ["claimwatch: deployments being served (Ctrl-C stops them):"]
    for schedule in SCHEDULES:
        lines.append(f"  {schedule.flow.name}/{schedule.name}: " + _first_run(schedule, moment))
    prefect = _prefect_command()
    env = f"PREFECT_API_URL={api} " if own_server else ""
    lines.append(f"To run the monitor now, from another shell: {env}{prefect} deployment run monitor/monitor")
    if not ran_now:
        lines.append("(or start with `claimwatch serve --now` to run it once at start)")
    return "\n".join(lines)


def _first_run(schedule: Schedule, moment: datetime) -> str:
    """ "every … (cron, UTC); first run at 2026-03-02 10:30 UTC, in 12 min", or "on demand"."""
    if schedule.cron is None:
        return "on demand only"
    first = croniter(schedule.cron, moment.astimezone(UTC)).get_next(datetime)
    hours, minutes = divmod(max(0, round((first - moment).total_seconds() / 60)), 60)
    wait = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"cron {schedule.cron} ({TIMEZONE}); first run at {first:%Y-%m-%d %H:%M} {TIMEZONE}, in {wait}"


def _prefect_command() -> str:
    """``prefect`` when it is on the PATH as this interpreter's, else its full path in this environment."""
    here = Path(sys.executable).parent / "prefect"
    found = shutil.which("prefect")
    return "prefect" if found and Path(found).resolve() == here.resolve() else str(here)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM ends this process through its cleanups, also before Prefect's runner sets its handler."""
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit(_signum: int, _frame: object) -> None:
    """Leave by SystemExit, so the local server is stopped on the way out."""
    sys.exit(0)


@contextmanager
def prefect_api() -> Iterator[str]:
    """The Prefect API to serve on: ``PREFECT_API_URL`` when set, else a local server, stopped last.

    Prefect's own temporary server shares this process group, so Ctrl-C stopped it before the runner had
    paused its deployments, and the runner spent a minute retrying, printing tracebacks. The local server
    here runs in a session of its own (its runs and UI kept in PREFECT_HOME) and is stopped last.
    """
    if PREFECT_API_URL.value():
        yield PREFECT_API_URL.value()
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    with _local_server(port) as server:
        _wait_healthy(url, server)
        print(f"Prefect UI for these runs: http://127.0.0.1:{port}", flush=True)
        record_server(url)  # `claimwatch run` meanwhile uses this server instead of starting its own
        try:
            with temporary_settings({PREFECT_API_URL: url}):
                yield url
        finally:
            forget_server(url)


@contextmanager
def _local_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``prefect server start`` on loopback in a session of its own, logging to PREFECT_HOME."""
    log_path = _server_log()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
               "--analytics-off"]
    with log_path.open("ab") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    """Wait for the local server to answer; ConfigError naming its log when it exits or never answers."""
    if not wait_answering(url, lambda: server.poll() is None, SERVER_START_TIMEOUT):
        raise ConfigError(
            f"local Prefect server on {url} did not start (see {_server_log()}); or set PREFECT_API_URL"
        )


def _server_log() -> Path:
    """Where the local Prefect server writes its output."""
    return PREFECT_HOME.value() / "claimwatch-server.log"


def _free_port() -> int:
    """A loopback TCP port free at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
