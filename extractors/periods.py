"""Period phrases ("the September quarter of 2025", "fiscal Q2 2026", "上半年") resolved to core Periods."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from core.periods import LooseDate, Period

REPORTING_LAG_DAYS = 40  # quarterly results come out four to eight weeks after a quarter closes
CALENDAR_YEAR_END_MONTH = 12  # an entity with no fiscal calendar of its own reports by the calendar year
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_ORDINAL_Q = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
}
_ORDINAL_H = {"first": 1, "second": 2, "1st": 1, "2nd": 2, "上": 1, "下": 2}
_MONTH = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_YY = r"'?(?P<yy>\d{2})\b"
_ORD = r"(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)"
_ANCHOR_RE = re.compile(
    r"(?P<a>\b(?:by|as of|as at|at the end of|end of|end-|through|until|up to|since|from|after|before|"
    r"launched in|released in|founded in|in|for|during|of)|截至|截止|到|自|从)\s*(?:the\s+)?$",
    re.I,
)
_BY_WORDS = frozenset(
    {
        "by",
        "as of",
        "as at",
        "at the end of",
        "end of",
        "end-",
        "through",
        "until",
        "up to",
        "截至",
        "截止",
        "到",
    }
)
_SINCE_WORDS = frozenset(
    {"since", "from", "after", "before", "launched in", "released in", "founded in", "自", "从"}
)


@dataclass(frozen=True)
class PeriodMention:
    """A period phrase in a sentence and how the sentence ties to it."""

    period: Period
    start: int
    end: int
    anchor: str  # "by" (a point in time), "since" (a starting point, never a claim's period) or "in"
    fiscal: bool = False
    implied: bool = False  # the year was not written: taken as the latest such period ended at publication
    relative: bool = False  # read against the document's frame: "last quarter", "该季度", "next year"
    day: bool = False  # a date ("as of December 6"): the month of a level, never a flow's period


_HEADING_YEAR_RE = re.compile(
    r"(?:\bfiscal(?:\s+year)?|\bFY)\s*'?(?P<fy>(?:20)?\d{2})\b|(?P<zfy>20\d{2})\s*财年|\b(?P<year>20\d{2})\b",
    re.I,
)


@dataclass(frozen=True)
class Frame:
    """What a document says about time as a whole: when it was published, the quarter it reports, and the
    fiscal calendar of the company it is about (the month its fiscal year ends: 3 for Alibaba)."""

    published: LooseDate | None = None
    reported: Period | None = None  # the quarter the document reports on, when it names one
    fiscal_year_end: int = CALENDAR_YEAR_END_MONTH
    reported_fiscal: bool = False  # the document names that quarter on the fiscal calendar ("FY26 Q3")
    preview: bool = False  # the document previews that quarter's results, not yet out
    # the year a table's heading states ("... by quarter, fiscal 2024"), for row labels that name none ("FQ3")
    heading_year: int | None = None
    heading_fiscal: bool = False

    def under_heading(self, heading: str) -> Frame:
        """This frame, with the year a table heading states (a fiscal year, or else a calendar one)."""
        match = _HEADING_YEAR_RE.search(heading)
        if match is None:
            return self
        fiscal = match["fy"] or match["zfy"]
        year = fiscal or match["year"]
        value = int(year) if len(year) == 4 else 2000 + int(year)
        return replace(self, heading_year=value, heading_fiscal=fiscal is not None)

    def fiscal_quarter(self, fq: int, fy: int) -> Period:
        """Fiscal quarter ``fq`` of fiscal year ``fy`` as the calendar quarter it covers."""
        end = self.fiscal_year_end
        month = (end + 3 * (fq - 1)) % 12 + 1  # first month of the fiscal quarter
        year = fy - 1 if month > end else fy
        return Period.quarter(year, (month - 1) // 3 + 1)

    def fiscal_year_of_day(self, day: date) -> int:
        """The fiscal year a day falls in, named by the calendar year it ends in."""
        return day.year + (day.month > self.fiscal_year_end)

    def fiscal_number(self, quarter: Period) -> int:
        """Which quarter of its fiscal year a calendar quarter is."""
        months_in = (quarter.start.month - self.fiscal_year_end - 1) % 12
        return months_in // 3 + 1


def _year(match: re.Match[str], ref: LooseDate | None, kind: str, number: int) -> Period | None:
    """The period named, taking its year from the match, or else the latest one ended by ``ref``."""
    groups = match.groupdict()
    year = next((v for k, v in groups.items() if k.startswith("year") and v), None)
    if year:
        return _make(kind, int(year), number)
    if groups.get("yy"):
        return _make(kind, 2000 + int(groups["yy"]), number)
    if ref is None:
        return None
    for year in (ref.day.year, ref.day.year - 1):
        period = _make(kind, year, number)
        if period.end <= ref.day:
            return period
    return None


def _make(kind: str, year: int, number: int) -> Period:
    """A Period of the given kind."""
    return (
        {"q": Period.quarter, "h": Period.half, "m": Period.month}[kind](year, number)
        if kind != "y"
        else Period.year(year)
    )


def _month_quarter(month: int) -> int:
    """The calendar quarter a month belongs to."""
    return (month - 1) // 3 + 1


Resolver = Callable[[re.Match[str], "Frame"], Period | None]
@dataclass(frozen=True)
class _Traits:
    """What kind of phrase a rule reads (see ``_rule``)."""

    fiscal: bool = False
    relative: bool = False
    day: bool = False


_RULES: list[tuple[re.Pattern[str], Resolver, _Traits]] = []
# What a rule returns for a phrase that is a date or span but no calendar period ("the fiscal year ended
# March 31, 2025", "Sept. 30"): the words are used up, so no shorter rule reads a period into them.
NO_PERIOD = Period(date.min, date.min, "none")


def _rule(
    pattern: str, fiscal: bool = False, relative: bool = False, day: bool = False
) -> Callable[[Resolver], Resolver]:
    """Register a phrase pattern and the function that turns its match into a Period.

    ``relative`` marks phrases read against the document's frame ("last quarter", "去年"), which therefore
    cannot help to find that frame; ``day`` marks a date ("as of December 6"), which dates a level or a
    total to its month but is no period a flow of money belongs to.
    """

    def register(fn: Resolver) -> Resolver:
        _RULES.append((re.compile(pattern, re.I | re.ASCII), fn, _Traits(fiscal, relative, day)))
        return fn

    return register


@_rule(
    rf"\b{_MONTH}\s*[-–]\s*{_MONTH.replace('month', 'month2')}"
    rf"(?:\s+(?:period|quarter|half))?(?:,?\s+{_YEAR})?"
)
def _month_span(m: re.Match[str], frame: Frame) -> Period | None:
    """"the July-December period", "January-March 2026": the quarter or half spanned, else no period."""
    ref = frame.published
    first, last = _MONTHS[m["month"].lower()], _MONTHS[m["month2"].lower()]
    kind, number = _span_kind(first, last)
    return NO_PERIOD if kind is None else _year(m, ref, kind, number)


def _span_kind(first: int, last: int) -> tuple[str | None, int]:
    """("q", n) or ("h", n) when months first..last are exactly a calendar quarter or half."""
    if last - first == 2 and first % 3 == 1:
        return "q", _month_quarter(first)
    if last - first == 5 and first in (1, 7):
        return "h", 1 if first == 1 else 2
    return None, 0


@_rule(rf"\b{_YEAR}(?:'s|’s)\s+(?:(?P<ordh>first|second)[\s-]+half|{_ORD}[\s-]+quarter)")
def _year_possessive(m: re.Match[str], frame: Frame) -> Period | None:
    """"2026's first half", "2025's fourth quarter"."""
    if m["ordh"]:
        return Period.half(int(m["year"]), _ORDINAL_H[m["ordh"].lower()])
    return Period.quarter(int(m["year"]), _ORDINAL_Q[m["ord"].lower()])


@_rule(
    rf"\b(?:fiscal\s+)?year\s+end(?:ed|ing)\s+(?:on\s+)?{_MONTH}\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}"
    rf"|\b(?:full\s+)?fiscal\s+year\s+(?:through|to|ended|ending)\s+(?:the\s+end\s+of\s+)?"
    rf"{_MONTH.replace('month', 'month2')}"
    rf"(?:\s+\d{{1,2}})?(?:,?\s+(?:19|20)\d{{2}})?"
)
def _fiscal_year_ended(m: re.Match[str], frame: Frame) -> Period | None:
    return NO_PERIOD  # Alibaba's fiscal year is no calendar period


@_rule(
    # "截至2025年9月30日止季度", or without 截至 when 止 says the same ("2024年12月31日止季度")
    r"(?:截至|截止|(?=(?:20\d{2}\s*年\s*)?(?:1[0-2]|0?[1-9])\s*月[^季]{0,6}止))"
    r"(?:(?P<year>20\d{2})\s*年\s*|(?P<rel>今年|去年))?(?P<month>1[0-2]|0?[1-9])\s*月\s*"
    r"(?:\d{1,2}\s*日|底|末)?\s*止?的?\s*"
    r"(?:季度|三个月|第.季度)"
)
def _quarter_ended_zh(m: re.Match[str], frame: Frame) -> Period | None:
    """"截至2025年9月30日止季度"; without a year ("截至6月底的季度"), the latest such quarter ended."""
    ref = frame.published
    quarter = _month_quarter(int(m["month"]))
    if m["year"]:
        return Period.quarter(int(m["year"]), quarter)
    if ref is None:
        return None
    if m["rel"]:  # "截至今年6月30日止的季度"
        return Period.quarter(ref.day.year - (m["rel"] == "去年"), quarter)
    this_year = Period.quarter(ref.day.year, quarter)
    return this_year if this_year.end <= ref.day else Period.quarter(ref.day.year - 1, quarter)


@_rule(
    rf"\b(?:{_ORD}\s+(?:fiscal\s+)?quarter|Q(?P<q>[1-4]))\s+(?:of\s+)?(?:fiscal(?:\s+year)?|FY)\s*"
    rf"(?:{_YEAR}|{_YY})",
    fiscal=True,
)
def _fiscal_quarter_after(m: re.Match[str], frame: Frame) -> Period | None:
    fy = int(m["year"]) if m["year"] else 2000 + int(m["yy"])
    return frame.fiscal_quarter(_ORDINAL_Q[(m["ord"] or m["q"]).lower()], fy)


@_rule(
    rf"\b(?:fiscal(?:\s+year)?|FY)\s*(?:{_YEAR}|{_YY})\s*(?:{_ORD}\s+quarter|Q(?P<q>[1-4]))\b"
    rf"|\bfiscal\s+Q(?P<q2>[1-4])\s*(?:{_YEAR.replace('year', 'year2')}|'?(?P<yy2>\d{{2}})\b)"
    rf"|\b(?P<q3>[1-4])Q\s?FY\s?(?P<yy3>\d{{2,4}})"
    r"|\bFY(?P<q4>[1-4])Q(?P<yy4>\d{2}|\d{4})\b",  # broker notes: "FY2Q2026" is FY2026's second quarter
    fiscal=True,
)
def _fiscal_quarter_before(m: re.Match[str], frame: Frame) -> Period | None:
    q = m["q"] or m["q2"] or m["q3"] or m["q4"] or str(_ORDINAL_Q[m["ord"].lower()])
    raw = m["year"] or m["yy"] or m["year2"] or m["yy2"] or m["yy3"] or m["yy4"]
    return frame.fiscal_quarter(int(q), int(raw) if len(raw) == 4 else 2000 + int(raw))


# HK press drops 度 ("2026財年第二季") and glosses the quarter's end in brackets ("（截至9月底止）");
# "本财年第三季" is the fiscal year under way at publication
@_rule(
    r"(?:(?P<year>20\d{2})|(?P<rel>本|今|上|下))\s*财年\s*第?(?P<q>[一二三四1-4])季度?"
    r"(?:\s*[（(]截至[^）)]{1,20}[）)])?",
    fiscal=True,
)
def _fiscal_quarter_zh(m: re.Match[str], frame: Frame) -> Period | None:
    if m["year"]:
        return frame.fiscal_quarter(_ORDINAL_Q[m["q"]], int(m["year"]))
    if frame.published is None:
        return None
    shift = {"本": 0, "今": 0, "上": -1, "下": 1}[m["rel"]]
    year = frame.fiscal_year_of_day(frame.published.day) + shift
    return frame.fiscal_quarter(_ORDINAL_Q[m["q"]], year)


@_rule(
    rf"\b(?:quarter|three months)\s+(?:ended|ending|to|through)\s+(?:in\s+)?(?:\d{{1,2}}\s+)?{_MONTH}"
    rf"(?:\s+\d{{1,2}})?(?:,?\s+{_YEAR})?"  # "September 30, 2025" or "31 December 2024"
)
def _quarter_ended(m: re.Match[str], frame: Frame) -> Period | None:
    ref = frame.published
    quarter = _month_quarter(_MONTHS[m["month"].lower()])
    return Period.quarter(int(m["year"]), quarter) if m["year"] else _year(m, ref, "q", quarter)


@_rule(
    rf"\b{_MONTH}\s+(?:{_YEAR}\s+)?(?:quarter|period)"
    rf"(?:\s+(?:of\s+)?{_YEAR.replace('year', 'year2')}(?![\d%]))?"
)
def _month_named_quarter(m: re.Match[str], frame: Frame) -> Period | None:
    ref = frame.published
    quarter = _month_quarter(_MONTHS[m["month"].lower()])
    year = m["year"] or m["year2"]
    return Period.quarter(int(year), quarter) if year else _year(m, ref, "q", quarter)


@_rule(
    rf"\b(?:Q(?P<q>[1-4])|(?P<q2>[1-4])Q)\s*(?:{_YEAR}|{_YY})?(?!\s*(?:fiscal|FY))"
    rf"|\b{_YEAR.replace('year', 'year0')}\s*Q(?P<q0>[1-4])\b"
)
def _q_label(m: re.Match[str], frame: Frame) -> Period | None:
    if m["year0"]:
        return _numbered_quarter(int(m["year0"]), int(m["q0"]), frame)
    return _numbered_quarter(_explicit_year(m) or _sentence_year(m), int(m["q"] or m["q2"]), frame)


# A calendar year the sentence states before a bare quarter: "回看2025年，…千问在四季度", "in 2025, Q4 ..."
# (never a starting point: "founded in 2009", "成立于2009年")
_SENTENCE_YEAR_RE = re.compile(
    r"(?<![于於自从])(20\d{2})\s*年(?![\d度]|\s*\d)"
    r"|(?<!founded )(?<!launched )(?<!established )(?<!released )(?<!listed )"
    r"\b(?:in|during|for)\s+(20\d{2})\b(?!\s*[-–\d])",
    re.I,
)


def _sentence_year(m: re.Match[str]) -> int | None:
    """The last calendar year named earlier in the sentence, for a quarter that names none."""
    years = _SENTENCE_YEAR_RE.findall(m.string, 0, m.start())
    if not years:
        return None
    first, second = years[-1]
    return int(first or second)


def _explicit_year(m: re.Match[str]) -> int | None:
    """The year a phrase states itself, if it states one."""
    groups = m.groupdict()
    if groups.get("yy"):
        return 2000 + int(groups["yy"])
    year = next((v for k, v in groups.items() if k.startswith("year") and v), None)
    return int(year) if year else None


def _numbered_quarter(year: int | None, quarter: int, frame: Frame) -> Period | None:
    """A quarter named by number ("Q2 2026", "third quarter of 2025").

    Without a year it is the quarter the document reports when that quarter has this number, on the
    calendar or on the company's fiscal calendar ("第二季" in a story on the September quarter of a company
    whose fiscal year ends in March); otherwise it is left unresolved, as calendar and fiscal readings differ.
    With a year that had not begun at publication, it can only be the fiscal quarter already reported ("Q2
    2026" in November 2025 = fiscal Q2 of FY2026 = 2025-Q3).
    """
    ref = frame.published
    if year is None and frame.heading_year is not None:
        year = frame.heading_year
        if frame.heading_fiscal:
            return frame.fiscal_quarter(quarter, year)
    if year is None:
        return _reported_numbered(quarter, frame)
    period = Period.quarter(year, quarter)
    if ref is not None and period.start > ref.day:
        fiscal = frame.fiscal_quarter(quarter, year)
        return fiscal if fiscal.end <= ref.day else period
    return period


def _reported_numbered(quarter: int, frame: Frame) -> Period | None:
    """A bare quarter number read in the year of the quarter the document reports: on the fiscal calendar
    when the document names that quarter so ("Q1" in a note on FY2026 Q4 is April-June 2025), else on the
    calendar year; a number after the reported one's may be last year's or next year's, so it dates nothing
    (unless it names the reported quarter on the other calendar)."""
    reported = frame.reported
    if reported is None:
        return None
    fiscal_number, calendar_number = frame.fiscal_number(reported), _month_quarter(reported.start.month)
    if quarter in (fiscal_number, calendar_number) and not frame.reported_fiscal:
        return reported
    if frame.reported_fiscal:
        if quarter > fiscal_number:
            return None
        fiscal_year = _fiscal_year_of(reported, frame)
        return frame.fiscal_quarter(quarter, fiscal_year)
    return Period.quarter(reported.start.year, quarter) if quarter <= calendar_number else None


def _fiscal_year_of(quarter: Period, frame: Frame) -> int:
    """The fiscal year a calendar quarter belongs to (named by the calendar year it ends in)."""
    return quarter.start.year + (quarter.start.month > frame.fiscal_year_end)


@_rule(
    rf"\b(?:fiscal\s+{_ORD.replace('ord', 'ford')}|{_ORD.replace('ord', 'ford2')}\s+fiscal)[\s-]+quarter"
    r"|\b(?:fiscal\s+|F)Q(?P<fq>[1-4])\b(?!\s*(?:FY)?'?\d)"  # "fiscal Q2", "FQ3", with no year after it
    r"|第(?P<zfq>[一二三四1-4])财季",  # "截至12月底止第3财季"
    fiscal=True,
)
def _fiscal_quarter_no_year(m: re.Match[str], frame: Frame) -> Period | None:
    """That fiscal quarter of the year a table heading states, else the latest one ended by publication."""
    ref = frame.published
    fq = int(m["fq"]) if m["fq"] else _ORDINAL_Q[(m["zfq"] or m["ford"] or m["ford2"]).lower()]
    if frame.heading_year is not None and frame.heading_fiscal:
        return frame.fiscal_quarter(fq, frame.heading_year)
    if ref is None:
        return None
    ended = [
        p
        for p in (frame.fiscal_quarter(fq, y) for y in (ref.day.year + 1, ref.day.year, ref.day.year - 1))
        if p.end <= ref.day
    ]
    return max(ended) if ended else None


@_rule(
    rf"\b{_ORD}[\s-]+quarter(?:\s+of\s+(?P<this>this|last)\s+year|\s+(?:of\s+)?{_YEAR})?"
    rf"(?!\s+of\s+(?:fiscal|FY))"
)
def _ordinal_quarter(m: re.Match[str], frame: Frame) -> Period | None:
    ref = frame.published
    quarter = _ORDINAL_Q[m["ord"].lower()]
    if m["this"] and ref is not None:
        return Period.quarter(ref.day.year - (m["this"].lower() == "last"), quarter)
    return _numbered_quarter(_explicit_year(m) or _sentence_year(m), quarter, frame)


@_rule(
    rf"\b(?:H(?P<h>[12])|(?P<h2>[12])H)\s*(?:{_YEAR}|{_YY})?"
    rf"|\b{_YEAR.replace('year', 'year0')}\s*H(?P<h0>[12])\b"
    rf"|\b(?P<ord>first|second)[\s-]+half"
    rf"(?:\s+of\s+(?:{_YEAR.replace('year', 'year3')}|the\s+year|this\s+year|(?P<last>last)\s+year))?"
    rf"(?!\s+of\s+(?:fiscal|FY))"
)
def _half(m: re.Match[str], frame: Frame) -> Period | None:
    ref = frame.published
    if m["year0"]:
        return Period.half(int(m["year0"]), int(m["h0"]))
    half = int(m["h"] or m["h2"] or _ORDINAL_H[m["ord"].lower()])
    if m["last"] and ref is not None:
        return Period.half(ref.day.year - 1, half)
    return _year(m, ref, "h", half)


# Analysts' table columns: "Sep-25A" (actual) and "Dec-25E" (estimate) are the quarters ending those months;
# "FY26E" is a fiscal year, no calendar period.
@_rule(r"\b(?P<mon>Mar|Jun|Sept?|Dec)[-' ]?(?P<yy>\d{2})[AE]\b|\b(?P<fy>FY\s?\d{2,4})[AE]\b")
def _analyst_column(m: re.Match[str], frame: Frame) -> Period | None:
    if m["fy"]:
        return NO_PERIOD
    return Period.quarter(2000 + int(m["yy"]), _month_quarter(_MONTHS[m["mon"].lower()]))


@_rule(
    r"(?:(?P<year>20\d{2})\s*年\s*|(?P<rel>今年|去年|明年))?(?<![\d.])(?P<m1>1[0-2]|0?[1-9])\s*月?\s*[-—–~至到]+\s*"
    r"(?P<m2>1[0-2]|0?[1-9])\s*月"
)
def _month_span_zh(m: re.Match[str], frame: Frame) -> Period | None:
    """"2025年10月—12月", "今年10月至12月", "1-3月": the quarter or half it spans exactly (without a year,
    the latest one ended at publication); any other span dates nothing."""
    kind, number = _span_kind(int(m["m1"]), int(m["m2"]))
    if kind is None:
        return NO_PERIOD
    if m["rel"] and frame.published is not None:
        return _make(kind, frame.published.day.year + {"今年": 0, "去年": -1, "明年": 1}[m["rel"]], number)
    return _make(kind, int(m["year"]), number) if m["year"] else _year(m, frame.published, kind, number)


# "the first three months of 2024" is the first quarter, "the first six months" the first half; the first
# nine months, or the first months of a fiscal year, are no calendar period; nor is 前三季度 (three quarters).
@_rule(
    rf"\b(?:the\s+)?first\s+(?P<n>three|six|nine|3|6|9)\s+months\s*(?:of\s+)?(?P<fiscal>fiscal(?:\s+year)?\s+)?"
    rf"(?:{_YEAR}|(?P<this>this|last)\s+year|the\s+year)?"
    r"|前(?P<zn>三|3|六|6|九|9)个月|前三季度|前(?:三|3)个季度"
)
def _first_months(m: re.Match[str], frame: Frame) -> Period | None:
    n = {"three": 1, "3": 1, "三": 1, "six": 2, "6": 2, "六": 2}.get((m["n"] or m["zn"] or "").lower())
    if n is None or m["fiscal"]:
        return NO_PERIOD
    kind = "q" if n == 1 else "h"
    ref = frame.published
    if m["this"] and ref is not None:
        return _make(kind, ref.day.year - (m["this"].lower() == "last"), 1)
    return _year(m, ref, kind, 1)


@_rule(r"(?:(?P<year>20\d{2})\s*年\s*)?(?P<month>1[0-2]|0?[1-9])\s*月(?:份)?(?:所在)?季度")
def _month_named_quarter_zh(m: re.Match[str], frame: Frame) -> Period | None:
    """"2025年9月季度": the quarter that ends in (or holds) that month."""
    ref = frame.published
    quarter = _month_quarter(int(m["month"]))
    return Period.quarter(int(m["year"]), quarter) if m["year"] else _year(m, ref, "q", quarter)


# not the 一 of 上一季度 ("the previous quarter"), a relative phrase
@_rule(r"(?:(?P<year>20\d{2})\s*年\s*)?(?:(?<!连续)第(?P<q>[一二三四1-4])季度?|(?<![上下])(?P<q2>[一二三四1-4])季度)")
def _quarter_zh(m: re.Match[str], frame: Frame) -> Period | None:
    return _numbered_quarter(_explicit_year(m) or _sentence_year(m), _ORDINAL_Q[m["q"] or m["q2"]], frame)


@_rule(r"(?:(?P<year>20\d{2})\s*年\s*)?(?P<h>[上下])半年")
def _half_zh(m: re.Match[str], frame: Frame) -> Period | None:
    ref = frame.published
    return _year(m, ref, "h", _ORDINAL_H[m["h"]])


@_rule(r"(?P<year>20\d{2})\s*年\s*(?P<month>1[0-2]|0?[1-9])\s*月(?!\s*\d{1,2}\s*[日号])")
def _month_zh(m: re.Match[str], frame: Frame) -> Period | None:
    return Period.month(int(m["year"]), int(m["month"]))


@_rule(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}\b", day=True)
def _day(m: re.Match[str], frame: Frame) -> Period | None:
    """A day ("as of December 31, 2025") dates a level to its month."""
    return Period.month(int(m["year"]), _MONTHS[m["month"].lower()])


@_rule(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", day=True)
def _day_no_year(m: re.Match[str], frame: Frame) -> Period | None:
    """"as of December 6": the month of the latest such day by publication. Any other day ("(ended Sept.
    30)", "on March 30") is the day of an event, not a period."""
    if _anchor(m.string, m.start()) != "by" or frame.published is None:
        return NO_PERIOD
    month = _MONTHS[m["month"].lower()]
    return _month_of_day(month, int(m["day"]), frame.published)


def _month_of_day(month: int, day: int, published: LooseDate) -> Period | None:
    """The month of a day written without a year: in the publication year, unless it is after publication."""
    year = published.day.year
    try:
        after = date(year, month, day) > published.day
    except ValueError:
        return NO_PERIOD  # "February 30": no day at all
    return Period.month(year - after, month)


@_rule(
    r"(?:(?P<year>20\d{2})\s*年\s*)?(?P<month>1[0-2]|0?[1-9])\s*月(?:\s*(?P<day>\d{1,2})\s*[日号])?"
    r"(?=底|末|\s*[,，的]|$)",
    day=True,
)
def _month_end_zh(m: re.Match[str], frame: Frame) -> Period | None:
    """"截至12月底", "2025年12月31日": the month; a day without a year ("3月5日") is in the publication year
    unless that is after publication, a month-end without one the latest such month ended."""
    ref = frame.published
    if m["day"] and not m["year"] and ref is not None:
        return _month_of_day(int(m["month"]), int(m["day"]), ref)
    return Period.month(int(m["year"]), int(m["month"])) if m["year"] else _year(m, ref, "m", int(m["month"]))


@_rule(
    rf"\b{_MONTH}\s+{_YEAR}\b"
    rf"|\b{_MONTH.replace('month', 'month2')}\b(?!\s+\d)(?=\s*[,.;)]|\s+(?:and|when|as|with|to|from)\b|$)"
)
def _month(m: re.Match[str], frame: Frame) -> Period | None:
    ref = frame.published
    name = (m["month"] or m["month2"]).lower()
    if name == "may" and not m["year"]:
        return None  # "may" is far more often the verb
    return _year(m, ref, "m", _MONTHS[name])


@_rule(
    r"\b(?P<rel>last|this|previous|prior|preceding|past|latest|most recent|next|coming|current)\s+quarter\b"
    r"|\b(?:in|during|for|over)\s+the\s+(?:(?P<the>latest|most recent|reported|reporting)\s+)?quarter\b"
    r"(?!\s+(?:ended|ending|to|through|of|in|a year|last year)\b)"
    r"|本季度?|该季度?|当季度?|季内|(?P<prev>(?:较|和|与|跟|同|比)\s*)?上一?个?季度?|(?P<zprev>前一个?季度?|前季)"
    r"|(?P<zhnext>下一?个?季度?)",
    relative=True,
)
def _relative_quarter(m: re.Match[str], frame: Frame) -> Period | None:
    """The quarter a document reports, and the ones before and after it.

    Results news says "this quarter", "in the quarter", "该季度" of the quarter it reports: the latest quarter
    the document itself names, else the latest one reported at publication (a quarter that closed only days
    before has no results yet, so "last quarter" written on January 5 is the September quarter). "The
    previous quarter" and "较上季" compare with the quarter before the one reported ("growth of 36%, up from
    34% in the previous quarter"), and so do 较上季 and 和上一季度…相比 ("compared with the previous
    quarter's 7%"); a bare 上季 or 上一季 is "last quarter"; "next quarter" is the one after it.
    """
    latest = frame.reported or _latest_reported(frame.published)
    if latest is None:
        return None
    rel = (m["rel"] or "").lower()
    if rel in ("previous", "prior", "preceding") or m["prev"] is not None or m["zprev"] is not None:
        return _quarter_before(latest)
    if rel in ("next", "coming", "current") or m["zhnext"] is not None:
        return _quarter_after(latest)
    return latest


def _latest_reported(ref: LooseDate | None) -> Period | None:
    """The latest quarter whose results could be out at publication."""
    if ref is None:
        return None
    current = _month_quarter(ref.day.month)
    latest = Period.quarter(ref.day.year - (current == 1), 4 if current == 1 else current - 1)
    return _quarter_before(latest) if (ref.day - latest.end).days < REPORTING_LAG_DAYS else latest


def _quarter_after(quarter: Period) -> Period:
    """The calendar quarter after a quarter."""
    last = quarter.start.month == 10
    return Period.quarter(quarter.start.year + last, 1 if last else (quarter.start.month + 2) // 3 + 1)


def _quarter_before(quarter: Period) -> Period:
    """The calendar quarter before a quarter."""
    first = quarter.start.month == 1
    return Period.quarter(quarter.start.year - first, 4 if first else (quarter.start.month - 1) // 3)


# not the comparison base of a change: "the same period last year", "去年同期"
@_rule(
    r"(?<!period )(?<!quarter )(?<!time )\b(?P<rel>last|this|next)\s+year\b|(?P<zh>去年(?!同期)|今年|明年)",
    relative=True,
)
def _relative_year(m: re.Match[str], frame: Frame) -> Period | None:
    """Last, this or next year, counted from the publication date."""
    ref = frame.published
    if ref is None:
        return None
    word = (m["rel"] or m["zh"]).lower()
    return Period.year(ref.day.year + {"last": -1, "去年": -1, "next": 1, "明年": 1}.get(word, 0))


# A whole fiscal year ("fiscal 2025", "FY2026", "2026财年") is no calendar period, though it dates a figure
# (tried after the rules for quarters of a fiscal year: "Q4 FY2026" is a quarter)
_WHOLE_FISCAL_YEAR_RE = re.compile(
    r"(?:fiscal(?:\s+year)?\s+|FY\s?)'?(?:20)?\d{2}|(?:20\d{2}|本|上|下)\s*财年", re.I
)


@_rule(
    r"\b(?:fiscal(?:\s+year)?\s+|FY\s?)'?(?:20)?\d{2}\b"
    r"(?!\s*(?:Q[1-4]|[1-4]Q|first|second|third|fourth|quarter|H[12]))"
    r"|(?:20\d{2}|本|上|下)\s*财年(?!\s*第?[一二三四1-4]\s*(?:财)?季)",
    fiscal=True,
)
def _whole_fiscal_year(m: re.Match[str], frame: Frame) -> Period | None:
    return NO_PERIOD


# "early 2026", "mid-2025", "late 2025": a part of the year, not the year; these phrases date nothing.
# "the same quarter of 2024" names a quarter that only the surrounding sentence can say: not the year either.
_PART_OF_YEAR = (
    r"(?<!early )(?<!mid )(?<!mid-)(?<!late )(?<!beginning of )(?<!start of )(?<!middle of )"
    r"(?<!quarter of )(?<!quarter in )(?<!period of )(?<!period in )(?<!month of )"
)


@_rule(
    rf"(?<![\d.$¥-])(?<!fiscal )(?<!fiscal year )(?<!FY)(?<!FY ){_PART_OF_YEAR}{_YEAR}"
    rf"(?![\d%-])(?!\s*年\s*\d)(?!\s*(?:年)?\s*(?:财年|fiscal))"
)
def _bare_year(m: re.Match[str], frame: Frame) -> Period | None:
    return Period.year(int(m["year"]))


def find_periods(
    text: str, published: LooseDate | None = None, frame: Frame | None = None
) -> list[PeriodMention]:
    """Period phrases in a sentence, longest first where they overlap, in order of position.

    ``frame`` says what the whole document says about time (the quarter it reports, the fiscal calendar);
    without one, only the publication date is known.
    """
    frame = frame or Frame(published)
    found: list[PeriodMention] = []
    taken: list[tuple[int, int]] = []
    for match, _ in _coordinations(text, frame):
        taken.append((match.start(), match.end()))  # "the June and September quarters": read only together
    for pattern, resolve, traits in _RULES:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            period = resolve(match, frame)
            if period is None:
                continue
            taken.append((match.start(), match.end()))
            if period is NO_PERIOD:
                if traits.fiscal and _WHOLE_FISCAL_YEAR_RE.fullmatch(match.group()):
                    # "from 118 billion yuan in fiscal 2025": dated, to no calendar period
                    found.append(_mention(NO_PERIOD, match, _anchor(text, match.start()), False, traits))
                continue
            anchor, implied = _anchor(text, match.start()), _implied(match)
            found.append(_mention(period, match, anchor, implied, traits))
    return sorted(found, key=lambda p: p.start)


# Periods listed together, for figures given "respectively" ("分别"): "the June and September quarters",
# "the first and second quarters of 2025", "2025年第二、三季度", "2026财年第一、二季度".
_MONTH_WORD = _MONTH.replace("(?P<month>", "(?:")
_ORD_WORD = r"(?:first|second|third|fourth)"
_LISTED_MONTHS = rf"(?P<list>{_MONTH_WORD}(?:\s*,\s*{_MONTH_WORD})*\s*,?\s+and\s+{_MONTH_WORD})"
_LISTED_ORDS = rf"(?P<olist>{_ORD_WORD}(?:\s*,\s*{_ORD_WORD})*\s*,?\s+and\s+{_ORD_WORD})"
_COORDINATED_RES = (
    re.compile(rf"\b{_LISTED_MONTHS}\s+quarters\b(?:\s+(?:of\s+)?{_YEAR})?", re.I),
    re.compile(
        rf"\b{_LISTED_ORDS}\s+(?P<fiscal>fiscal\s+)?quarters\b(?:\s+of\s+(?:fiscal\s+)?{_YEAR})?", re.I
    ),
    re.compile(r"(?:(?P<year>20\d{2})\s*(?P<zfiscal>财)?年\s*)?第?(?P<zlist>[一二三四1-4](?:\s*[、,，和及与]\s*第?[一二三四1-4])+)\s*季度?"),
)
_RESPECTIVELY_RE = re.compile(r"\brespectively\b|分别|分別|依次", re.I)


def _coordinations(text: str, frame: Frame) -> Iterator[tuple[re.Match[str], list[Period]]]:
    """Each phrase that lists several quarters, with the quarters in the order written."""
    if not re.search(r"quarters|季", text, re.I):
        return
    for pattern in _COORDINATED_RES:
        for match in pattern.finditer(text):
            periods = _listed(match, frame)
            if len(periods) > 1:
                yield match, periods


def _listed(match: re.Match[str], frame: Frame) -> list[Period]:
    """The quarters a coordination names; a year left unsaid is the latest such quarter ended."""
    groups = match.groupdict()
    if groups.get("list"):
        months = re.findall(_MONTH_WORD, match["list"], re.I)
        numbers = [_month_quarter(_MONTHS[w.lower().rstrip(".")]) for w in months]
    elif groups.get("olist"):
        numbers = [_ORDINAL_Q[w.lower()] for w in re.findall(_ORD_WORD, match["olist"], re.I)]
    else:
        numbers = [_ORDINAL_Q[c] for c in re.findall(r"[一二三四1-4]", match["zlist"])]
    fiscal = bool(groups.get("fiscal") or groups.get("zfiscal"))
    year = int(match["year"]) if match["year"] else None
    if year is not None and fiscal:
        return [frame.fiscal_quarter(n, year) for n in numbers]
    if year is not None:
        return [Period.quarter(year, n) for n in numbers]
    found = [_year(match, frame.published, "q", n) for n in numbers]
    return [p for p in found if p is not None]


def listed_periods(text: str, frame: Frame) -> list[PeriodMention]:
    """The periods of the first phrase listing several, when the sentence gives figures "respectively"."""
    if not _RESPECTIVELY_RE.search(text):
        return []
    for match, periods in _coordinations(text, frame):
        return [PeriodMention(p, match.start(), match.end(), "in") for p in periods]
    return []


def respectively(text: str) -> bool:
    """True when a sentence pairs its figures with a list "respectively" ("分别为26%和34%")."""
    return _RESPECTIVELY_RE.search(text) is not None


_QUARTER_HINT_RE = re.compile(r"quarter|months ended|季|\bQ[1-4]\b|\b[1-4]Q\b|FY|fiscal|财年", re.I)


def document_frame(texts: list[str], published: LooseDate | None, fiscal_year_end: int) -> Frame:
    """What a document says about time: the latest ended quarter it names in so many words is the one it
    reports, unless that lies further back than the quarter before the latest one reported at publication
    (then it names an old quarter in passing)."""
    frame = Frame(published, None, fiscal_year_end, preview=_previews(texts))
    named = [
        p
        for text in texts
        if _QUARTER_HINT_RE.search(text)
        for p in find_periods(text, published, frame)
        if p.period.granularity == "quarter" and not p.relative and has_ended(p.period, published)
    ]
    if not named:
        return _preview_frame(texts, frame)
    latest = max(p.period for p in named)
    floor = _latest_reported(published)
    if floor is not None and latest < _quarter_before(floor):
        return frame
    fiscal = any(p.fiscal for p in named if p.period == latest)
    return replace(frame, reported=latest, reported_fiscal=fiscal)


# A preview is written before a quarter's results: the quarter it is about is the one just ended
_PREVIEW_RE = re.compile(
    # (not "shares rose ahead of its results", which a story on the results may say too)
    r"\b(?:earnings|results) preview\b|\bpreview of (?:its|the|Alibaba's) (?:earnings|results|quarter)"
    r"|\bwhat to expect\b|\b(?:is|are) (?:due|set|scheduled|expected) to report\b|\bprepar\w* to report\b"
    r"|\bwill report (?:its )?(?:results|earnings)"
    r"|业绩前瞻|财报前瞻|业绩预览|财报前|业绩前"
    r"|(?:Q[1-4]|[1-4]Q|季度?|季报|\d{2}|\d{4})\s*(?:业绩|财报)?(?:前瞻|预览)",  # "FY2Q2026前瞻", "Q3前瞻"
    re.IGNORECASE,
)
PREVIEW_LINES = 6  # a preview says so in its headline or opening lines (a broker note: under its rating
# and price target), not in passing further down


def _previews(texts: list[str]) -> bool:
    """True when the document opens as a preview of results not yet out."""
    return any(_PREVIEW_RE.search(t) for t in texts[:PREVIEW_LINES])


def _preview_frame(texts: list[str], frame: Frame) -> Frame:
    """A preview that names no quarter is about the one that ended last (its results not out yet)."""
    latest = _latest_reported(frame.published)
    if latest is None or not frame.preview:
        return frame
    pending = _quarter_after(latest)
    return replace(frame, reported=pending) if has_ended(pending, frame.published) else frame


# a year in so many words: "2025", "FY26", "Q3 '25", "3Q25", "Sep-25A", 去年 (not the "12" of "12月季度")
_WRITTEN_YEAR_RE = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?!\d)|'\d{2}\b|FY\s?\d{2}|\b[1-4]Q\s?\d{2}\b|\bQ[1-4]\s?\d{2}\b|[HQ][12]\s?\d{2}\b"
    r"|[A-Za-z]{3}-?\d{2}[AE]\b|去年|今年|明年|\b(?:last|this|next|previous|past|latest|most recent)\b",
    re.I,
)


# A trailing span ("over the past four quarters", "过去12个月") dates a figure to no calendar period, and
# keeps a period named elsewhere in the sentence from reaching it.
_TRAILING_RE = re.compile(
    r"\b(?:the\s+)?(?:past|last|trailing|previous)\s+(?:four|4|twelve|12|three|3|six|6)\s+"
    r"(?:quarters|months)\b"
    r"|\btrailing\s+(?:twelve|12)[\s-]months?\b|过去\s*(?:四|4|十二|12)\s*个?\s*(?:季度?|月)|近(?:四|4)个季度"
    # "the four quarters through June", "the 12 months to September 2026": a span that ends in a month
    rf"|\b(?:the\s+)?(?:four|4|twelve|12)\s+(?:quarters|months)\s+(?:through|to|ended|ending)\s+"
    rf"(?:the\s+end\s+of\s+)?{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+(?:19|20)\d{{2}})?",
    re.IGNORECASE,
)


def trailing_spans(text: str) -> list[PeriodMention]:
    """Trailing-span phrases, as period mentions that name no period (``NO_PERIOD``)."""
    return [PeriodMention(NO_PERIOD, m.start(), m.end(), "in") for m in _TRAILING_RE.finditer(text)]


def _mention(
    period: Period, match: re.Match[str], anchor: str, implied: bool, traits: _Traits
) -> PeriodMention:
    """A period mention for a rule's match."""
    start, end = match.start(), match.end()
    return PeriodMention(period, start, end, anchor, traits.fiscal, implied, traits.relative, traits.day)


def _implied(match: re.Match[str]) -> bool:
    """True when the phrase names no year, so its year was inferred from the publication date."""
    return _WRITTEN_YEAR_RE.search(match.group()) is None


def next_year(period: Period, years: int = 1) -> Period:
    """The same period a year later ("2024-Q4" -> "2025-Q4"), or ``years`` later (negative: earlier)."""
    return Period.parse(f"{int(period.label[:4]) + years}{period.label[4:]}")


def has_ended(period: Period, published: LooseDate | None) -> bool:
    """True when the period was over at publication (a month-only date counts as the month's end)."""
    if published is None:
        return True
    if published.precision == "month":
        return period.end <= Period.month(published.day.year, published.day.month).end
    return period.end <= published.day


def _anchor(text: str, start: int) -> str:
    """How the words before a period phrase tie a figure to it."""
    match = _ANCHOR_RE.search(text[max(0, start - 20) : start])
    if match is None:
        return "in"
    word = match.group("a").lower()
    if word in _BY_WORDS:
        return "by"
    return "since" if word in _SINCE_WORDS else "in"


def is_future(period: Period, published: LooseDate | None) -> bool:
    """True when the period starts after the publication date."""
    return published is not None and period.start > published.day
