"""Engines for SQLite and PostgreSQL, and the one place database errors become StorageError."""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from core.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 5000  # SQLite waits this long for a writer itself before reporting "locked"
LOCK_RETRIES = 5  # then we retry the whole transaction start this many times...
LOCK_BACKOFF_SECONDS = 0.2  # ...waiting 0.2, 0.4, 0.8, 1.6 s: a monitor run's write transactions are short
PG_CONNECT_TIMEOUT_SECONDS = 10  # an unreachable server fails in seconds, not minutes
BEGIN_MODE = "sqlite_begin"  # execution option: "IMMEDIATE" for writers, "DEFERRED" for readers

P = ParamSpec("P")
R = TypeVar("R")


def make_engine(url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; raise StorageError for anything else."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_ms)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed)
    raise StorageError(f"database URL {safe_url(parsed)}: only sqlite:// and postgresql:// are supported")


def _parse(url: str) -> URL:
    """Parse a URL; psycopg 3 is the PostgreSQL driver whatever the URL names."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"database URL {url.split('@')[-1]!r} is not a valid URL") from None
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: URL) -> str:
    """The URL without its password or driver name, for messages."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def _postgres_engine(url: URL) -> Engine:
    """A pooled PostgreSQL engine that notices dropped connections."""
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,  # stored URLs and texts never reach a log or a traceback
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS},
    )


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    """A SQLite engine in WAL mode with foreign keys, where writers take the lock when they begin."""
    _make_parent(url.database)
    engine = create_engine(
        url,
        hide_parameters=True,  # stored URLs and texts never reach a log or a traceback
        connect_args={"check_same_thread": False, "isolation_level": None},
    )
    event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_timeout_ms=busy_timeout_ms))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _make_parent(database: str | None) -> None:
    """Create the directory of a SQLite file (the default data directory may not exist yet)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the directory of SQLite database {database}: {exc.strerror}"
        ) from None


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any, *, busy_timeout_ms: int) -> None:
    """WAL lets readers run beside the writer; foreign keys are off in SQLite unless asked for."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """BEGIN IMMEDIATE for writers: a deferred read-then-write transaction can fail at once with 'locked'."""
    mode = connection.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")


def is_locked(exc: BaseException) -> bool:
    """Whether an error is SQLite's busy/locked, which a later attempt may not meet."""
    return isinstance(exc, DBAPIError) and "database is locked" in str(exc.orig)


def describe(exc: SQLAlchemyError) -> str:
    """The first line of the driver's message, without SQL or parameters."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def translated(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: database errors leave as a one-line StorageError."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        """Call through, translating."""
        try:
            return func(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {describe(exc)}") from exc

    return wrapper


def retry_locked(attempt: Callable[[], R]) -> R:
    """Run `attempt`, again with growing pauses while SQLite says it is locked; the last failure escapes."""
    for tries in range(LOCK_RETRIES - 1):
        try:
            return attempt()
        except DBAPIError as exc:
            if not is_locked(exc):
                raise
            time.sleep(LOCK_BACKOFF_SECONDS * 2**tries)
    return attempt()
