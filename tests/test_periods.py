"""Period phrases resolved to calendar periods, fiscal labels included."""

from __future__ import annotations

import pytest

from core.periods import LooseDate, Period
from extractors.periods import NO_PERIOD, Frame, find_periods, has_ended, is_future, next_year

PUBLISHED = LooseDate.parse("2026-01-16")
ALIBABA_YEAR_END = 3  # the catalog's fiscal calendar for the watched companies: the year ends 31 March
FRAME = Frame(PUBLISHED, fiscal_year_end=ALIBABA_YEAR_END)
CASES = [
    ("in the September quarter of 2025", "2025-Q3", "in"),
    ("in the September 2025 quarter", "2025-Q3", "in"),
    ("in the June quarter", "2025-Q2", "in"),
    ("fiscal Q2 2026", "2025-Q3", "in"),
    ("the second quarter of fiscal 2026", "2025-Q3", "in"),
    ("FY2026 Q4", "2026-Q1", "in"),
    ("the quarter ended September 30, 2025", "2025-Q3", "in"),
    ("Q3 2025", "2025-Q3", "in"),
    ("3Q25", "2025-Q3", "in"),
    ("Q2 2026", "2025-Q3", "in"),
    ("the second quarter of 2026", "2025-Q3", "in"),
    ("H1 2025", "2025-H1", "in"),
    ("for the first half of the year", "2025-H1", "in"),
    ("By December 2025", "2025-12", "by"),
    ("as of December 2025", "2025-12", "by"),
    ("in 2026", "2026", "in"),
    ("by 2026", "2026", "by"),
    ("last quarter", "2025-Q3", "in"),  # 16 days after the December quarter closed: no results for it yet
    ("fiscal Q2", "2025-Q3", "in"),
    ("since 2023", "2023", "since"),
    ("2025年第三季度", "2025-Q3", "in"),
    ("上半年", "2025-H1", "in"),
    ("截至2025年12月", "2025-12", "by"),
    ("2026财年第二季度", "2025-Q3", "in"),
    ("2026财年第二季（截至9月底止）", "2025-Q3", "in"),  # HK: no 度, the quarter's end glossed in brackets
    ("2025年10月—12月", "2025-Q4", "in"),
    ("2025年1月至6月", "2025-H1", "in"),
    ("Sep-25A", "2025-Q3", "in"),
    ("in the July-December period", "2025-H2", "in"),
    ("January-March 2026", "2026-Q1", "in"),  # an analyst table's actual and estimate columns
    ("Dec-25E", "2025-Q4", "in"),
    ("the previous quarter", "2025-Q2", "in"),  # the one before the quarter reported (September)
    ("较上一季度", "2025-Q2", "in"),
    ("its fiscal second quarter", "2025-Q3", "in"),
    ("fourth-quarter 2025 revenue", "2025-Q4", "in"),
    ("the quarter ended in September", "2025-Q3", "in"),
    ("first-half sales", "2025-H1", "in"),
    ("as of December 31, 2025", "2025-12", "by"),
    ("截至12月底", "2025-12", "by"),
    ("截至2025年6月30日的季度", "2025-Q2", "in"),
    ("截至2025年12月31日止季度", "2025-Q4", "in"),
    ("阿里云2025年9月季度收入", "2025-Q3", "in"),
    ("in 2026's first half", "2026-H1", "in"),
    ("from 26% in the June period", "2025-Q2", "in"),
]


@pytest.mark.parametrize(("text", "label", "anchor"), CASES)
def test_phrase_resolves(text: str, label: str, anchor: str) -> None:
    (found,) = find_periods(text, PUBLISHED, FRAME)
    assert (found.period.label, found.anchor) == (label, anchor)


@pytest.mark.parametrize(
    ("published", "label"),
    [
        ("2026-01-05", "2025-Q3"),
        ("2026-02-05", "2025-Q3"),
        ("2026-02-21", "2025-Q4"),
        ("2025-11-26", "2025-Q3"),
        ("2025-04-20", "2024-Q4"),
    ],
)
def test_last_quarter_is_the_latest_reported(published: str, label: str) -> None:
    """Results come out weeks after a quarter closes: "last quarter" on January 5 is the September one."""
    (found,) = find_periods("revenue grew 34% last quarter", LooseDate.parse(published))
    assert found.period.label == label


@pytest.mark.parametrize(
    "text",
    [
        "on March 30 it unveiled",
        "2026-04-01",
        "in fiscal 2025",
        "Qwen3-Max",
        "in the third quarter",
        "Q2",
        "第三季度",
        "the first half of fiscal 2026",
        "by early 2026",
        "in mid-2025",
        "late 2025",
        "the fiscal year ended March 31, 2025",
        "(ended Sept. 30)",
        "in the same quarter of 2024",
        "2025年3月至5月",  # a span of months that is no quarter or half
        "连续第三季",  # a streak ("the third straight quarter"), not the third quarter
        "FY26E",  # a fiscal year's estimate column
        "March-May",
    ],
)
def test_no_period(text: str) -> None:
    assert [p for p in find_periods(text, PUBLISHED) if p.period is not NO_PERIOD] == []


def test_a_whole_fiscal_year_dates_a_figure_to_no_calendar_period() -> None:
    (found,) = find_periods("from 118 billion yuan in fiscal 2025", PUBLISHED, FRAME)
    assert found.period is NO_PERIOD and found.fiscal


def test_relative_phrase_needs_a_reference_date() -> None:
    assert find_periods("the first half of the year", None) == []


def test_future_periods() -> None:
    (found,) = find_periods("in 2026", LooseDate.parse("2025-06-01"))
    assert is_future(found.period, LooseDate.parse("2025-06-01"))


def test_implied_year_is_marked() -> None:
    (said,) = find_periods("in the December quarter", PUBLISHED)
    (written,) = find_periods("in the December 2025 quarter", PUBLISHED)
    assert said.implied and not written.implied


@pytest.mark.parametrize(
    ("label", "published", "ended"),
    [
        ("2025-12", "2026-01-12", True),
        ("2026", "2026-01-12", False),
        ("2026-02", "2026-02", True),  # a month-only date is read as the month's end
        ("2026-Q1", "2026-02", False),
    ],
)
def test_has_ended(label: str, published: str, ended: bool) -> None:
    assert has_ended(Period.parse(label), LooseDate.parse(published)) is ended


def test_next_year() -> None:
    assert next_year(Period.parse("2024-Q4")).label == "2025-Q4"
