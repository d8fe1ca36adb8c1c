"""Tables in text, and what each cell is read against.

Two shapes reach the extractor: pipe tables (``| a | b |`` lines, as trafilatura writes HTML tables and as
Markdown writes them), and plain-text tables — dot-leader lines (``Cloud Intelligence revenue ...... 43.3``),
"label: value" lists and compact rows (``FY25 Q2  +7%``) under a heading. Both are read through one model:
a row has a label (its first cell), and each figure is read against the table's caption, the heading of its
own column (a growth column headed only "YoY" or "同比" inherits the heading before it) and its row's label,
never against other columns' headings. So a bare "39,824" in the cloud row of a table "in millions of RMB"
is cloud revenue in RMB million, dated by the period at the top of its column or in its row's label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from extractors.entities import clean, find_entities
from extractors.lexicon import Lexicon
from extractors.numbers import CURRENCIES, Mention

_RULE_RE = re.compile(r"^\|[\s|:-]+$")
_FIGURES_RE = re.compile(r"[-+−]?[$¥€£]?\d[\d,.]*\s*(?:%|％|[亿万億萬]元?|[BMK]\b)?")
# "(RMB million)", "RMB in millions", "in millions of RMB", "US$ thousands", "人民币百万元", "单位：亿元"
_CURRENCY = r"RMB|CNY|yuan|Renminbi|US\$|USD|US dollars|HK\$|HKD|人民币|美元|港元"
_DECLARED_RE = re.compile(
    rf"(?P<cur>{_CURRENCY})\s*(?:in\s+)?(?P<scale>millions?|thousands?|billions?|bn|mn)\b"
    rf"|\bin (?P<scale2>millions|thousands|billions) of (?P<cur2>{_CURRENCY})"
    r"|(?P<cur3>人民币|美元|港元)?(?P<zscale>百万|千|万|亿)(?P<yuan>元|美元|港元)",
    re.IGNORECASE,
)
# A currency named on its own in a heading ("(RMB)", "单位：人民币"): scaled figures below are in it
_BARE_CURRENCY_RE = re.compile(
    r"[(（]\s*(?:in\s+)?(?P<cur>RMB|CNY|yuan|US\$|USD|人民币|美元)\s*[)）]|单位\s*[:：]\s*(?P<cur2>人民币|美元)"
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
# A column that only says how the one before it changed: "| Revenue | YoY |", "| 收入 | 同比 |", "YoY %"
_CHANGE_WORDS_RE = re.compile(
    r"YoY|Y/Y|y-o-y|QoQ|Q/Q|growth|change|chg\.?|同比|环比|按年|按季|增速|增幅|增长|变动|年增率?|[%％()（）\s]",
    re.IGNORECASE,
)


# Plain-text rows. A compact row opens with a period label and then its figures ("FY25 Q2  +7%", "FQ3 +3% (RMB
# 28.1B)", "2024年1-3月：255.95亿元"); any other row is a label, a separator (a dot leader, a colon, a tab or
# a wide gap) and figures only ("Cloud Intelligence revenue ........ 43.3 billion", "Revenue: RMB 45.6 bn").
_PERIOD_LABEL = (
    r"FY\s?\d{2,4}\s*Q[1-4]|[1-4]Q\s?FY\s?\d{2,4}|F?Q[1-4](?:\s*FY\s?\d{2,4})?|Q[1-4]\s*(?:20)?\d{2}"
    r"|20\d{2}\s*(?:Q[1-4]|H[12])|(?:20\d{2}\s*年)?\s*\d{1,2}\s*[-—–至~]\s*\d{1,2}\s*月"
    r"|20\d{2}\s*财?年\s*(?:第?[一二三四1-4]季度?|[上下]半年)|(?:Mar|Jun|Sept?|Dec)[-' ]?\d{2}[AE]?"
)
_BULLET = r"^\s*(?:[-•*·▪]\s+)?"
_COMPACT_ROW_RE = re.compile(rf"{_BULLET}(?P<label>{_PERIOD_LABEL})(?:\s*[:：]\s*|\s+)(?P<value>\S.*)$", re.I)
_LABELLED_ROW_RE = re.compile(
    rf"{_BULLET}(?P<label>[^\d|:：\n]{{2,60}}?)"
    r"(?:\s*(?:\.{3,}|…{2,}|·{3,}|_{3,})\s*|\s*[:：]\s*|\t+\s*|\s{2,}|\s(?=[+\-−]\d))(?P<value>\S.*)$"
)
# What may sit beside the numbers in a row's figures: units, scales, currencies, signs and comparisons.
_FIGURE_WORDS_RE = re.compile(
    r"\d[\d,.]*|RMB|CNY|US\$|USD|HK\$|HKD|yuan|billion|million|thousand|trillion|bn|mn|mln|bln|tn|[BMK]\b"
    r"|percent|per cent|pct|pp|ppt|y/y|yoy|q/q|qoq|year[- ]over[- ]year|year[- ]on[- ]year|approx\.?|about"
    r"|around|over|more than|up|down|to|from|vs\.?|est\.?|estimate|consensus|[AE]\b"
    r"|亿元|万元|百万元|亿|万|元|人民币|美元|同比|增长|下降|约|超|逾|以上|左右|[^\w]"
    r"|\b(?:F?Q|H|FY)(?=\d)",  # period labels in a run of figures: "Q1 +26% → Q2 +34%"
    re.IGNORECASE,
)
MAX_PLAIN_VALUE = 60  # chars: the figures of a plain row are short; longer text is prose with a colon
MAX_HEADING = 120  # chars: a line longer than this above a plain table is prose, not its heading
_SENTENCE_END_RE = re.compile(r"[.。!?！？]\s*$")
_LIST_ITEM_RE = re.compile(r"^\s*[-•*·▪]\s+")
_INTRODUCES_RE = re.compile(
    r"\b(?:the|this) (?:following )?table\b|\btable below\b|\bas follows\b|下表|如下表|见下表|如下", re.I
)


@dataclass(frozen=True)
class Table:
    """The context of one data row, or of one cell of it: caption, headings and the unit of bare figures."""

    caption: str
    header: str  # the header row as written ("| Segment | Q3 2025 |"), or "" for a plain-text table
    currency: str | None = None  # ISO code of bare amounts, when the table declares one
    multiplier: int = 1
    row: str = ""  # the row as read: a cell view blanks every other figure cell
    measure: str = ""  # what the rows measure when only the table's total row says so ("revenue")
    column: int | None = None  # the cell a view reads (its index in ``row.split("|")``); None: the whole row
    above: str = ""  # the label of the row above, when this row's label only says how it changed ("YoY")
    named_rows: bool = True  # the rows' labels name what each row is about (segments, companies)

    @property
    def prefix(self) -> str:
        """Text read before the row, so cues in the caption and headings reach its figures."""
        measure = f"{self.measure} :: " if self.measure else ""
        measure = f"{self.above} :: {measure}" if self.above else measure
        if self.column is None:
            return f"{self.caption} :: {self.header} :: {measure}"
        return f"{self.caption} :: {self._label_heading()} | {self._heading()} :: {measure}"

    def views(self) -> Iterator[Table]:
        """One view per figure cell of a pipe row (other figure cells blanked); the whole row otherwise."""
        cells = self.row.split("|")
        figure_cells = [i for i in range(2, len(cells) - 1) if re.search(r"\d", cells[i])]
        if not self.header or len(figure_cells) < 2:
            yield self
            return
        for index in figure_cells:
            # other cells keep their words (a row's question or description says what its figures are)
            # but not their figures, which would bind the periods and cues meant for this one
            kept = [c if i in (0, 1, index) else _FIGURES_RE.sub(_blank, c) for i, c in enumerate(cells)]
            yield replace(self, row="|".join(kept), column=index)

    def in_label(self, position: int) -> bool:
        """True when a position of the text (prefix + row) falls in a cell view's row label."""
        if self.column is None:
            return False
        cells = self.row.split("|")
        start = len(self.prefix) + len(cells[0]) + 1
        return start <= position < start + len(cells[1])

    def scaled(self, mention: Mention) -> Mention:
        """A bare figure in the table's declared unit ("39,824" in RMB million -> 39824000000 CNY)."""
        if self.currency is None or mention.unit != "count" or mention.streak:
            return mention
        currency = self._column_currency(mention.start) or self.currency
        if mention.scaled:  # "43.3 billion" under a heading "(RMB)": the scale is written, the currency not
            bare = mention.stated_unit is not None and self.multiplier == 1
            return replace(mention, unit=currency) if bare else mention
        value = mention.value * Decimal(self.multiplier)
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
        if self.column is not None:
            start = len(self.caption) + 4 + len(self._label_heading()) + 3  # " :: " label " | "
            return (start, start + len(self._heading()))
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

    def _label_heading(self) -> str:
        """The heading of the label column ("Segment", "季度")."""
        cells = self.header.split("|")
        return cells[1].strip() if len(cells) > 1 else ""

    def _heading(self) -> str:
        """The own column's heading; a change column ("YoY", "同比") reads with the heading before it."""
        cells = self.header.split("|")
        if self.column is None or self.column >= len(cells):
            return ""
        heading = cells[self.column].strip()
        if _says_change(heading) and self.column > 2:
            return f"{cells[self.column - 1].strip()} {heading}"
        return heading


