"""Exchange rates an article states by giving an amount in two currencies side by side."""

from __future__ import annotations

import re
from decimal import Decimal

from core.types import Claim, Document, FxRate
from extractors.numbers import Mention, find_numbers

RATE_PLACES = Decimal("0.0001")  # four decimals: the precision rates are quoted at
_BETWEEN_RE = re.compile(
    r"^\s*[(（]?\s*(?:[—–-]|,)?\s*(?:or\s+)?(?:approx\.?|approximately|about|around|roughly|some|nearly|"
    r"equivalent to|equal to|约合|约|合)?\s*$",
    re.IGNORECASE,
)
_MONEY_EXCLUDED = frozenset({"count", "percent"})


def stated_rates(document: Document, claims: list[Claim]) -> list[FxRate]:
    """Rates implied by "380 billion yuan (approx. US$53 billion)" in the claims' evidence sentences."""
    rates: list[FxRate] = []
    seen: set[int] = set()
    for claim in claims:
        if claim.start in seen:
            continue
        seen.add(claim.start)
        rates.extend(_sentence_rates(document.text[claim.start : claim.end], document, claim))
    return rates


def _sentence_rates(text: str, document: Document, claim: Claim) -> list[FxRate]:
    """Rates from adjacent pairs of amounts in different currencies within one sentence."""
    mentions = [m for m in find_numbers(text) if m.unit not in _MONEY_EXCLUDED]
    out = []
    for first, second in zip(mentions, mentions[1:], strict=False):
        if first.unit != second.unit and _BETWEEN_RE.match(text[first.end : second.start]) and second.value:
            out.append(_rate(first, second, document, claim))
    return out


def _rate(local: Mention, other: Mention, document: Document, claim: Claim) -> FxRate:
    """1 unit of the second currency in units of the first."""
    rate = (local.value / other.value).quantize(RATE_PLACES)
    as_of = claim.as_of or (document.published.day if document.published else None)
    return FxRate(base=other.unit, quote=local.unit, rate=rate, as_of=as_of, source=document.source)
