"""From a document's sentences to metric claims: numbers, entities, metrics, periods and forecasts.

For each sentence: find the numbers (numbers.py); attribute each to an entity (the nearest name before
it, else the topic carried from earlier sentences, else the name after it; rivals drop the number);
match it to a catalog metric by the cue words around it (catalog.py rules: the number's own clause first,
then the sentence up to it); tie it to a period the sentence names (periods.py); flag projections.
Numbers about a watched entity that match no metric are kept with ``metric=None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.periods import LooseDate, Period
from core.types import Claim, Document, MetricKind
from extractors.catalog import Catalog, MatchRule, load_catalog
from extractors.entities import OTHER, EntityMention, clean, entity_for, find_entities, refers_back
from extractors.numbers import Mention, find_numbers
from extractors.periods import PeriodMention, find_periods, is_future
from extractors.sentences import Sentence, split_sentences

EXTRACTOR_VERSION = "claims-1"
LOCAL_REACH = 80  # chars either side of a number that still read as its own clause
WIDE_REACH = 160  # how far back a subject ("AI Cloud revenue rising 34% ... to RMB39.8 billion") may sit
FORBID_REACH = 40  # a contrary cue this close to the number vetoes a metric
FORECAST_REACH = 200  # how far back a projection verb can govern a figure ("projecting that ... 60%")
TOPIC_REACH = 3  # sentences an entity stays the topic without being named again
_CLAUSE_RE = re.compile(r"[,;，；：()（）]|\s[—–-]\s|[—–](?=\s)|\b(?:while|whereas|but)\b")
# Before a number "and" also opens its clause: "... revenue in 2026 and achieve a 60% market share".
_LEFT_CLAUSE_RE = re.compile(_CLAUSE_RE.pattern + r"|\band\b|[并而且]")
_FORECAST_RE = re.compile(
    r"\b(?:project(?:s|ed|ing|ion|ions)?|forecasts?|forecasting|expects?|expecting|expected to|expectations?|"
    r"could|would|will|(?-i:may|might)|aims?|aiming|plans?|planned|planning|targets?|targeting|goals?|objective|"
    r"ambition|commit(?:s|ted|ment)?|pledg(?:e|ed|es)|vow(?:ed|s)?|intends?|anticipat\w+|predict\w*|outlook|"
    r"guidance|poised to|on track to|set to|seeks? to|hopes? to|estimates? that|had expected|"
    r"analysts expected|"
    r"consensus)\b"
    r"|目标|预计|计划|有望|力争|预期|预测|承诺|拟|将(?:达到|超过|突破|投入|投资)",
    re.IGNORECASE,
)
_REPORTED_RE = re.compile(
    r"\b(?:reported|posted|rose|grew|jumped|climbed|surged|reached|hit|was|were|achieved|recorded|generated|"
    r"delivered|saw|had|totaled|totalled|passed|surpassed|exceeded|topped|crossed|said|announced)\b|录得|实现|达到了",
    re.IGNORECASE,
)
_EQUIVALENT_RE = re.compile(
    r"^\s*[(（]?\s*(?:[—–-]|,)?\s*(?:or\s+)?(?:approx\.?|approximately|about|around|roughly|some|nearly|"
    r"equivalent to|equal to|约合|约|合)?\s*$",
    re.IGNORECASE,
)
# "rose 26% to RMB 33.6 billion in the June quarter": a growth rate and its amount share the period
_PAIR_RE = re.compile(r"^\s*(?:year-over-year|year-on-year|yoy|y/y)?\s*(?:to|at|reaching)\s*$", re.IGNORECASE)
_BASELINE_RE = re.compile(
    r"\b(?:(?:up|down|rising|falling|accelerating|slowing) from|from|compared (?:with|to)|"
    r"versus|vs\.?)\s*$|(?:较|相比)\s*$",
    re.IGNORECASE,
)
_SINCE_CONTEXT_RE = re.compile(
    r"\b(?:since|launch\w*|releas\w*|found\w*|debut\w*|introduc\w*|began|start\w*|unveil\w*)\b[^,;]*$", re.I
)


@dataclass(frozen=True)
class _Window:
    """The text around a number that may say what it measures."""

    before: str
    after: str
    veto: str  # where a contrary cue vetoes a metric: the number's clause and a little beyond
    tier: int  # 1: the number's own clause; 2: the sentence up to it


def extract_claims(document: Document, catalog: Catalog | None = None) -> list[Claim]:
    """Every claim in a document, tracked and untracked, in document order."""
    catalog = catalog or load_catalog()
    claims: list[Claim] = []
    topic, topic_age = None, TOPIC_REACH + 1
    header = ""
    for sentence in split_sentences(document.text):
        header, prefix = _table_context(sentence.text, header)
        text = clean(prefix + sentence.text)
        entities = find_entities(text)
        carried = topic if topic_age <= TOPIC_REACH else None
        if _DIGIT_RE.search(sentence.text) or _has_spelled(sentence.text):
            found = _sentence_claims(document, sentence, text, entities, carried, catalog, len(prefix))
            claims.extend(found)
        topic, topic_age = (entities[0].entity, 0) if entities else (topic, topic_age + 1)
    return _dedupe(claims)


def _table_context(line: str, header: str) -> tuple[str, str]:
    """The table header in force after this line, and the text to read a table row against.

    Tables come out of trafilatura as ``| a | b |`` lines: a row's figures are read after its header
    ("| Segment | Revenue |"), so a bare "RMB 39,824 million" in the cloud row is cloud revenue.
    """
    if not line.startswith("|"):
        return "", ""
    if _TABLE_RULE_RE.match(line):
        return header, ""
    if not header:
        return line, ""
    return header, f"{header} :: "


_DIGIT_RE = re.compile(r"\d")
_TABLE_RULE_RE = re.compile(r"^\|[\s|:-]+$")
_SPELLED_HINT_RE = re.compile(
    r"\b(?:million|billion|trillion|thousand|consecutive|straight|successive)\b|[万亿萬億]|连续",
    re.IGNORECASE,
)


def _has_spelled(text: str) -> bool:
    """Cheap test for numbers written without digits, so sentences with none are skipped fast."""
    return _SPELLED_HINT_RE.search(text) is not None


def _sentence_claims(
    document: Document,
    sentence: Sentence,
    text: str,
    entities: list[EntityMention],
    carried: str | None,
    catalog: Catalog,
    skip: int = 0,
) -> list[Claim]:
    """The claims of one sentence; ``text`` may start with ``skip`` characters of table header."""
    mentions = [m for m in _without_equivalents(text, find_numbers(text)) if m.start >= skip]
    if not mentions:
        return []
    back = refers_back(text)
    periods: list[PeriodMention] | None = None
    out = []
    for index, mention in enumerate(mentions):
        entity = entity_for(entities, mention.start, carried, back, text)
        if entity is None or entity == OTHER:
            continue
        if periods is None:
            periods = _periods(text, document.published, skip)
        metric_id = (
            None if _is_baseline(text, mention) else _best_metric(text, mentions, index, entity, catalog)
        )
        out.append(_claim(document, sentence, text, mentions, index, entity, metric_id, periods, catalog))
    return out


def _is_baseline(text: str, mention: Mention) -> bool:
    """True for the figure a change is measured from ("accelerated to 26% from 18%"): not a new statement."""
    return _BASELINE_RE.search(text[max(0, mention.start - 24) : mention.start]) is not None


def _periods(text: str, published: LooseDate | None, skip: int = 0) -> list[PeriodMention]:
    """Period phrases that can be a figure's period (not launch dates or starting points).

    A table header naming one period dates the whole row; one naming several (a column per quarter)
    cannot be read without the columns, so it dates nothing.
    """
    found = [
        p
        for p in find_periods(text, published)
        if p.anchor != "since" and not _SINCE_CONTEXT_RE.search(text[max(0, p.start - 40) : p.start])
    ]
    in_header = [p for p in found if p.start < skip]
    return found if len(in_header) <= 1 else [p for p in found if p.start >= skip]


def _without_equivalents(text: str, mentions: list[Mention]) -> list[Mention]:
    """Drop a converted amount stated beside the original ("380 billion yuan (approx. US$53 billion)")."""
    kept: list[Mention] = []
    for mention in mentions:
        previous = kept[-1] if kept else None
        if previous is not None and _is_equivalent(text, previous, mention):
            continue
        kept.append(mention)
    return kept


def _is_equivalent(text: str, first: Mention, second: Mention) -> bool:
    """True when the second amount restates the first in another currency."""
    money = first.unit not in ("count", "percent") and second.unit not in ("count", "percent")
    return (
        money
        and first.unit != second.unit
        and _EQUIVALENT_RE.match(text[first.end : second.start]) is not None
    )


def _windows(text: str, mentions: list[Mention], index: int) -> list[_Window]:
    """The number's own clause, then the sentence up to it."""
    mention = mentions[index]
    low = max(mentions[index - 1].end if index else 0, mention.start - LOCAL_REACH)
    breaks = [m.end() for m in _LEFT_CLAUSE_RE.finditer(text, low, mention.start)]
    clause = text[breaks[-1] if breaks else low : mention.start]
    following = mentions[index + 1].start if index + 1 < len(mentions) else len(text)
    high = min(following, mention.end + LOCAL_REACH)
    stop = _CLAUSE_RE.search(text, mention.end, high)
    after = text[mention.end : stop.start() if stop else high]
    wide = text[max(0, mention.start - WIDE_REACH) : mention.start]
    veto = f"{clause} | {after[:FORBID_REACH]}"
    return [_Window(clause, after, veto, 1), _Window(wide, after, f"{wide[-FORBID_REACH:]} | {veto}", 2)]


