"""Which period a figure takes in its sentence, and what the publication date says about it.

A period phrase binds to the nearest figure in its own clause (and the figure stated with it: "rose 26%
to RMB33.6 billion in the June quarter"); it never jumps over another figure or a clause boundary to a
farther one. A period in a clause without figures frames the whole sentence. A reported actual keeps
only a period that was over at publication; a flow for a period not yet over is a projection.
"""

from __future__ import annotations

import re
import threading

from core.periods import LooseDate, Period
from core.types import MetricKind
from extractors.numbers import Mention
from extractors.periods import NO_PERIOD, PeriodMention, has_ended, is_future, next_year
from extractors.sentences import CLAUSE_RE

# "rose 26% to RMB 33.6 billion in the June quarter": a growth rate and its amount share the period
# (also across a period and a qualifier: "rose 34% in the September quarter to roughly RMB39.8 billion")
_PAIR_RE = re.compile(
    r"^\s*(?:year[- ]over[- ]year|year[- ]on[- ]year|yoy|y/y|from a year (?:earlier|ago|before))?\s*"
    r"(?:(?:in|for|during)\s+[\w' -]{2,40}?\s+)?"
    r"(?:to|at|reaching)\s*(?:about|roughly|around|approximately|approx\.|nearly|some|an estimated)?\s*$"
    r"|^\s*(?:同比)?(?:增长|上涨|提升)?\s*(?:至|到|达)\s*$"
    # "收入398亿元，同比增长34%", "RMB39.8 billion, up 34%", "43.3 billion yuan, an increase of 36%"
    r"|^\s*[，,]?\s*(?:同比|按年|年)(?:增长|上升|上涨|增加|下降|下滑|减少|升|增|跌|减)了?\s*$"
    r"|^\s*[(（]\s*$"  # "+3% (RMB 28.1B)": an amount in brackets right after its growth
    r"|^\s*(?:(?:in|for|during)\s+[\w' -]{2,40}?)?\s*,?\s*(?:up|down)\s*$"
    r"|^\s*(?:(?:in|for|during)\s+[\w' -]{2,40}?)?\s*,\s*(?:an?\s+)?"
    r"(?:increase|rise|jump|gain|decline|drop|fall)\s+of\s*$",
    re.IGNORECASE,
)
_ASIDE_RE = re.compile(r"[(（][^()（）]*[)）]")
_SEMICOLON_RE = re.compile(r"[;；]")


def row_periods(periods: list[PeriodMention], skip: int) -> list[PeriodMention]:
    """Periods that can date a figure in the sentence proper.

    A table caption and header naming one period date the whole row; naming several (a column per
    quarter), they date only the cells of their own column (``_column_period``), not the row.
    """
    in_header = {p.period for p in periods if p.start < skip and p.period is not NO_PERIOD}
    return periods if len(in_header) <= 1 else [p for p in periods if p.start >= skip]


def owns_period(mentions: list[Mention], index: int, periods: list[PeriodMention], text: str) -> bool:
    """True when a period phrase in the number's own clause dates it ("up from 35.8% in the first half")."""
    return any(_clause_owner(mentions, p, text) == index for p in periods)


def _separated(mentions: list[Mention], index: int, position: int, text: str) -> bool:
    """True when a figure in a different clause lies between this number and ``position``."""
    for left, right in zip(mentions[index:], mentions[index + 1 :], strict=False):
        if right.start >= position:
            return False
        if not _paired(text, left, right):
            return True
    return False


def _paired(text: str, left: Mention, right: Mention) -> bool:
    """True for a growth rate and its amount stated as one ("rose 26% to RMB 33.6 billion")."""
    return _PAIR_RE.match(text[left.end : right.start]) is not None


def _clause_owner(mentions: list[Mention], period: PeriodMention, text: str) -> int | None:
    """The number a period phrase binds to: the nearest one in its clause, or None when its clause has none.

    "$50B plan ..., with Jefferies projecting 60% market share by 2026": "by 2026" is the 60%'s, and it does
    not jump over that number (or over a clause boundary) to reach the $50B. A period phrase follows what it
    dates, so a number before it in the clause wins over one after it ("80% of it in 2026 and 60% share").
    Found once per phrase of a sentence (``_sentence_owners``): callers ask for every number and phrase.
    """
    owners = _sentence_owners(mentions, text)
    span = (period.start, period.end)  # all the search reads of a phrase
    if span not in owners:
        owners[span] = _nearest_in_clause(mentions, period, text)
    return owners[span]


def _nearest_in_clause(mentions: list[Mention], period: PeriodMention, text: str) -> int | None:
    """The nearest number in the period phrase's clause, before it if any, else after it (ties: the first).

    Numbers are tried nearest first and the first in the clause wins, so a long sentence costs one clause
    test per phrase instead of one per number.
    """
    for index in sorted(range(len(mentions)), key=lambda i: (*_reach(mentions[i], period), i)):
        low, high = _gap(mentions[index], period)
        if high < low:
            continue  # the number overlaps the phrase
        if not CLAUSE_RE.search(_ASIDE_RE.sub("", text[low:high])):
            return index  # an aside in brackets ("RMB380 billion ($53B) through 2028") is no clause boundary
    return None


