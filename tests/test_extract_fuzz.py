"""Fuzzing the extractor (issue 6 §2): arbitrary text raises nothing but claimwatch errors, and stays fast.

Hypothesis builds texts from fragments that stress the parsers (digits in every script and size, currency
signs, scale words, CJK numerals, entity names, brackets) mixed with arbitrary unicode. Each entry point
must return well-formed results — offsets inside the text, evidence equal to ``text[start:end]`` — or raise
a ``ClaimwatchError``. A second set of tests feeds 100 KB adversarial lines and bounds the time, to catch
catastrophic regex backtracking or work that grows with the square of a sentence's length.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ClaimwatchError
from core.periods import LooseDate
from core.types import Claim, Document
from extractors.claims import extract_claims
from extractors.numbers import find_numbers
from extractors.periods import find_periods
from extractors.sentences import MAX_SENTENCE_CHARS, split_sentences

FRAGMENTS = [
    "Alibaba Cloud", "AlibabaBABA-- Cloud", "Qwen", "Qwen App", "Qwen3.5-Omni", "千问App", "阿里雲",
    "通义千问", "Tencent", "revenue", "downloads", "monthly active users", "market share", "AI cloud",
    "triple-digit", "ninth consecutive quarter", "nine straight", "fiscal Q2 2026",
    "the September quarter of 2025", "上半年", "2025财年第三季度", "first half", "last quarter",
    "by 2026", "34%", "％", "per cent", "RMB", "US$", "$", "¥", "￥", "HK$", "€", "yuan", "元", "亿",
    "萬", "万亿", "billion", "bn", "M", "K", "trillion", "one billion", "1e999", "９９９", "٣٤",
    "1,000,000", "39.8", "700M+", "2亿+", "突破9萬", "同比增长", "$44–50", "10 to 12", "-", "–", "~",
    "+", ".", ",", "，", "。", "、", "：", ":", "?", "(", ")", "[", "]", "（", "）", "|", "\n", " ",
    "  ", "\t", "1️⃣", "#", "@", "over", "more than", "约", "以上", "could", "expects", "它",
    "the company",
]
_pieces = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=12),
    st.text(alphabet="0123456789,.%", max_size=20),
)
TEXTS = st.lists(_pieces, max_size=40).map("".join)
PUBLISHED = st.sampled_from(
    [None, LooseDate.parse("2026-01-15"), LooseDate.parse("2025-11"), LooseDate.parse("1999-12-31")]
)
UNITS = {"count", "percent", "CNY", "USD", "HKD", "EUR", "GBP", "SGD"}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _claims_or_error(text: str, published: LooseDate | None) -> list[Claim]:
    """extract_claims, or [] when it refuses the text with one of the project's errors."""
    try:
        return extract_claims(Document(source="fuzz", text=text, published=published))
    except ClaimwatchError:
        return []


@FUZZ
@given(TEXTS)
def test_numbers_are_well_formed(text: str) -> None:
    try:
        mentions = find_numbers(text)
    except ClaimwatchError:
        return
    for m in mentions:
        assert 0 <= m.start <= m.end <= len(text)
        assert m.unit in UNITS
        assert isinstance(m.value, Decimal) and m.value.is_finite()


@FUZZ
@given(TEXTS, PUBLISHED)
def test_periods_are_well_formed(text: str, published: LooseDate | None) -> None:
    try:
        periods = find_periods(text, published)
    except ClaimwatchError:
        return
    for p in periods:
        assert 0 <= p.start <= p.end <= len(text)


@FUZZ
@given(TEXTS)
def test_sentences_keep_offsets(text: str) -> None:
    sentences = split_sentences(text)
    previous_end = 0
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
        assert s.start >= previous_end
        assert len(s.text) <= MAX_SENTENCE_CHARS
        previous_end = s.end


@FUZZ
@given(TEXTS, PUBLISHED)
def test_claims_cite_their_evidence(text: str, published: LooseDate | None) -> None:
    for claim in _claims_or_error(text, published):
        assert text[claim.start : claim.end] == claim.evidence
        assert claim.unit in UNITS
        assert claim.value.is_finite()
        assert str(claim.value) == str(Decimal(str(claim.value)))  # survives a round trip through text


def test_huge_and_foreign_digits_are_read_or_refused() -> None:
    huge = "9" * 10_000
    text = f"Alibaba Cloud revenue rose ９９% to RMB{huge} billion, and Qwen has 1e999 downloads."
    claims = _claims_or_error(text, None)
    assert all(c.value.is_finite() and text[c.start : c.end] == c.evidence for c in claims)
    assert any(c.unit == "percent" and c.value == 99 for c in claims)  # full-width digits are digits


N = 100_000  # characters in each adversarial line
ADVERSARIAL = {
    "digits": "1" * N,
    "grouped": "1," * (N // 2),
    "dense_percent": "1%" * (N // 2),
    "decimals": "1." * (N // 2),
    "range": "$1-" * (N // 3),
    "zh_numerals": "一二三四五六七八九十百千万亿" * (N // 14),
    "zh_scaled": "9万" * (N // 2),
    "brackets": "(" * (N // 2) + ")" * (N // 2),
    "nested": "([{（" * (N // 4),
    "fullwidth": "９" * N,
    "exponent": "1e999 " * (N // 6),
    "scale_words": "one hundred million " * (N // 20),
    "streak": "ninth consecutive " * (N // 18),
    "periods": "the September quarter of 2025 " * (N // 30),
    "tickers": "AlibabaBABA--" * (N // 13),
    "names": "Alibaba Cloud Qwen App " * (N // 23),
    "no_stops_zh": "阿里云收入同比增长34%至398亿元，" * (N // 20),
    "spaces": " " * N,
}
# Measured on the shared 2-core dev box (pytest --durations): the parsers take under 1.1 s on the worst line
# (50,000 numbers, each parsed) and under 0.3 s on most; claim extraction takes about 3 s on the densest line
# (10,000 numbers about a watched entity, every one matched against the catalog), well under 0.5 s on the
# rest. Backtracking or work growing with the square of a sentence's length would take minutes.
PARSE_BUDGET_SECONDS = 4.0
CLAIMS_BUDGET_SECONDS = 12.0


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    """fn(*args) and the CPU seconds it took."""
    started = time.process_time()  # CPU, not wall: other tests and processes sharing the cores do not count
    result = fn(*args)
    return result, time.process_time() - started


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_line_runs_in_bounded_time(name: str) -> None:
    text = ADVERSARIAL[name]
    published = LooseDate.parse("2026-01-15")
    _, numbers_s = _timed(find_numbers, text)
    _, periods_s = _timed(find_periods, text, published)
    sentences, split_s = _timed(split_sentences, text)
    claims, claims_s = _timed(_claims_or_error, text, published)
    assert max(numbers_s, periods_s, split_s) < PARSE_BUDGET_SECONDS, (name, numbers_s, periods_s, split_s)
    assert claims_s < CLAIMS_BUDGET_SECONDS, (name, claims_s)
    assert all(text[c.start : c.end] == c.evidence for c in claims)
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentences)