def _best_metric(text: str, mentions: list[Mention], index: int, entity: str, catalog: Catalog) -> str | None:
    """The catalog metric this number states, or None when it matches none."""
    mention = mentions[index]
    best: tuple[int, int, int] | None = None
    chosen = None
    rules = [(mid, rule) for mid, rule in catalog.rules.items() if _admissible(rule, mention, entity, text)]
    if not rules:
        return None
    for window in _windows(text, mentions, index):
        for metric_id, rule in rules:
            distance = _fit(rule, window)
            if distance is None:
                continue
            rank = (window.tier, -len(rule.near), distance)
            if best is None or rank < best:
                best, chosen = rank, metric_id
        if chosen is not None:
            return chosen
    return None


def _admissible(rule: MatchRule, mention: Mention, entity: str, text: str) -> bool:
    """Unit, entity, streak and sentence context allow this metric."""
    return (
        mention.unit in rule.units
        and entity in rule.about
        and mention.streak == rule.streak
        and (rule.least is None or mention.value >= rule.least)
        and (rule.most is None or mention.value <= rule.most)
        and all(p.search(text) for p in rule.context)
    )


def _fit(rule: MatchRule, window: _Window) -> int | None:
    """How far the farthest required cue sits from the number, or None when a cue is missing or vetoed."""
    if any(p.search(window.veto) for p in rule.forbid):
        return None
    worst = 0
    for pattern in rule.near:
        distance = _cue_distance(pattern, window)
        if distance is None:
            return None
        worst = max(worst, distance)
    return worst


