"""Which catalog metric a number states, by the cue words around it (the rules of data/metrics.yaml).

The number's own clause is read first, then the sentence up to it; every `near` cue of a rule must be
there, no `forbid` cue may sit close to the number (or in the clause of a far cue), and among the rules
that fit, the more specific one (more cues) wins, then the one whose cue is nearest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from extractors.catalog import Catalog, MatchRule
from extractors.numbers import Mention
from extractors.sentences import CLAUSE_RE, LEFT_CLAUSE_RE

LOCAL_REACH = 100  # chars either side of a number that still read as its own clause
# the sentence up to a number: its subject may be named far back, and contrary cues between veto it
WIDE_REACH = 300
FORBID_REACH = 40  # a contrary cue this close to the number vetoes a metric
# an opening adverbial or prepositional phrase, not a clause with a subject and verb of its own
_OPENER_RE = re.compile(
    r"\s*(?:[A-Z][a-z]+ly\s*[,，]"  # "Sequentially,", "Internationally,"
    r"|(?:On|In)\s+an?\s+[\w-]+\s+basis\b"  # "On a sequential basis"
    r"|(?:In|Across|Within|Outside)\s+(?:the\s+)?(?:[\w-]+\s+){0,4}(?:market|segment|business|sector)s?\b"
    r"|(?:而|但|此外|另外|其中)?(?:在|于|就)[^，,]{0,20}(?:市场|领域|业务|板块)|按季|环比|剔除|不计)"
)
LEADING_CHARS = 30  # an opening adverbial ("Sequentially,", "在公有云市场，") is short: longer is a clause
CLAUSE_SCAN = 240  # how far before a far cue its clause may begin (bounds the work per number)
_GLOSS_RE = re.compile(r"\s*[—–:]\s|\s+-\s")
_ASIDE_AFTER_RE = re.compile(r"\s*[(（][^()（）]{0,40}[)）]")
_AND_RE = re.compile(r"\s(?:and|as well as)\s|[和及]|(?<=[%％\d])/")  # "电商+10%/国际+19%/云+26%": items
# the noun two modifiers joined by "and" share: "AI and cloud revenue", "云和AI收入"
_COMPOUND_HEAD_RE = re.compile(
    r"\s*(?:[\w-]+\s+)?(?:revenues?|sales|income|spending|capex|investments?|business(?:es)?|收入|营收|业务|投入)",
    re.I,
)


@dataclass(frozen=True)
class _Window:
    """The text around a number that may say what it measures."""

    before: str
    after: str
    veto: tuple[tuple[int, int], ...]  # spans of the sentence where a contrary cue vetoes a metric
    tier: int  # 1: the number's own clause; 2: the sentence up to it
    at: int = 0  # where the number starts in the sentence


def _windows(text: str, mentions: list[Mention], index: int, reach: int = WIDE_REACH) -> list[_Window]:
    """The number's own clause, then the sentence up to it (``reach`` characters back)."""
    mention = mentions[index]
    low = max(mentions[index - 1].end if index else 0, mention.start - LOCAL_REACH)
    breaks = [m.end() for m in LEFT_CLAUSE_RE.finditer(text, low, mention.start)]
    clause_start = breaks[-1] if breaks else low
    clause = text[clause_start : mention.start]
    following = mentions[index + 1].start if index + 1 < len(mentions) else len(text)
    gloss = _GLOSS_RE.match(text, mention.end)  # "34% — Alibaba Cloud's revenue growth": the dash defines
    # a bracketed aside ("380 billion yuan ($53 billion) that Alibaba has committed") does not end the clause,
    # nor count against the reach of the words after it
    aside = gloss or _ASIDE_AFTER_RE.match(text, mention.end)
    high = min(following, (aside.end() if aside else mention.end) + LOCAL_REACH)
    stop = CLAUSE_RE.search(text, aside.end() if aside else mention.end, high)
    after = text[mention.end : stop.start() if stop else high]
    wide = text[max(0, mention.start - reach) : mention.start]
    # a contrary cue after "and" is another item's ("recognition in 19 languages and generation in 10",
    # "revenue rising 34% and AI-related product revenue ..."); "$100B in AI and cloud revenue" is one item
    joined = _AND_RE.search(after)
    another = joined is not None and not _compound(after, joined)
    reach_after = min(joined.start() if another and joined else len(after), FORBID_REACH)
    # ... and one before "and" is the previous item's ("2,000万次下载和100,000个衍生模型")
    items = [m.end() for m in _AND_RE.finditer(text, clause_start, mention.start)]
    item_start = max(items, default=clause_start)
    own = ((item_start, mention.start), (mention.end, mention.end + reach_after), *_leading(text, mention),
           *_bracketed(text, clause_start))
    near = (max(item_start if item_start > clause_start else 0, mention.start - FORBID_REACH), mention.start)
    return [
        _Window(clause, after, own, 1, mention.start),
        _Window(wide, after, (near, *own), 2, mention.start),
    ]


