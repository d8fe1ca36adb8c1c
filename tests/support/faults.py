"""Helpers for fault tests: row counts, bad pages on a LocalServer, a mute SMTP port, CLI subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text, update

from core.types import Alert
from storage import Store
from storage.engine import make_engine
from storage.models import OutboxRow
from support.http_server import LocalServer

CLAIMWATCH = Path(sys.executable).parent / "claimwatch"
TABLES = ("articles", "facts", "claims", "change_events", "outbox")  # what a rerun must never duplicate
WAIT_STEP = 0.05  # seconds between checks while waiting for another process
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8  # a PNG signature and binary noise


def table_counts(url: str) -> dict[str, int]:
    """Rows per data table, and outbox rows already sent."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            counts = {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}
            sent = text("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            counts["sent"] = connection.execute(sent).scalar_one()
    finally:
        engine.dispose()
    return counts


def alert_keys(url: str, channel: str) -> set[str]:
    """The idempotency keys (``webhook-id``, Message-ID) of the alerts the outbox owes ``channel``."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            query = select(OutboxRow.event_id).where(OutboxRow.channel == channel)
            owed = {row[0] for row in connection.execute(query)}
    finally:
        engine.dispose()
    with Store.open(url) as store:
        return {Alert(channel, (s.event,)).key for s in store.changes() if s.id in owed}


def article_urls(url: str) -> set[str]:
    """The source of every stored article."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(text("SELECT source FROM articles"))}
    finally:
        engine.dispose()


def time_passes(url: str, by: timedelta) -> None:
    """Move every pending delivery's next attempt earlier, as if ``by`` had passed."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            query = select(OutboxRow.id, OutboxRow.next_attempt_at).where(OutboxRow.status != "sent")
            for row_id, when in list(connection.execute(query)):
                if when is not None:
                    moved = update(OutboxRow).where(OutboxRow.id == row_id).values(next_attempt_at=when - by)
                    connection.execute(moved)
    finally:
        engine.dispose()


def figures_without_a_stop(size: int) -> str:
    """A "sentence" of ``size`` characters of growth figures and quarters with no full stop in it."""
    parts, n = ["Alibaba Cloud revenue grew"], 0
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(f"{10 + n % 80}% in Q{n % 4 + 1} {2000 + n % 25}")
        n += 1
    return " ".join(parts)


def reset_outbox(url: str) -> None:
    """Every delivery pending again, as if never tried."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(update(OutboxRow).values(status="pending", attempts=0, sent_at=None,
                                                        next_attempt_at=None, last_error=None))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class BadPage:
    """A page that must fail in a run: its path and a word the recorded error must contain."""

    path: str
    cause: str


def serve_bad_pages(server: LocalServer, *, cap: int) -> list[BadPage]:
    """Register every kind of bad article page on ``server``; what each one's error must say."""
    server.add("/bad/binary.html", PNG)
    server.huge("/bad/huge.html", size=50 * 2**20)
    server.huge("/bad/huge-declared.html", size=50 * 2**20, declare_length=True)
    server.gzip_bomb("/bad/bomb.html", decoded_size=50 * 2**20)
    server.trickle("/bad/slow.html", total=200, delay=0.1)
    server.redirect("/bad/loop-a.html", "/bad/loop-b.html")
    server.redirect("/bad/loop-b.html", "/bad/loop-a.html")
    server.add("/private/secret.html", "<html><body><p>Qwen</p></body></html>")
    server.add("/bad/empty.html", b"")
    server.add("/bad/blank.html", b"  \n\t ")
    for status in (404, 410, 429, 500, 503):
        headers = {"Retry-After": "1"} if status in (429, 503) else None
        server.add(f"/bad/status-{status}.html", f"status {status}", status=status, headers=headers)
    return [
        BadPage("/bad/binary.html", "PNG"),
        BadPage("/bad/huge.html", f"cap of {cap}"),
        BadPage("/bad/huge-declared.html", f"cap of {cap}"),
        BadPage("/bad/bomb.html", f"cap of {cap}"),
        BadPage("/bad/slow.html", "not received within"),
        BadPage("/bad/loop-a.html", "redirect"),
        BadPage("/private/secret.html", "robots"),
        BadPage("/bad/empty.html", "empty"),
        BadPage("/bad/blank.html", "empty"),
        *(BadPage(f"/bad/status-{s}.html", str(s)) for s in (404, 410, 429, 500, 503)),
    ]


@contextmanager
def mute_smtp() -> Iterator[tuple[int, threading.Event]]:
    """A port that accepts SMTP connections and never says a word; the event is set on the first one."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted, held = threading.Event(), []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            held.append(connection)
            accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        listener.close()
        for connection in held:
            connection.close()


def cli_env(config: Path, prefect_url: str | None = None) -> dict[str, str]:
    """The environment for a ``claimwatch`` subprocess using ``config`` (and the test's Prefect server)."""
    env = {**os.environ, "CLAIMWATCH_CONFIG": str(config)}
    env.pop("CLAIMWATCH_DATABASE_URL", None)
    if prefect_url:
        env["PREFECT_API_URL"] = prefect_url
    return env


def start_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start ``claimwatch ARGS`` in its own process."""
    return subprocess.Popen([str(CLAIMWATCH), *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``claimwatch ARGS`` to the end."""
    return subprocess.run([str(CLAIMWATCH), *args], env=env, cwd=cwd, text=True, capture_output=True,
                          timeout=timeout)


def kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 60) -> None:
    """SIGKILL ``process`` as soon as ``ready()`` holds; AssertionError (with its stderr) if it never does."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            raise AssertionError(f"never reached the kill point (exit {process.returncode}): {err[-2000:]}")
        time.sleep(WAIT_STEP)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
