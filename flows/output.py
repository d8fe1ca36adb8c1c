"""Rich tables and terminal text for people (JSON for programs: app/records.py).

Tables hold ``Text`` cells (never markup) made printable (see flows/printable.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.records import conflict_json
from flows.printable import printable

if TYPE_CHECKING:
    from storage.results import StoredEvent


def print_table(console: Console, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows as a rich table, or a short line when there are none."""
    rows = list(rows)
    if not rows:
        console.print(f"{title}: none")
        return
    table = Table(title=Text(printable(title)), show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if cell is None else printable(cell)) for cell in row))
    console.print(table)


def conflict_text(stored: StoredEvent) -> str:
    """How a conflict stands, for tables: "open", "resolved by <source>", "superseded by <source>"."""
    found = conflict_json(stored)
    if found is None:
        return ""
    return found["status"] + (f" by {found['closed_by']}" if found["closed_by"] else "")


def local_time(moment: datetime) -> str:
    """A time in the local time zone, to the second, with the zone's name: "2026-03-02 10:30:05 CET"."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


