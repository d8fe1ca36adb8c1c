"""Alembic environment: migrations run on the connection the caller passes in (see storage.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate on the caller's connection, or on `sqlalchemy.url` when run from the alembic command line."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        with create_engine(context.config.get_main_option("sqlalchemy.url") or "").begin() as own:
            _run(own)
    else:
        _run(connection)


def _run(connection: object) -> None:
    """Configure the context and apply the pending revisions."""
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