def _gap(mention: Mention, period: PeriodMention) -> tuple[int, int]:
    """The text between a number and a period phrase, as (low, high) offsets."""
    return (period.end, mention.start) if mention.start >= period.end else (mention.end, period.start)


def _reach(mention: Mention, period: PeriodMention) -> tuple[bool, int]:
    """How far a number is from a period phrase: numbers before it first, then by the gap's length."""
    low, high = _gap(mention, period)
    return mention.start >= period.end, high - low


def _sentence_owners(mentions: list[Mention], text: str) -> dict[tuple[int, int], int | None]:
    """Owners found so far for this sentence: kept per thread while the same numbers and text are asked about.

    Identity, not equality: the callers pass the one list of numbers they built for the sentence, unchanged.
    """
    cached = getattr(_owners, "sentence", None)
    if cached is None or cached[0] is not mentions or cached[1] is not text:
        cached = (mentions, text, {})
        _owners.sentence = cached
    return cached[2]


_owners = threading.local()  # the sentence being read in this thread, and its phrases' owners


def respective(
    mentions: list[Mention], periods: list[PeriodMention], listed: list[PeriodMention]
) -> dict[int, PeriodMention]:
    """Figures given "respectively" ("26% and 34% in the June and September quarters, respectively",
    "第二、三季度增速分别为26%和34%"): the i-th figure of each unit takes the i-th period listed (or, with no
    list, the i-th period of the sentence), when the counts match."""
    order = listed or [p for p in periods if p.period is not NO_PERIOD and p.anchor != "since"]
    out: dict[int, PeriodMention] = {}
    for unit in {m.unit for m in mentions}:
        indices = [i for i, m in enumerate(mentions) if m.unit == unit]
        if len(indices) == len(order) > 1:
            out.update(zip(indices, order, strict=True))
    return out


def _bound(mentions: list[Mention], index: int, owner: int, text: str) -> bool:
    """True when the number at ``index`` is the owner or stated as one with it (a rate and its amount)."""
    low, high = sorted((index, owner))
    return all(_paired(text, mentions[i], mentions[i + 1]) for i in range(low, high))


def period_for(
    mentions: list[Mention], index: int, periods: list[PeriodMention], kind: MetricKind | None, text: str
) -> PeriodMention | None:
    """The period phrase the sentence ties this number to, if it ties it to one.

    A period in a clause with figures belongs to the nearest of them (and the figure stated with it); a
    period in a clause without figures frames the sentence and reaches any figure not separated from it.
    """
    mention = mentions[index]
    own, framing = [], []
    for p in periods:
        if kind == MetricKind.CUMULATIVE and p.anchor != "by":
            continue
        if kind == MetricKind.FLOW and p.day:
            continue  # "on November 25" is when results came out, not the period revenue belongs to
        owner = _clause_owner(mentions, p, text)
        distance = p.start - mention.end if p.start >= mention.end else mention.start - p.end
        if owner is not None:
            if _bound(mentions, index, owner, text):
                own.append((distance, p))
        elif _frames(mentions, index, p, kind, text):
            framing.append((distance, p))
    chosen = own or framing
    return min(chosen, key=lambda c: c[0])[1] if chosen else None


def _frames(
    mentions: list[Mention], index: int, period: PeriodMention, kind: MetricKind | None, text: str
) -> bool:
    """True when a figure-less period phrase dates this number: before it, or after it with none between."""
    if period.start < mentions[index].end:
        return kind != MetricKind.TARGET  # "In September 2025, it announced a plan": the announcement's date
    if _SEMICOLON_RE.search(text, mentions[index].end, period.start):
        return False  # a semicolon ends the figure's statement ("推进3800亿的AI基础设施建设; 对比2022年")
    return kind == MetricKind.TARGET or not _separated(mentions, index, period.start, text)


def settled(found: PeriodMention | None, forecast: bool, published: LooseDate | None) -> Period | None:
    """The period a claim keeps once it is known to be a projection or a reported actual.

    A projection whose year is left unsaid is about the nearest such period, which may not have ended
    ("expects 38% growth in the December quarter", written in early December 2025, is 2025-Q4). A reported
    actual's period must be over at publication: "700 million downloads by early 2026" in January 2026 is
    the count so far, no period.
    """
    if found is None or found.period is NO_PERIOD:
        return None
    period = found.period
    if forecast:
        return _nearest(period, published) if found.implied else period
    return period if has_ended(period, published) else None


def _nearest(period: Period, published: LooseDate | None) -> Period:
    """Of a period and the same one a year later, the one nearer the publication date."""
    if published is None:
        return period
    later = next_year(period)
    gap_before = (published.day - period.end).days
    gap_after = max(0, (later.start - published.day).days)
    return later if gap_after < gap_before else period


def is_projection(period: Period | None, published: LooseDate | None, kind: MetricKind | None) -> bool:
    """A figure for a period that had not begun at publication is a projection, and so is a flow's for a
    period not yet over ("revenue growth above 40% in 2026", written in February 2026)."""
    if period is None:
        return False
    return is_future(period, published) or (kind == MetricKind.FLOW and not has_ended(period, published))

