"""Period phrases resolved to calendar periods, fiscal labels included."""

from __future__ import annotations

import pytest

from core.periods import LooseDate
from extractors.periods import find_periods, is_future

PUBLISHED = LooseDate.parse("2026-01-16")
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
    ("last quarter", "2025-Q4", "in"),
    ("since 2023", "2023", "since"),
    ("2025年第三季度", "2025-Q3", "in"),
    ("上半年", "2025-H1", "in"),
    ("截至2025年12月", "2025-12", "by"),
    ("2026财年第二季度", "2025-Q3", "in"),
    ("its fiscal second quarter", "2025-Q3", "in"),
    ("fourth-quarter 2025 revenue", "2025-Q4", "in"),
    ("the quarter ended in September", "2025-Q3", "in"),
    ("first-half sales", "2025-H1", "in"),
]


@pytest.mark.parametrize(("text", "label", "anchor"), CASES)
def test_phrase_resolves(text: str, label: str, anchor: str) -> None:
    (found,) = find_periods(text, PUBLISHED)
    assert (found.period.label, found.anchor) == (label, anchor)


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
    ],
)
def test_no_period(text: str) -> None:
    assert find_periods(text, PUBLISHED) == []


def test_relative_phrase_needs_a_reference_date() -> None:
    assert find_periods("the first half of the year", None) == []


def test_future_periods() -> None:
    (found,) = find_periods("in 2026", LooseDate.parse("2025-06-01"))
    assert is_future(found.period, LooseDate.parse("2025-06-01"))
