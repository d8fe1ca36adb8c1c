"""Modality: figures a sentence only supposes, asks about or makes conditional are not claims.

"The question is whether growth can stay above 30%", "if demand holds, revenue could reach RMB50 billion",
"能否突破1亿" and "如果需求持续，营收可能达到500亿元" state nothing: the figure sits after a word that
opens an indirect question or a condition, or in the modal main clause of a sentence with a condition.
A forecast stated outright ("analysts expect growth of 40%") is a claim (a forecast), not a supposition.
"""

from __future__ import annotations

import re

from extractors.numbers import Mention
from extractors.sentences import CLAUSE_RE

# Words that open an indirect question or a condition; the figure after them is supposed, not stated.
_SUPPOSING_RE = re.compile(
    r"\b(?:whether|if|unless|even if|as long as|provided (?:that)?|assuming|suppose|supposing|in case)\b"
    r"|如果|假如|假设|倘若|若(?!干)|是否|能否|可否|一旦|只要|要是|万一",
    re.IGNORECASE,
)
# "as if", "if any", "if not more": idioms that suppose nothing about the figure; nor does a rhetorical
# "if you ask ..., the answer is" ("若问…如何形容，答案是")
_IDIOM_RE = re.compile(r"\b(?:as if|if any|if not|if at all|if ever|even as)\b|若问|如果问|要问|如果说|若说",
                       re.IGNORECASE)
# The main clause of a conditional sentence speaks in a modal: "(if ...,) revenue could reach ..."
_MODAL_RE = re.compile(
    r"\b(?:could|would|might|may|can)\b|可能|将会|会|可以|能够|有望", re.IGNORECASE
)
_OPENER_REACH = 160  # chars before a figure that a supposing word may govern it from


def hypothetical(text: str, mention: Mention) -> bool:
    """True when the figure is supposed or asked about rather than stated."""
    before = text[max(0, mention.start - _OPENER_REACH) : mention.start]
    opener = _last_opener(before)
    if opener is not None:
        return True
    return _conditional_main_clause(text, mention)


def _last_opener(before: str) -> re.Match[str] | None:
    """The last supposing word before a figure, unless an idiom or a full clause of fact lies between."""
    found = [m for m in _SUPPOSING_RE.finditer(before) if not _idiom_at(before, m)]
    if not found:
        return None
    last = found[-1]
    # "If you look at the numbers, Alibaba Cloud revenue grew 34%": the condition ended before a stated fact
    rest = before[last.end() :]
    return last if not _closed(rest) else None


def _idiom_at(text: str, match: re.Match[str]) -> bool:
    """True when a supposing word is part of an idiom ("as if", "if any")."""
    window = text[max(0, match.start() - 6) : match.end() + 8]
    return _IDIOM_RE.search(window) is not None


def _closed(rest: str) -> bool:
    """True when the condition's clause ended and the figure sits in a clause without a modal."""
    parts = CLAUSE_RE.split(rest)
    return len(parts) > 1 and _MODAL_RE.search(parts[-1]) is None and _MODAL_RE.search(rest) is None


def _conditional_main_clause(text: str, mention: Mention) -> bool:
    """True for "revenue could reach X if demand holds": a modal before the figure, a condition after it."""
    after = text[mention.end :]
    condition = _SUPPOSING_RE.search(after)
    if condition is None or _idiom_at(after, condition):
        return False
    clause_start = _clause_start(text, mention.start)
    return _MODAL_RE.search(text, clause_start, mention.start) is not None


def _clause_start(text: str, position: int) -> int:
    """Where the clause holding ``position`` begins."""
    breaks = [m.end() for m in CLAUSE_RE.finditer(text, 0, position)]
    return breaks[-1] if breaks else 0
