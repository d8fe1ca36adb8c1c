"""Bring a database to the newest schema with Alembic, driven from Python (no alembic.ini)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from storage.engine import retry_locked

SCRIPT_LOCATION = "storage:migrations"
PG_MIGRATION_LOCK = 0x636C61696D  # pg_advisory_lock key ("claim"): one migrator at a time per database


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations; `connection` is the one env.py will use."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision id in the package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage.migrations has no revisions"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    return MigrationContext.configure(connection).get_current_revision()


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
    if current_revision(connection) != head_revision():
        command.upgrade(alembic_config(connection), "head")
