"""Prefect's temporary server, started by a flow command and kept for the next (flows/temporary_server.py).

Real commands, real servers: each test's PREFECT_HOME starts from a copy of one migrated Prefect database
(a first start spends about 8 s creating it), and waits on real processes, never on a fixed sleep.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.faults import cli_env, run_cli, start_cli
from support.flows import write_config

from core.errors import ConfigError
from flows.temporary_server import IDLE_ENV, RECORD, fingerprint, idle_seconds, read_record

pytestmark = pytest.mark.timeout(300)

LEAVES_WITHIN = 15.0  # seconds past its idle time for the server to notice and shut down on a busy host


def _env(folder: Path, home: Path, idle: str) -> dict[str, str]:
    """A command's environment: no Prefect server configured, its own Prefect home, the given idle time."""
    config = write_config(folder, f"sqlite:///{folder / 'cw.db'}", [])
    env = {**cli_env(config), "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           IDLE_ENV: idle}
    env.pop("PREFECT_API_URL", None)
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Prefect home whose database one run has created (its server left when the run ended)."""
    folder = tmp_path_factory.mktemp("migrated")
    env = _env(folder, folder / "prefect", "0")
    done = run_cli(["run", "--all"], env, folder, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    _wait_until(lambda: not _servers(folder / "prefect"), LEAVES_WITHIN)
    return folder / "prefect" / "prefect.db"


@pytest.fixture
def home(tmp_path: Path, migrated: Path) -> Path:
    """A Prefect home of this test's own, its database already migrated."""
    found = tmp_path / "prefect"
    found.mkdir()
    shutil.copy(migrated, found / "prefect.db")
    return found


def _servers(home: Path) -> list[int]:
    """Pids of the temporary servers serving ``home`` now."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not a process
        if b"flows.temporary_server" in argv and str(home).encode() in argv:
            found.append(int(proc.name))
    return found


def _wait_until(done: Callable[[], bool], within: float) -> None:
    """Wait until ``done()``; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, f"not within {within} s"
        time.sleep(0.1)


def _run(env: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    """``claimwatch run --all`` to its end (its output captured: a server left behind must not hold it)."""
    done = run_cli(["run", "--all"], env, folder, timeout=150)
    assert done.returncode == 0 and "monitor: 0 sources polled" in done.stdout, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done


def test_the_next_command_finds_the_server_ready_and_it_leaves_when_idle(tmp_path: Path, home: Path) -> None:
    env = _env(tmp_path, home, "4")
    _run(env, tmp_path)
    first = read_record(home)
    assert first is not None and _servers(home) == [first.pid]  # alive after the command: kept for the next
    _run(env, tmp_path)
    assert read_record(home) == first  # the same server, not a second one
    _wait_until(lambda: not _servers(home), 4 + LEAVES_WITHIN)
    assert not (home / RECORD).exists()


def test_commands_side_by_side_share_one_server(tmp_path: Path, home: Path) -> None:
    env = _env(tmp_path, home, "0")
    runs = [start_cli(["run", "--all"], env, tmp_path) for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=150)
        assert run.returncode == 0 and "monitor: 0 sources polled" in out, err[-3000:]
        assert "Traceback" not in err
    log = (home / "claimwatch-temporary-server.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
    _wait_until(lambda: not _servers(home), LEAVES_WITHIN)  # idle 0: gone once the last command ended


def test_a_server_with_a_command_on_it_stays_past_its_idle_time(tmp_path: Path, home: Path) -> None:
    """The lease, not requests, keeps it: a long page read may send nothing to Prefect for minutes."""
    env = _env(tmp_path, home, "0.5")
    hold = ("import sys; from pathlib import Path; "
            "from flows.temporary_server import lease_server, wait_ready; "
            "home = Path(sys.argv[1]); record = lease_server(home); wait_ready(home, record); "
            "print(record.pid, flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(home)], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        pid = int(holder.stdout.readline())
        _run(env, tmp_path)  # a command that comes and goes meanwhile uses the same server
        time.sleep(2.0)  # four idle times
        assert _servers(home) == [pid]
    finally:
        holder.communicate("", timeout=30)  # the holder exits: its lease goes with it
    _wait_until(lambda: not _servers(home), LEAVES_WITHIN)


def test_a_dead_or_differently_set_server_is_replaced(tmp_path: Path, home: Path) -> None:
    env = _env(tmp_path, home, "600")
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = {"url": "http://127.0.0.1:9/api", "pid": dead.pid, "fingerprint": fingerprint(env),
             "started": 0.0}
    (home / RECORD).write_text(json.dumps(stale), encoding="utf-8")
    _run(env, tmp_path)
    first = read_record(home)
    assert first is not None and first.pid != dead.pid and _servers(home) == [first.pid]
    other = {**env, "PREFECT_SERVER_API_KEEPALIVE_TIMEOUT": "7"}  # another server-side Prefect setting
    _run(other, tmp_path)
    second = read_record(home)
    assert second is not None and second.pid != first.pid
    _wait_until(lambda: _servers(home) == [second.pid], LEAVES_WITHIN)  # the first left once replaced
    shutil.rmtree(home)
    _wait_until(lambda: not _servers(home), LEAVES_WITHIN)  # its home gone, the second leaves too


@pytest.mark.parametrize(("raw", "problem"), [("soon", "is not a number"), ("-5", "is negative")])
def test_a_bad_idle_time_is_one_line(tmp_path: Path, home: Path, raw: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"{IDLE_ENV}: '{raw}' {problem}"):
        idle_seconds({IDLE_ENV: raw})
    done = run_cli(["run", "--all"], _env(tmp_path, home, raw), tmp_path, timeout=150)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{IDLE_ENV}: {raw!r} {problem}" in lines[0], done.stderr
    assert not _servers(home) and not (home / RECORD).exists()


def test_the_fingerprint_ignores_what_only_the_command_uses() -> None:
    base = {"PREFECT_HOME": "/h", "PATH": "/bin"}
    assert fingerprint(base) == fingerprint({**base, "PREFECT_LOGGING_LEVEL": "ERROR", "PATH": "/usr/bin",
                                             "PREFECT_API_URL": "http://x/api"})
    assert fingerprint(base) != fingerprint({**base, "PREFECT_SERVER_DATABASE_TIMEOUT": "30"})
    assert os.environ.get(IDLE_ENV) == "0"  # the tests' own default (conftest): no server outlives its test
