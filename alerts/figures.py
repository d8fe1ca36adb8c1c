"""Figures as people read them: "over 1.2 billion", "RMB 380 billion", "12.5%", "+43%"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.periods import LooseDate
from core.types import Claim, Qualifier

SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))
MAX_DECIMALS = 2  # "1.25 billion"; more digits are noise in a subject line
WHOLE_PCT_FROM = Decimal(10)  # from ±10% a change is shown as a whole percent; below it one decimal helps
QUALIFIER_WORDS = {
    Qualifier.EXACT: "",
    Qualifier.OVER: "over",
    Qualifier.AT_LEAST: "at least",
    Qualifier.APPROX: "about",
    Qualifier.UNDER: "under",
}


def plain_number(value: Decimal) -> str:
    """A decimal rounded to two places, without trailing zeros, with thousands separators."""
    rounded = value.quantize(Decimal(1).scaleb(-MAX_DECIMALS), rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled_number(value: Decimal) -> str:
    """A number in words for large magnitudes: 1200000000 → "1.2 billion"."""
    for size, word in SCALES:
        if abs(value) >= size:
            return f"{plain_number(value / size)} {word}"
    return plain_number(value)


def amount(value: Decimal, unit: str) -> str:
    """A value with its unit: counts bare, percentages with %, currencies with their code."""
    if unit == "percent":
        return f"{plain_number(value)}%"
    if unit == "count":
        return scaled_number(value)
    return f"{unit} {scaled_number(value)}"


def figure(claim: Claim) -> str:
    """The claim's figure as written for people: qualifier, amount, period, forecast mark."""
    words = [QUALIFIER_WORDS[claim.qualifier], amount(claim.value, claim.unit)]
    if claim.period is not None:
        words.append(f"in {claim.period.label}")
    if claim.forecast:
        words.append("(forecast)")
    return " ".join(w for w in words if w)


def change(pct: Decimal | None) -> str:
    """A signed percentage change, or "" when there is none."""
    if pct is None:
        return ""
    places = 0 if abs(pct) >= WHOLE_PCT_FROM else 1
    rounded = pct.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{'+' if rounded > 0 else ''}{rounded}%"


def as_of_text(claim: Claim) -> str:
    """The claim's as-of date as text, or "undated"."""
    day = claim.as_of
    return day.isoformat() if day is not None else "undated"


def published_text(published: LooseDate | None) -> str:
    """A publication date as text, or ""."""
    return str(published) if published is not None else ""
