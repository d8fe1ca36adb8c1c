"""Why each number in a document became a claim or did not: the decisions `extract --explain` prints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.types import Claim

_DIGITS_RE = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Decision:
    """What the extractor decided about one number of one sentence, and why."""

    sentence: str
    sentence_start: int  # offset of the sentence in the document text
    number: str  # the number as written ("RMB28,066 million")
    start: int  # offsets of the number within the sentence
    end: int
    outcome: str  # "claim" (a tracked metric), "untracked", or "dropped"
    reason: str  # in words: which metric, entity and period and why, or why it was dropped
    claim: Claim | None = None


class Trace:
    """Collects decisions while a document is read; a reader without a trace records nothing."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def add(self, decision: Decision) -> None:
        """Record one decision."""
        self.decisions.append(decision)

    def furniture(self, sentence: str, sentence_start: int, spans: list[tuple[int, int]]) -> None:
        """Record the digit runs no mention covers: dates, years, versions, list markers, page furniture."""
        for match in _DIGITS_RE.finditer(sentence):
            if not any(s <= match.start() < e for s, e in spans):
                self.add(
                    Decision(sentence, sentence_start, match.group(), match.start(), match.end(), "dropped",
                             "not a quantity: a date, year, version, name, list marker or page furniture")
                )

    def ordered(self) -> list[Decision]:
        """Decisions in document order."""
        return sorted(self.decisions, key=lambda d: (d.sentence_start, d.start))


def describe(claim: Claim) -> str:
    """A claim in words: metric, entity, value, period and series."""
    period = claim.period.label if claim.period else "no period"
    series = "forecast" if claim.forecast else "actual"
    what = claim.metric or f"untracked number about {claim.entity}"
    return f"{what} = {_value(claim.value)} {claim.unit} ({claim.qualifier}), {period}, {series}"


def _value(value: Decimal) -> str:
    """A value without exponent noise."""
    return f"{value:f}"
