"""Database fixtures for every test: the same test runs on SQLite (a WAL file) and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import clean_database, create_database, drop_database, postgres_unavailable

from storage import Store

# A flow command leaves Prefect's temporary server running for the next one; in tests, the next one has its
# own PREFECT_HOME, so each server leaves when its command ends (tests of the idle time set their own).
os.environ.setdefault("CLAIMWATCH_SERVER_IDLE", "0")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server() -> None:
    """Skip (with the reason) when no PostgreSQL server answers."""
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: None) -> Iterator[str]:
    """A scratch database for this test session, dropped at the end."""
    url = create_database()
    yield url
    drop_database(url)


def _sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'claimwatch.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no rows: a fresh SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_database")
    clean_database(url)
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database never migrated: a fresh SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    request.getfixturevalue("postgres_server")
    url = create_database("claimwatch_empty")
    yield url
    drop_database(url)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An open, migrated, empty Store on each backend."""
    opened = Store.open(database_url)
    yield opened
    opened.close()