class TableReader:
    """Follows a document line by line and says, for each table data row, what it is read against."""

    def __init__(self, lines: list[str] | None = None, lexicon: Lexicon | None = None) -> None:
        self._lines = lines or []  # the document's lines, so a header can look ahead at its table's rows
        self._lexicon = lexicon
        self._caption = ""
        self._headings: list[str] = []  # the short lines just above: a plain table's heading
        self._header: str | None = None
        self._measure = ""
        self._plain: str | None = None  # the heading of the plain-text table being read, if any
        self._plain_named = False  # whether that table's labels name what its rows are about
        self._above = ""  # the label of the last row read: a change row below it ("YoY growth") is about it
        self._named = True  # whether the pipe table's row labels name what each row is about

    def read(self, line: str, index: int = -1) -> Table | None:
        """The context of a data row (line ``index`` of the document), or None for any other line."""
        if not line.startswith("|"):
            return self._read_text_line(line, index)
        self._headings = []  # what heads a plain table is the text right above it, not above a pipe table
        if _RULE_RE.match(line):
            return None
        if self._header is None:
            if _caption_row(line):  # trafilatura writes a table's <caption> as its first row
                self._caption = _cells(line)[0]
                return None
            self._header, self._measure, self._above = line, self._measure_below(index), ""
            self._named = self._pipe_labels_name(index)
            return None
        currency, multiplier = _declared(clean(f"{self._caption} {self._header}"))  # "億元" reads as "亿元"
        above = self._above if _says_change(_label(line)) else ""
        self._above = _label(line) if not above else self._above
        caption = self._caption if _captions(self._caption) else ""
        measure = self._measure
        return Table(
            caption, self._header, currency, multiplier, line, measure, above=above, named_rows=self._named
        )

    def _read_text_line(self, line: str, index: int) -> Table | None:
        """A plain-text table row read against the heading above its block; any other line is prose."""
        if self._headings and figure_line(line):
            # a card: a label on one line and its figure alone on the next ("Current MAU" / "~100M")
            label = self._headings[-1]
            self._headings = []
            return Table(label, "", *_declared(clean(label)), row=line, named_rows=False)
        if self._in_plain_block(line, index):
            if self._plain is None:
                self._plain = " ".join(self._headings[-2:])
                self._plain_named = self._names_rows(index)
            currency, multiplier = _declared(clean(self._plain))
            return Table(self._plain, "", currency, multiplier, row=line, named_rows=self._plain_named)
        self._plain = None
        self._caption, self._header = line, None
        self._headings = [*self._headings[-1:], line] if heading_line(line) else []
        return None

    def _in_plain_block(self, line: str, index: int) -> bool:
        """True for a plain row beside another one (a block), or right under a short heading."""
        if not plain_row(line):
            return False
        if self._plain is not None:
            return True
        neighbours = [self._lines[i] for i in (index - 1, index + 1) if 0 <= i < len(self._lines)]
        return any(plain_row(n) for n in neighbours) or bool(self._headings)

    def _pipe_labels_name(self, index: int) -> bool:
        """True when the labels of the pipe table whose header is line ``index`` name several companies or
        segments, or none at all while its caption names one (then every row is about that one)."""
        named: set[str] = set()
        for line in self._lines[index + 1 :] if index >= 0 else ():
            if not line.startswith("|"):
                break
            named.update(e.entity for e in find_entities(clean(_label(line)), self._lexicon))
        return len(named) > 1 or bool(find_entities(clean(self._caption), self._lexicon)) or index < 0

    def _names_rows(self, index: int) -> bool:
        """True when the labels of the plain block starting at line ``index`` name several companies or
        segments (a comparison: each row is about its own label), not one subject's several figures."""
        named: set[str] = set()
        for line in self._lines[index:]:
            match = _COMPACT_ROW_RE.match(line) or _LABELLED_ROW_RE.match(line)
            if match is None or not plain_row(line):
                break
            named.update(e.entity for e in find_entities(clean(match["label"]), self._lexicon))
        return len(named) > 1

    def _measure_below(self, index: int) -> str:
        """"revenue" when a row of the table starting after line ``index`` is its total revenue."""
        for line in self._lines[index + 1 :] if index >= 0 else ():
            if not line.startswith("|"):
                break
            if _TOTAL_REVENUE_ROW_RE.match(line):
                return "revenue"
        return ""


