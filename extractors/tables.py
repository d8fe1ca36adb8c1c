"""Tables in text (``| a | b |`` lines, as trafilatura writes them): what a row's cells are read against.

A row's figures are read after the table's caption and header ("Segment revenue (in millions of RMB)",
"| Segment | Three months ended September 30, 2025 |"), so a bare "39,824" in the cloud row is cloud
revenue in RMB million, dated by the period at the top of its own column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from extractors.entities import clean
from extractors.numbers import CURRENCIES, Mention

_RULE_RE = re.compile(r"^\|[\s|:-]+$")
# "(RMB million)", "RMB in millions", "in millions of RMB", "US$ thousands", "人民币百万元", "单位：亿元"
_CURRENCY = r"RMB|CNY|yuan|Renminbi|US\$|USD|US dollars|HK\$|HKD|人民币|美元|港元"
_DECLARED_RE = re.compile(
    rf"(?P<cur>{_CURRENCY})\s*(?:in\s+)?(?P<scale>millions?|thousands?|billions?|bn|mn)\b"
    rf"|\bin (?P<scale2>millions|thousands|billions) of (?P<cur2>{_CURRENCY})"
    r"|(?P<cur3>人民币|美元|港元)?(?P<zscale>百万|千|万|亿)(?P<yuan>元|美元|港元)",
    re.IGNORECASE,
)
_SCALES = {
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "mn": 10**6,
    "千": 10**3,
    "万": 10**4,
    "百万": 10**6,
    "亿": 10**8,
}
_ZH_CURRENCY = {"元": "CNY", "美元": "USD", "港元": "HKD"}
# A column headed in another currency than the table's ("Three months ended March 31, 2026 (US$)")
_COLUMN_CURRENCY_RE = re.compile(r"US\$|\bUSD\b|US dollars|美元|HK\$|\bHKD\b|港元", re.IGNORECASE)
# A table whose rows add up to "Total revenue" is a revenue table, even when no caption says so.
_TOTAL_REVENUE_ROW_RE = re.compile(
    r"^\|\s*(?:total\s+|net\s+)*revenues?\s*\||^\|\s*(?:总|總)?(?:收入|营收|營收)\s*\|", re.I
)


@dataclass(frozen=True)
class Table:
    """The context of one data row: caption and header text, and the unit bare figures are stated in."""

    caption: str
    header: str
    currency: str | None = None  # ISO code of bare amounts, when the table declares one
    multiplier: int = 1
    row: str = ""
    measure: str = ""  # what the rows measure when only the table's total row says so ("revenue")

    @property
    def prefix(self) -> str:
        """Text read before the row, so cues in the caption and header reach its figures."""
        measure = f"{self.measure} :: " if self.measure else ""
        return f"{self.caption} :: {self.header} :: {measure}"

    def scaled(self, mention: Mention) -> Mention:
        """A bare figure in the table's declared unit ("39,824" in RMB million -> 39824000000 CNY)."""
        if self.currency is None or mention.scaled or mention.unit != "count" or mention.streak:
            return mention
        value = mention.value * Decimal(self.multiplier)
        currency = self._column_currency(mention.start) or self.currency
        return replace(mention, value=value, unit=currency, stated_value=mention.value, scaled=True)

    def column_heading(self, position: int) -> str:
        """The heading of the column a row position falls in ("" when the header has no such cell)."""
        low, high = self.column_span(position)
        return self.prefix[low:high]

    def _column_currency(self, position: int) -> str | None:
        """The currency a cell's own column heading names, when it names one."""
        found = _COLUMN_CURRENCY_RE.search(self.column_heading(position))
        return None if found is None else _named_currency(found.group(0).lower())

    def column_span(self, position: int) -> tuple[int, int]:
        """Where, in the prefix, the header cell above a row position sits (its column's heading)."""
        row_start = len(self.prefix)
        column = self._row_column(position - row_start)
        offset = len(self.caption) + 4  # " :: " after the caption
        cells = self.header.split("|")
        if column >= len(cells):
            return (0, 0)
        start = offset + sum(len(c) + 1 for c in cells[:column])
        return (start, start + len(cells[column]))

    def _row_column(self, position: int) -> int:
        """Index of the cell a row position falls in, counting the empty text before the first bar."""
        return self.row.count("|", 0, position)


class TableReader:
    """Follows a document line by line and says, for each table data row, what it is read against."""

    def __init__(self, lines: list[str] | None = None) -> None:
        self._lines = lines or []  # the document's lines, so a header can look ahead at its table's rows
        self._caption = ""
        self._header: str | None = None
        self._measure = ""

    def read(self, line: str, index: int = -1) -> Table | None:
        """The context of a data row (line ``index`` of the document), or None for any other line."""
        if not line.startswith("|"):
            self._caption, self._header = line, None
            return None
        if _RULE_RE.match(line):
            return None
        if self._header is None:
            if _caption_row(line):  # trafilatura writes a table's <caption> as its first row
                self._caption = _cells(line)[0]
                return None
            self._header, self._measure = line, self._measure_below(index)
            return None
        currency, multiplier = _declared(clean(f"{self._caption} {self._header}"))  # "億元" reads as "亿元"
        return Table(self._caption, self._header, currency, multiplier, row=line, measure=self._measure)

    def _measure_below(self, index: int) -> str:
        """"revenue" when a row of the table starting after line ``index`` is its total revenue."""
        for line in self._lines[index + 1 :] if index >= 0 else ():
            if not line.startswith("|"):
                break
            if _TOTAL_REVENUE_ROW_RE.match(line):
                return "revenue"
        return ""


def _cells(line: str) -> list[str]:
    """The non-empty cells of a table line."""
    return [cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip()]


def _caption_row(line: str) -> bool:
    """A row of several cells with text in the first only: a caption spanning the table."""
    cells = line.strip().strip("|").split("|")
    return len(cells) > 1 and bool(cells[0].strip()) and not any(c.strip() for c in cells[1:])


def _declared(text: str) -> tuple[str | None, int]:
    """The currency and scale a caption or header declares for bare figures, if any."""
    match = _DECLARED_RE.search(text)
    if match is None:
        return None, 1
    if match["zscale"]:
        return _ZH_CURRENCY[match["yuan"]], _SCALES[match["zscale"]]
    currency = (match["cur"] or match["cur2"]).lower()
    scale = (match["scale"] or match["scale2"]).lower().rstrip("s")
    return CURRENCIES.get(currency, _named_currency(currency)), _SCALES[scale]


def _named_currency(name: str) -> str:
    """ISO code for currency names the number parser does not spell out."""
    if "us" in name or name == "美元":
        return "USD"
    return "HKD" if "hk" in name or name == "港元" else "CNY"
