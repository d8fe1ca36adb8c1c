"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL: how every write stays idempotent."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}  # both spell ON CONFLICT the same way


def insert_ignore(
    session: Session, model: type[Base], values: dict[str, Any], key: Sequence[str]
) -> Any | None:
    """Insert a row unless one with the same `key` columns exists; the new primary key, else None."""
    statement = _statement(session.get_bind().dialect.name, model, tuple(key))
    return session.execute(statement, values).scalar_one_or_none()


@functools.cache
def _statement(dialect: str, model: type[Base], key: tuple[str, ...]) -> Executable:
    """The statement, built once; values come as parameters (building it costs more than running it)."""
    table = model.__table__
    insert = _INSERTS[dialect](table).on_conflict_do_nothing(index_elements=list(key))
    return insert.returning(*table.primary_key.columns)
