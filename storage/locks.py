"""Locks that hold across processes for one database: a PostgreSQL advisory lock, or a file beside SQLite's.

Used where a check and the writes it decides must not interleave with another process's, such as
seeding an empty database: every writer takes the lock, the first seeds, the others then find it seeded.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from core.errors import StorageError
from storage.engine import describe

_IN_PROCESS: dict[str, threading.Lock] = {}  # for in-memory SQLite: no other process can see it anyway
_IN_PROCESS_GUARD = threading.Lock()


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock called ``name`` on this database until the block ends (waits for other holders)."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        with _thread_lock(name):
            yield
        return
    with _file_lock(Path(database).expanduser().with_name(f"{Path(database).name}.{name}.lock")):
        yield


@contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[None]:
    """A session-level advisory lock on a connection of its own."""
    key = int.from_bytes(hashlib.sha256(f"claimwatch.lock:{name}".encode()).digest()[:8], "big", signed=True)
    try:
        connection = engine.connect()
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot take the {name} lock: {describe(exc)}") from exc
    with connection:
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """flock on a file beside the SQLite database (released by the OS if the process dies)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _thread_lock(name: str) -> Iterator[None]:
    """A lock shared by the threads of this process."""
    with _IN_PROCESS_GUARD:
        lock = _IN_PROCESS.setdefault(name, threading.Lock())
    with lock:
        yield
