"""Number mentions in English and Chinese: values, units, qualifiers, and what is not a number claim."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractors.numbers import find_numbers

CASES = [
    ("Qwen's 700M+ downloads", [("700000000", "count", "over")]),
    ("roughly a quarter of a million derivative models", [("250000", "count", "approx")]),
    ("half a billion downloads", [("500000000", "count", "exact")]),
    ("下載量已突破 10 億次", [("1000000000", "count", "over")]),  # Taiwan press spaces figure and scale
    ("RMB22.3B in AI revenue", [("22300000000", "CNY", "exact")]),
    ("revenue growth of 34%", [("34", "percent", "exact")]),
    ("an investment of over 380 billion yuan", [("380000000000", "CNY", "over")]),
    ("at least RMB 380 billion", [("380000000000", "CNY", "at_least")]),
    ("approximately $53 billion", [("53000000000", "USD", "approx")]),
    ("less than US$5bn", [("5000000000", "USD", "under")]),
    (
        "this $44–50 trillion segment",
        [("44000000000000", "USD", "exact"), ("50000000000000", "USD", "exact")],
    ),
    ("over one billion downloads", [("1000000000", "count", "over")]),
    ("for the ninth consecutive quarter", [("9", "count", "exact")]),
    ("for nine consecutive quarters", [("9", "count", "exact")]),
    ("more than 200,000 derivative models", [("200000", "count", "over")]),
    ("a $50 Billion Bet", [("50000000000", "USD", "exact")]),
    ("255.95亿元", [("25595000000", "CNY", "exact")]),
    ("突破9萬", [("90000", "count", "over")]),
    ("7352万", [("73520000", "count", "exact")]),
    ("2亿+", [("200000000", "count", "over")]),
    ("同比增长34%", [("34", "percent", "exact")]),
    ("约3800亿元人民币", [("380000000000", "CNY", "approx")]),
    ("不到100亿美元", [("10000000000", "USD", "under")]),
    ("不少于十七万", [("170000", "count", "at_least")]),
    ("连续九个季度", [("9", "count", "exact")]),
    ("连续第八个季度", [("8", "count", "exact")]),
    ("for the ninth quarter in a row", [("9", "count", "exact")]),
    ("100 million-plus monthly active users", [("100000000", "count", "over")]),
    ("grew 34% in the September quarter of 2025 to RMB39.8 billion",
     [("34", "percent", "exact"), ("39800000000", "CNY", "exact")]),
    ("from 10 to 12 million", [("10000000", "count", "exact"), ("12000000", "count", "exact")]),
    ("supports 119 languages", [("119", "count", "exact")]),
    ("Rmb39.8bn", [("39800000000", "CNY", "exact")]),
    ("39.8 bln yuan", [("39800000000", "CNY", "exact")]),
    ("up 34pc", [("34", "percent", "exact")]),
]
NOISE = [
    "Qwen3-Max",
    "Qwen2.5-7B",
    "a 72B model",
    "Gemini 3.1 Pro",
    "4-bit and 8-bit",
    "2min read",
    "1,358 posts | 484 followers",
    "March 30, 2026",
    "Friday, Jan 16, 2026 8:31 am ET",
    "in 2025",
    "2026年4月1日",
    "Apache 2.0",
    "version 3.5.1",
    "1、千问APP首发",
    "8. Qwen news",
    "100万上下文",
    "a 128K context window",
    "Digital Commerce 360, a site",
    "0 comments",
    "S&P 500",
    "1-1/2 year",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_values_units_qualifiers(text: str, expected: list[tuple[str, str, str]]) -> None:
    found = [(m.value, m.unit, m.qualifier.value) for m in find_numbers(text)]
    assert found == [(Decimal(v), u, q) for v, u, q in expected]


@pytest.mark.parametrize("text", NOISE)
def test_names_dates_versions_and_furniture_are_not_numbers(text: str) -> None:
    assert find_numbers(text) == []


def test_spans_cover_the_written_figure() -> None:
    text = "It reached RMB39.8 billion."
    (mention,) = find_numbers(text)
    assert text[mention.start : mention.end] == "RMB39.8 billion"
    assert mention.stated_value == Decimal("39.8") and mention.stated_unit == "billion"