def _cue_distance(pattern: re.Pattern[str], window: _Window) -> int | None:
    """Characters between the number and the nearest match of a cue, before or after it."""
    distances = [len(window.before) - m.end() for m in pattern.finditer(window.before)]
    after = pattern.search(window.after)
    if after is not None:
        distances.append(after.start())
    return min(distances) if distances else None


def _claim(
    document: Document,
    sentence: Sentence,
    text: str,
    mentions: list[Mention],
    index: int,
    entity: str,
    metric_id: str | None,
    periods: list[PeriodMention],
    catalog: Catalog,
) -> Claim:
    """One Claim for one number."""
    mention = mentions[index]
    kind = catalog.metrics[metric_id].kind if metric_id else None
    period = _period(mentions, index, periods, kind, text)
    forecast = kind == MetricKind.TARGET or _is_forecast(text, mention) or _future(period, document.published)
    return Claim(
        metric=metric_id,
        entity=catalog.metrics[metric_id].entity if metric_id else entity,
        value=_tidy(mention.value),
        unit=mention.unit,
        qualifier=mention.qualifier,
        period=period,
        forecast=forecast,
        evidence=sentence.text,
        start=sentence.start,
        end=sentence.end,
        source=document.source,
        published=document.published,
        stated_value=mention.stated_value,
        stated_unit=mention.stated_unit,
        extractor_version=EXTRACTOR_VERSION,
    )


def _separated(mentions: list[Mention], index: int, position: int, text: str) -> bool:
    """True when a figure in a different clause lies between this number and ``position``."""
    for left, right in zip(mentions[index:], mentions[index + 1 :], strict=False):
        if right.start >= position:
            return False
        gap = text[left.end : right.start]
        if not _PAIR_RE.match(gap):
            return True
    return False


def _period(
    mentions: list[Mention], index: int, periods: list[PeriodMention], kind: MetricKind | None, text: str
) -> Period | None:
    """The period the sentence ties this number to, if it ties it to one."""
    mention = mentions[index]
    candidates = []
    for p in periods:
        if kind == MetricKind.CUMULATIVE and p.anchor != "by":
            continue
        if p.start >= mention.end:
            if kind != MetricKind.TARGET and _separated(mentions, index, p.start, text):
                continue  # another figure in another clause sits between: the period is that one's
            candidates.append((p.start - mention.end, p))
        elif kind != MetricKind.TARGET:
            candidates.append((mention.start - p.end, p))
    return min(candidates, key=lambda c: c[0])[1].period if candidates else None


def _is_forecast(text: str, mention: Mention) -> bool:
    """True when a projection verb governs the number, with no reported-fact verb between them."""
    after = text[mention.end : mention.end + 30]
    if re.match(r"^[^,;.]*\b(?:is|are)\s+(?:expected|projected|forecast)", after, re.I):
        return True
    before = text[max(0, mention.start - FORECAST_REACH) : mention.start]
    cues = list(_FORECAST_RE.finditer(before))
    if not cues:
        return False
    return _REPORTED_RE.search(before[cues[-1].end() :]) is None


def _future(period: Period | None, published: LooseDate | None) -> bool:
    """A figure for a period that had not begun at publication is a projection."""
    return period is not None and is_future(period, published)


def _tidy(value: Decimal) -> Decimal:
    """A Decimal without trailing zeros or exponent noise ("22300000000.0" → 22300000000)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _dedupe(claims: list[Claim]) -> list[Claim]:
    """Drop exact repeats (the same figure read twice from one sentence), keeping order."""
    seen, out = set(), []
    for claim in claims:
        key = (claim.metric, claim.value, claim.unit, claim.period, claim.forecast, claim.start)
        if key not in seen:
            seen.add(key)
            out.append(claim)
    return out


EXTRACTORS = {"metric_claims": extract_claims}  # kind -> extractor; flows look extractors up here
