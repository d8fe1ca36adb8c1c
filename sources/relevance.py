"""Is an entry about what we watch? A term list in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

SHORT_TERM_CHARS = 5  # "Qwen", "Ali": short enough to hide inside other words, so they need boundaries
THIN_ENTRY_CHARS = 120  # a title plus a one-line teaser; shorter entries say too little to judge
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def is_relevant(text: str, terms: Iterable[str]) -> bool:
    """Whether ``text`` mentions any watched term."""
    return _pattern(tuple(terms)).search(text) is not None


def matched_terms(text: str, terms: Iterable[str]) -> list[str]:
    """The distinct terms found in ``text``, as written in the watch list."""
    by_fold = {_fold(t): t for t in terms}
    found = (_fold(m.group(0)) for m in _pattern(tuple(terms)).finditer(text))
    return list(dict.fromkeys(by_fold[f] for f in found if f in by_fold))


def _fold(term: str) -> str:
    """Case- and spacing-insensitive form of a term."""
    return " ".join(term.split()).casefold()


def is_thin(text: str) -> bool:
    """Whether an entry is too short to judge, so the caller should check the page."""
    return len(text.strip()) < THIN_ENTRY_CHARS


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive pattern for all terms; Latin terms must not sit inside a longer word."""
    parts = [_term_pattern(t.strip()) for t in sorted(terms, key=len, reverse=True) if t.strip()]
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


def _term_pattern(term: str) -> str:
    """CJK and long terms match as substrings; short Latin ones need letter boundaries."""
    escaped = re.escape(term).replace(r"\ ", r"\s+")
    if _CJK.search(term) or len(term) > SHORT_TERM_CHARS:
        return escaped
    # Letters only, so "Qwen3" and "Qwen-72B" count but "Qwenlike" does not.
    return rf"(?<![^\W\d_]){escaped}(?![^\W\d_])"
