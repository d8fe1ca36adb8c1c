"""Bring a database to the newest schema with Alembic, driven from Python (no alembic.ini)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from storage.engine import retry_locked

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "storage:migrations"
PG_MIGRATION_LOCK = 0x636C61696D  # pg_advisory_lock key ("claim"): one migrator at a time per database
# The newest revision, so opening a database that is at it needs no Alembic (a tenth of a second of imports
# for every command); tests/test_storage.py checks it against Alembic's own head.
HEAD = "0005"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations; `connection` is the one env.py will use."""
    from alembic.config import Config  # noqa: PLC0415 - Alembic loads only to migrate

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision id in the package, as Alembic finds it."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage.migrations has no revisions"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    return MigrationContext.configure(connection).get_current_revision()


def _at_head(connection: Connection) -> bool:
    """Whether the database is at HEAD, read without Alembic; False when it has no version table yet."""
    try:
        with connection.begin_nested():
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:
        return False
    return found == [HEAD]


def upgrade(engine: Engine) -> None:
    """Migrate to head; safe when several processes do it at once."""
    if engine.dialect.name == "postgresql":
        _upgrade_postgres(engine)
    else:
        retry_locked(lambda: _upgrade_in_transaction(engine))


def _upgrade_in_transaction(engine: Engine) -> None:
    """On SQLite the writer lock (BEGIN IMMEDIATE) serialises migrators."""
    with engine.begin() as connection:
        _upgrade_if_behind(connection)


def _upgrade_postgres(engine: Engine) -> None:
    """On PostgreSQL an advisory lock serialises migrators; the second finds the work done."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        connection.commit()  # the lock belongs to the session, not to this transaction
        try:
            with connection.begin():
                _upgrade_if_behind(connection)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_MIGRATION_LOCK})
            connection.commit()


def _upgrade_if_behind(connection: Connection) -> None:
    """Run Alembic only when the database is not at head (cheap on every open)."""
    if not _at_head(connection) and current_revision(connection) != head_revision():
        from alembic import command  # noqa: PLC0415

        command.upgrade(alembic_config(connection), "head")
