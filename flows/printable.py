"""What claimwatch prints is text: never Rich markup, never terminal control.

Everything printed comes from pages, feeds and servers. Read as markup, "Evil [/] News" crashed every
later table and ``[link=...]`` became a hyperlink; passed through, an escape sequence could clear the
screen or plant a hyperlink. The console here reads no markup and drops control characters; tables hold
``Text`` cells (flows/output.py); JSON escapes them (app/records.py). Light: every command imports it.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from app.records import CONTROL


def printable(value: object) -> str:
    """Text safe for a terminal: control characters removed."""
    return CONTROL.sub("", str(value))


class SafeConsole(Console):
    """A rich Console that reads no markup and drops control characters from the strings it prints."""

    def __init__(self, **options: Any) -> None:
        super().__init__(markup=False, **options)

    def print(self, *objects: Any, **options: Any) -> None:
        """Print as rich does, strings made printable first (markup is never read, whatever is asked)."""
        options.pop("markup", None)
        super().print(*(printable(o) if isinstance(o, str) else o for o in objects), markup=False, **options)
