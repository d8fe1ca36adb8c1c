"""Numbers written in words, as transcripts and spoken quotes give them.

"twenty-six percent", "one point two billion", "a hundred and thirty million monthly actives", "Forty-three
point one billion RMB", "three hundred eighty billion yuan". A phrase counts as a quantity when it carries a
scale word, a percent, or a hundred; a lone "one" or "two" is a word, not a figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1, "an": 1,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_WORD = "(?:" + "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True)) + ")"
_NUMBER = rf"{_WORD}(?:[- ]{_WORD})?"
SPOKEN_RE = re.compile(
    rf"\b(?P<int>{_NUMBER}(?:\s+hundred(?:\s+(?:and\s+)?{_NUMBER})?)?)"
    rf"(?:\s+point(?P<frac>(?:\s+{_WORD})+?))?"
    rf"(?:\s+(?P<scale>thousand|million|billion|trillion))?"
    r"(?P<pct>\s+(?:percent|per cent)\b)?"
    r"(?=\W|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Spoken:
    """A number phrase in words: its value before scale, the scale word, and whether it is a percentage."""

    start: int
    end: int
    base: Decimal
    scale: str | None
    percent: bool


def spoken_numbers(text: str) -> list[Spoken]:
    """Every number phrase in words that states a quantity (a scale, a percent or a hundred)."""
    out = []
    for match in SPOKEN_RE.finditer(text):
        scale, percent = match["scale"], bool(match["pct"])
        if not (scale or percent or "hundred" in match["int"].lower()):
            continue
        base = _integer(match["int"]) + _fraction(match["frac"])
        out.append(Spoken(match.start(), match.end(), base, scale and scale.lower(), percent))
    return out


def _integer(words: str) -> Decimal:
    """The value of the words before "point": "a hundred and thirty" -> 130, "twenty-six" -> 26."""
    total = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "hundred":
            total = (total or 1) * 100
        elif word in _TENS:
            total += _TENS[word]
        elif word in _UNITS:
            total += _UNITS[word]
    return Decimal(total)


def _fraction(words: str | None) -> Decimal:
    """The value of the digit words after "point": "two" -> 0.2, "four five" -> 0.45."""
    if not words:
        return Decimal(0)
    digits = "".join(str(_UNITS[w]) for w in words.lower().split() if _UNITS.get(w, 10) < 10)
    return Decimal(f"0.{digits}") if digits else Decimal(0)