def plain_row(line: str) -> bool:
    """True for a line that is a label and figures ("Cloud revenue ...... 43.3 billion", "FY25 Q2  +7%")."""
    match = _COMPACT_ROW_RE.match(line) or _LABELLED_ROW_RE.match(line)
    if match is None:
        return False
    value = match["value"]
    return len(value) <= MAX_PLAIN_VALUE and re.search(r"\d", value) is not None and _figures_only(value)


def figure_line(line: str) -> bool:
    """True for a line that is a figure alone ("70M+", "~100M", "RMB 39.8B", "34%")."""
    if len(line) > MAX_PLAIN_VALUE or re.search(r"\d", line) is None or _COMPACT_ROW_RE.match(line):
        return False  # a compact row ("FY25 Q2  +7%") labels itself
    return _figures_only(line)


def _figures_only(value: str) -> bool:
    """True when a row's value holds figures and their units, and no prose."""
    return not _FIGURE_WORDS_RE.sub("", value).strip()


def _captions(line: str) -> bool:
    """True when the line above a table can caption it: a heading, a line ending in a colon, or prose that
    introduces the table ("The table below summarises ...", "下表汇总了 ..."); other prose would lend its
    words to every cell."""
    introduces = _INTRODUCES_RE.search(line) is not None
    return heading_line(line) or line.rstrip().endswith((":", "：")) or introduces


def heading_line(line: str) -> bool:
    """True for a line that can head a plain table: short, and not a sentence or a list item of prose."""
    return len(line) <= MAX_HEADING and not _SENTENCE_END_RE.search(line) and not _LIST_ITEM_RE.match(line)


def _blank(match: re.Match[str]) -> str:
    """Spaces as long as the match: offsets in the row stay where they were."""
    return " " * len(match.group())


def _says_change(label: str) -> bool:
    """True for a heading or row label that only says how something changed ("YoY % change", "同比增长")."""
    return bool(label.strip()) and not _CHANGE_WORDS_RE.sub("", label)


def _label(row: str) -> str:
    """The label (first cell) of a pipe row."""
    cells = row.split("|")
    return cells[1].strip() if len(cells) > 2 else ""


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
        bare = _BARE_CURRENCY_RE.search(text)
        if bare is None:
            return None, 1
        name = (bare["cur"] or bare["cur2"]).lower()
        return CURRENCIES.get(name, _named_currency(name)), 1
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
