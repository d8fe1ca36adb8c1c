"""Turning domain objects into JSON for programs and rich tables for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from core.types import Claim


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an int when it is whole, else a float."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def claim_json(claim: Claim) -> dict[str, Any]:
    """The JSON object `claimwatch extract --json` prints for one claim."""
    return {
        "metric": claim.metric,
        "entity": claim.entity,
        "value": number(claim.value),
        "unit": claim.unit,
        "qualifier": str(claim.qualifier),
        "period": claim.period.label if claim.period else None,
        "forecast": claim.forecast,
        "evidence": claim.evidence,
        "start": claim.start,
        "end": claim.end,
    }


def dump_json(rows: Iterable[dict[str, Any]]) -> str:
    """A JSON array, one object per row, readable by people too."""
    return json.dumps(list(rows), ensure_ascii=False, indent=2)


def print_table(console: Console, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows as a rich table, or a short line when there are none."""
    rows = list(rows)
    if not rows:
        console.print(f"{title}: none")
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)


def format_value(value: Decimal, unit: str, qualifier: str = "exact") -> str:
    """A figure as people write it: 'over 700 million', '34%', 'CNY 22.3 billion'."""
    words = {"over": "over ", "at_least": "at least ", "approx": "approx. ", "under": "under "}
    prefix = words.get(str(qualifier), "")
    if unit == "percent":
        return f"{prefix}{_trim(value)}%"
    scaled = _scaled(value)
    return f"{prefix}{unit} {scaled}" if unit != "count" else f"{prefix}{scaled}"


_SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))


def _scaled(value: Decimal) -> str:
    """1000000000 -> '1 billion'; small numbers with thousands separators."""
    for size, word in _SCALES:
        if abs(value) >= size:
            return f"{_trim(value / size)} {word}"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{_trim(value)}"


def _trim(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 22.30 -> 22.3."""
    text = f"{value.normalize():f}"
    return text