def _bracketed(text: str, clause_start: int) -> tuple[tuple[int, int], ...]:
    """A figure in brackets describes what the words before them name ("AI拉动GPU算力（营收增长超过100%）"):
    those words' contrary cues reach it, back to the clause before the bracket."""
    if clause_start == 0 or text[clause_start - 1] not in "(（":
        return ()
    low = max(0, clause_start - 1 - FORBID_REACH)
    breaks = [m.end() for m in LEFT_CLAUSE_RE.finditer(text, low, clause_start - 1)]
    return ((breaks[-1] if breaks else low, clause_start - 1),)


def _compound(after: str, joined: re.Match[str]) -> bool:
    """True when "and" joins two modifiers of one noun after the figure ("in AI and cloud revenue")."""
    return bool(re.search(r"[A-Za-z\u4e00-\u9fff]", after[: joined.start()])) and (
        _COMPOUND_HEAD_RE.match(after, joined.end()) is not None
    )


def _leading(text: str, mention: Mention) -> tuple[tuple[int, int], ...]:
    """A sentence's opening clause without figures frames all of it ("Sequentially, cloud revenue rose 8.7%",
    "而在整体公有云IaaS市场，阿里云的份额约为26%"): its contrary cues reach every number."""
    first = CLAUSE_RE.search(text, 0, mention.start)
    if first is None or first.start() > LEADING_CHARS or re.search(r"\d", text[: first.start()]):
        return ()
    return ((0, first.start()),) if _OPENER_RE.match(text) else ()


def best_metric(
    text: str,
    mentions: list[Mention],
    index: int,
    entity: str,
    catalog: Catalog,
    skip: int = 0,
    sure: bool = True,
    previous: str = "",
    value: Decimal | None = None,
) -> str | None:
    """The catalog metric this number states, or None when it matches none.

    A table cell's cues may sit anywhere in the caption and header above it (``skip`` characters). A rule's
    sentence-wide `context` may also be met by the previous sentence of the paragraph (``previous``). A
    rule's plausible range is checked against ``value`` when one is given.
    """
    mention = mentions[index]
    best: tuple[int, int, int] | None = None
    chosen = None
    rules = [
        (mid, rule)
        for mid, rule in catalog.rules.items()
        if _admissible(rule, mention, entity, text, previous) and _in_range(rule, value)
    ]
    if not rules:
        return None
    windows = _windows(text, mentions, index, max(WIDE_REACH, mentions[index].start if skip else 0))
    for window in windows:
        for metric_id, rule in rules:
            distance = _fit(rule, window, text, entity if sure else "")
            if distance is None:
                continue
            rank = (window.tier, -len(rule.near), distance)
            if best is None or rank < best:
                best, chosen = rank, metric_id
        if chosen is not None:
            if window.tier == 1:
                since = _since(text, mentions, index)
                return _specialised(chosen, rules, windows, text, since, entity if sure else "")
            return chosen
    return None


def _since(text: str, mentions: list[Mention], index: int) -> int:
    """Where the words about this number may begin: past the last figure's clause ("80% of incremental
    revenue in 2026 and achieve a 60% share": "incremental" is the 80%'s)."""
    if not index:
        return 0
    boundary = LEFT_CLAUSE_RE.search(text, mentions[index - 1].end, mentions[index].start)
    return boundary.end() if boundary else mentions[index].start


