"""Scratch PostgreSQL databases and clean tables for tests (the server at 127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import os
import secrets

import psycopg
from psycopg import sql

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_URL = f"{PG_SERVER}/postgres"
PG_CONNECT_TIMEOUT = 3  # seconds: a server that does not answer this fast is taken as absent
CLEAN_LOCK_TIMEOUT = "10s"  # a connection left inside a transaction fails the test instead of hanging it
KEEP_TABLES = ("alembic_version",)  # cleaning keeps the schema and its revision


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when a server answers."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=PG_CONNECT_TIMEOUT) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL server answers at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
    return None


def create_database(prefix: str = "claimwatch_test") -> str:
    """Create an empty scratch database; its URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{PG_SERVER}/{name}"


def drop_database(url: str) -> None:
    """Drop a scratch database, disconnecting whoever is still in it."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def clean_database(url: str) -> None:
    """Empty every table of a database (schema and migration revision stay)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"SET lock_timeout = '{CLEAN_LOCK_TIMEOUT}'")
        rows = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        tables = [sql.Identifier(name) for (name,) in rows if name not in KEEP_TABLES]
        if tables:
            connection.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(tables))
            )