def _specialised(chosen: str, rules: list[tuple[str, MatchRule]], windows: list[_Window], text: str,
                 since: int, entity: str) -> str:
    """A more specific metric that fits the sentence, when the words since the last figure hold a contrary
    cue of the one fitted in the clause ("千问公测刚满一周，下载量就已突破1000万次": the first week's
    downloads, not the total)."""
    general = dict(rules)[chosen]
    own, wide = windows[0], windows[-1]
    if not any(p.search(text, since, own.at) for p in _contrary(general, entity)):
        return chosen
    words = [m.group() for p in general.near for m in [p.search(own.before) or p.search(own.after)] if m]
    # a metric with more cues that says what the general one says ("下载") and more
    specific = [(mid, rule) for mid, rule in rules if len(rule.near) > len(general.near)
                and all(any(q.search(word) for q in rule.near) for word in words)]
    fitting = [(len(rule.near), mid) for mid, rule in specific if _fit(rule, wide, text, entity) is not None]
    return max(fitting)[1] if fitting else chosen


def _admissible(rule: MatchRule, mention: Mention, entity: str, text: str, previous: str = "") -> bool:
    """Unit, entity, streak and sentence (or previous sentence) context allow this metric."""
    return (
        mention.unit in rule.units
        and entity in rule.about
        and mention.streak == rule.streak
        and all(p.search(text) or p.search(previous) for p in rule.context)
    )


def _in_range(rule: MatchRule, value: Decimal | None) -> bool:
    """True when a value lies in the rule's plausible range (or no value is to be checked)."""
    if value is None:
        return True
    return (rule.least is None or value >= rule.least) and (rule.most is None or value <= rule.most)


def _fit(rule: MatchRule, window: _Window, text: str, entity: str) -> int | None:
    """How far the farthest required cue sits from the number, or None when a cue is missing or vetoed."""
    worst, reach = 0, 0
    for pattern, implied in zip(rule.near, rule.implied, strict=True):
        found = (0, 0) if entity in implied else _cue_distance(pattern, window)
        if found is None:
            return None  # (cues first: most rules miss one, and then no contrary cue need be looked for)
        worst, reach = max(worst, found[0]), max(reach, found[1])
    # searched in place, so a lookbehind sees the words before a span ("Cloud Intelligence Group revenue")
    forbid = _contrary(rule, entity)
    if any(p.search(text, start, end) for p in forbid for start, end in window.veto):
        return None
    if reach and _vetoed_back_to(forbid, text, window.at - reach, window.at):
        return None  # "Adjusted EBITA of Cloud Intelligence Group increased 33% to RMB2.3 billion"
    return worst


def _contrary(rule: MatchRule, entity: str) -> tuple[re.Pattern[str], ...]:
    """The rule's contrary cues that still veto when the number is about ``entity``."""
    if not rule.unless:
        return rule.forbid
    return tuple(p for p, unless in zip(rule.forbid, rule.unless, strict=True) if entity not in unless)


def _vetoed_back_to(forbid: tuple[re.Pattern[str], ...], text: str, cue: int, at: int) -> bool:
    """True when a contrary cue sits in the clause of a far cue, or between it and the number (from the
    last item boundary between them: "收入增长2%，中国电商+10%/国际+19%/云+26%" is a list of items)."""
    low = max(0, cue - CLAUSE_SCAN)
    breaks = [m.end() for m in LEFT_CLAUSE_RE.finditer(text, low, cue)]
    items = [m.end() for m in _AND_RE.finditer(text, cue, at)]
    listed = items and re.search(r"\d", text[cue : items[-1]])  # items that carry figures of their own
    start = items[-1] if listed else breaks[-1] if breaks else low
    return any(p.search(text, start, at) for p in forbid)


def _cue_distance(pattern: re.Pattern[str], window: _Window) -> tuple[int, int] | None:
    """Characters between the number and the nearest match of a cue, and how far back that match begins."""
    size = len(window.before)
    found = [(size - m.end(), size - m.start()) for m in pattern.finditer(window.before)]
    after = pattern.search(window.after)
    if after is not None:
        found.append((after.start(), 0))
    return min(found) if found else None

