"""From a document's sentences to metric claims: numbers, entities, metrics, periods and forecasts.

For each sentence: find the numbers (numbers.py); attribute each to an entity (the nearest name before
it, else what the sentence refers back to or the topic carried from earlier sentences, else the name after
it; rivals drop the number); match it to a catalog metric by the cue words around it (matching.py); tie it
to a period (dating.py); flag projections. Table rows are read against their caption and header, a cell
dated by its own column (tables.py). A baseline ("up from 35.8% in the first half of 2025", "compared with
28.07 billion yuan a year earlier") is kept as an earlier actual when its period is known.
Numbers about a watched entity that match no metric are kept with ``metric=None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from core.periods import LooseDate, Period
from core.types import Claim, Document, MetricKind
from extractors.catalog import Catalog, load_catalog
from extractors.dating import is_projection, owns_period, period_for, respective, row_periods, settled
from extractors.entities import (
    OTHER,
    EntityMention,
    clean,
    entity_for,
    find_entities,
    referent,
    refers_back,
    rival_after,
)
from extractors.explain import Decision, Trace, describe
from extractors.lexicon import Lexicon
from extractors.matching import best_metric
from extractors.modality import hypothetical
from extractors.numbers import MAX_MAGNITUDE, Mention, find_numbers, is_fall
from extractors.periods import (
    NO_PERIOD,
    Frame,
    PeriodMention,
    document_frame,
    find_periods,
    listed_periods,
    next_year,
    respectively,
    trailing_spans,
)
from extractors.sentences import Sentence, split_sentences
from extractors.tables import Table, TableReader

# Stored with every claim. It changes whenever extraction output does: the accuracy gate
# (tests/support/gate.py) refuses a changed output under the same version. claims-5: issue 11's classes of
# wording (plain-text tables, the document's time frame, modality, falls, spoken numbers, respectively);
# claims-6: opening adverbials frame a sentence, "本财年", "今年10月至12月"; claims-7: ASCII word boundaries
# beside Chinese, the group's other businesses, previews, 亿 without 元, the headline as context.
# claims-8: trailing spans ending in a month, "the division", fiscal years through a month, executives.
# claims-9: rivals named as yardsticks, 330多亿, CIG, signed growth in lists, price-target upsides.
# claims-10: a comparison leans on the sentence before ("That compared with"), 将实现, "sees a 34% surge".
# claims-11: whole fiscal years, "12月季度" names no year, 第3财季, asides, contrasts end a sibling's reach.
# claims-12: a preview's figures for its quarter are estimates; lists fall back on the entities named last.
# claims-13: OpenCC's traditional character table, pledges "put into" and 目标, "double-digit" is no verb.
# claims-14: two-part amounts (1兆7100亿) and NT$, 月活 is no month, a unit's own total revenue, "and" ends
#            an item unless it joins two modifiers of one noun, FY2Q2026 and "…前瞻", no dating past a ";".
# claims-15: a list under a heading that names its topic; "…12月31日止季度"; old segment names, "Cloud 板块";
#            appositive rivals ("pitched against"); a rival or sibling first past a clause owns nothing.
# claims-16: "the cloud division" of the company named (part_of); title-line headings; segment lists
#            ("国际+19%/云+26%"); the specific metric a contrary cue points to; 和上一季度…相比; "lifted".
# claims-17: a page's top lines (breadcrumb, site name) before its headline; 微信 a rival.
# claims-18: "公司…" before the subject is named (headings too); Taiwan's 成長; "over a year" of spending.
EXTRACTOR_VERSION = "claims-18"
FORECAST_REACH = 200  # how far back a projection verb can govern a figure ("projecting that ... 60%")
TOPIC_REACH = 3  # sentences an entity stays the topic without being named again
IMPLAUSIBLE = "!implausible"  # a number whose cue words fit a metric, but not its plausible range
SETTLED_DAYS = 90  # results for a period are out within three months; previews come sooner
_FORECAST_RE = re.compile(
    # (the verb, not the noun: "its various AI projects")
    r"\b(?:(?<!AI )(?<!various )(?<!its )(?<!their )(?<!the )(?<!new )project(?:s|ed|ing|ion|ions)?|"
    r"forecasts?|forecasting|expects?|expecting|expected to|"
    r"(?<!beat )(?<!beats )(?<!topped )(?<!missed )(?<!exceeded )expectations?|"
    # "sees" a figure ahead, not "sees a 34% surge" it had (is_projection still catches a future period)
    r"could|would|will|should|likely to|(?-i:may|might)|"
    r"sees(?!\s+(?:an?\s+)?\S+\s+(?:surge|jump|rise|gain|increase|growth|decline|drop|fall))|"
    r"(?:analysts?|we|they|investors) see|"
    r"aims?|aiming|plans?|planned|"
    r"planning|targets?|targeting|goals?|"
    r"objective|"
    r"ambition|commit(?:s|ted|ment)?|pledg(?:e|ed|es)|vow(?:ed|s)?|intends?|anticipat\w+|predict\w*|outlook|"
    r"guidance|poised to|on track to|set to|seeks? to|hopes? to|estimates? that|had expected|"
    r"analysts expected|"
    r"consensus|to (?:stay|remain|reach|hit|top|exceed|surpass|grow|rise|climb|accelerate)|"
    r"to double(?![-\s]digit)|"  # not "returned to double-digit growth"
    # an analyst's model, the verb ("she now models revenue at"), never the noun ("Qwen models")
    r"(?:we|she|he|they|analysts?)\s+(?:now\s+)?model(?:s|l?ed)?|"
    r"our (?:model|estimates?) (?:has|have|shows?|assumes?|puts?|sees?))\b"
    # "beat expectations", "胜预期": measured against a forecast, itself an actual
    r"|目标|预计|估计|估算|可达|可望|或达|或将|计划|有望|力争|维持[^，。；]{0,30}不变|(?<![胜超])(?<!好于|高于|低于|不及|逊于)预期|预测|预料|承诺|拟"
    r"|(?<![材资饮原燃肥香])料(?:将|会|可|升|增|达|超|在|由)"  # HK press: "市佔率料升至四成"
    r"|将(?:达到|超过|突破|投入|投资)",
    re.IGNORECASE,
)
_ESTIMATE_HEADING_RE = re.compile(
    r"\d{2}E\b|\bestimates?\b|\bforecasts?\b|\bconsensus\b|预测|预期|预估", re.IGNORECASE
)
_REPORTED_RE = re.compile(
    r"\b(?:reported|posted|rose|grew|jumped|climbed|surged|reached|hit|was|were|has|achieved|recorded|"
    r"generated|"
    r"delivered|saw|had|totaled|totalled|passed|surpassed|exceeded|topped|crossed|said|announced|spent|"
    r"invested|poured|deployed|allocated|came to|holds|held|already|currently|stood|stands|"
    r"lifted|logged|booked|"
    # headlines report in the present tense: "Alibaba plans ... as cloud revenue jumps 34%"
    r"rises|grows|jumps|climbs|surges|reaches|hits|tops|passes|crosses|posts|reports|beats|doubles|soars)\b"
    r"|录得|(?<![将会望可能])实现|达到了",
    re.IGNORECASE,
)
_EQUIVALENT_RE = re.compile(
    r"^\s*[(（]?\s*(?:[—–-]|,)?\s*(?:or\s+)?(?:approx\.?|approximately|about|around|roughly|some|nearly|"
    r"equivalent to|equal to|约合|约|合)?\s*$",
    re.IGNORECASE,
)
_BASELINE_RE = re.compile(
    r"\b(?:(?:up|down|rising|falling|accelerating|slowing) from|from|compared (?:with|to)|"
    r"versus|vs\.?)\s*(?:about|roughly|around|approximately|approx\.|nearly|some|an estimated)?\s*$"
    # "由2025年上半年的35.8%", not "较去年同期增长34%" (the change itself)
    r"|(?:较|相比|从|由)(?:(?:19|20)\d{2}年)?[^，。,;；%\d增降升达至长涨跌]{0,12}$",
    re.IGNORECASE,
)
_SINCE_CONTEXT_RE = re.compile(
    r"\b(?:since|launch\w*|releas\w*|found\w*|debut\w*|introduc\w*|began|start\w*|unveil\w*)\b[^,;]*$", re.I
)


def extract_claims(
    document: Document, catalog: Catalog | None = None, trace: Trace | None = None
) -> list[Claim]:
    """Every claim in a document, tracked and untracked, in document order; each decision into ``trace``."""
    catalog = catalog or load_catalog()
    claims: list[Claim] = []
    topic, topic_age, principal = None, TOPIC_REACH + 1, None
    recent: dict[str, str] = {}  # kind ("model", "company") -> the latest such entity named
    previous: Sentence | None = None
    sentences = split_sentences(document.text)
    frame, subject = _frame(document, sentences, catalog)
    headline_end = _headline_end(sentences)
    headline = " ".join(s.text for s in sentences if s.end <= headline_end)
    tables = TableReader([s.text for s in sentences], catalog.lexicon)
    heading: str | None = None  # what a heading introduces a list about ("云智能集团", "阿里云的表现：")
    for index, sentence in enumerate(sentences):
        table = tables.read(sentence.text, index)
        text = clean((table.prefix if table else "") + sentence.text)
        entities = find_entities(text, catalog.lexicon)
        item = _ITEM_RE.match(sentence.text) is not None
        heading = heading if item else None
        if _DIGIT_RE.search(sentence.text) or _has_spelled(text):  # cleaned: "連續" reads as "连续"
            # a table row is about its own label, never the row above it
            fresh = topic if topic_age <= TOPIC_REACH else None
            # (a list whose labels name nothing is about the document's subject, like prose)
            named = table is not None and table.named_rows
            referred = referent(text, recent, catalog.lexicon) if recent else None
            back = subject if refers_back(text) else None  # "公司计划…" before the subject is named
            carried = None if named else referred or fresh or principal or back
            carried = heading or carried  # an item of a list under a heading is about what the heading names
            before = previous.text if previous and previous.paragraph == sentence.paragraph else ""
            before = f"{before} {headline}"  # what the article is about sets the context of each sentence
            lead = _leaned_on(sentence, previous) if not table else ""
            for view in table.views() if table else (None,):
                # each figure cell of a table row is read against its own column and the row's label only
                view_text = clean(view.prefix + view.row) if view else clean(lead) + text
                reading = _Reading(
                    document, sentence, view_text, catalog, frame, view, principal, tuple(recent.values()),
                    clean(before), trace, lead, listed=heading in catalog.lexicon.watched,
                )
                view_entities = find_entities(view_text, catalog.lexicon) if view or lead else entities
                claims.extend(_sentence_claims(reading, view_entities, carried))
        if trace is not None:
            _trace_furniture(trace, sentence)
        # a rival named only as a yardstick ("more than Llama's") does not become the topic
        # nor does another business of the group ("as 闪购 losses narrow"): the text is still about the group
        lead = next((e.entity for e in entities if not e.compared and not e.sibling), None)
        if lead is None and recent:
            lead = referent(text, recent, catalog.lexicon)  # "the company had invested ...": the topic again
        topic, topic_age = (lead, 0) if lead else (topic, topic_age + 1)
        if not item and _heads_list(sentence.text):
            # "阿里云的表现：" or a line "云智能集团", then "- 营收317.42亿元": each item is about it
            # (a heading naming another business of the group: its items are that business's)
            heading = next((e.entity for e in entities if not e.compared and e.entity != OTHER), None) or (
                referent(text, recent, catalog.lexicon) or subject if refers_back(text) else None
            )  # "公司AI战略与投入": the company the text is about
        principal = principal or next((e.entity for e in entities if e.entity != OTHER), None)
        recent.update((kind, e.entity) for e in entities for kind in catalog.lexicon.kinds(e.entity))
        previous = sentence
    return _body_over_headline(_dedupe(claims), headline_end)


# "That compared with 36% growth in the previous quarter.", "This compares with ...", "相比之下，上季度...":
# a sentence that only sets its figure against the one before says nothing of what it measures
_ANAPHORIC_RE = re.compile(
    r"^\s*(?:That|This|It|Which)\s+(?:compares|compared|was|is)\s+(?:with|to|against|up from|down from)\b"
    r"|^\s*(?:相比之下|相较之下|对比之下)",
    re.IGNORECASE,
)


def _leaned_on(sentence: Sentence, previous: Sentence | None) -> str:
    """The previous sentence of the paragraph, when this one only compares with it ("" otherwise)."""
    if previous is None or previous.paragraph != sentence.paragraph or not _ANAPHORIC_RE.match(sentence.text):
        return ""
    return previous.text + " :: "


def _frame(document: Document, sentences: list[Sentence], catalog: Catalog) -> tuple[Frame, str | None]:
    """The document's time frame, on the fiscal calendar of the first watched entity it names; and that
    entity, its subject ("公司" before any name is it: a digest whose title was cut off)."""
    texts = [clean(s.text) for s in sentences]
    watched = catalog.lexicon.watched
    named = (e.entity for t in texts for e in find_entities(t, catalog.lexicon) if e.entity in watched)
    first = next(named, None)
    return document_frame(texts, document.published, catalog.fiscal_year_end_of(first)), first


def _trace_furniture(trace: Trace, sentence: Sentence) -> None:
    """Record the digits of a sentence that no decision covers (dates, years, versions)."""
    spans = [(d.start, d.end) for d in trace.decisions if d.sentence_start == sentence.start]
    trace.furniture(sentence.text, sentence.start, spans)


@dataclass(frozen=True)
class _Reading:
    """One sentence being read: where it comes from, its text (after any table context) and the catalog."""

    document: Document
    sentence: Sentence
    text: str
    catalog: Catalog
    frame: Frame
    table: Table | None = None
    principal: str | None = None  # the document's first watched entity: what it is about
    recent: tuple[str, ...] = ()  # the watched entities named last, one per kind (model, company, unit)
    previous: str = ""  # the sentence before in the paragraph, and the headline: context a sentence leans on
    trace: Trace | None = None  # where decisions are recorded, for `extract --explain`
    lead: str = ""  # the sentence an anaphoric one leans on ("That compared with 36% ..."), read before it
    listed: bool = False  # an item of a list whose heading names the topic: as sure of it as a pronoun

    @property
    def skip(self) -> int:
        """Characters of table caption and header, or of the leaned-on sentence, before the sentence."""
        return len(self.table.prefix) if self.table else len(self.lead)


_DIGIT_RE = re.compile(r"\d")
_ITEM_RE = re.compile(r"^\s*(?:[-•*·▪●◦–]\s|\d{1,2}[.、)]\s?|[（(]\d{1,2}[)）])")  # a list item's marker
_COLON_END_RE = re.compile(r"[:：]\s*$")
_TITLE_LINE_RE = re.compile(r"^[^\d.。!?！？;；,，]{1,24}$")  # a short line without figures or punctuation


def _heads_list(text: str) -> bool:
    """True for a line that can head a list: it ends in a colon, or it is a short title line."""
    return _COLON_END_RE.search(text) is not None or _TITLE_LINE_RE.match(text.strip()) is not None
_THEN_RE = re.compile(r"\bby then\b|\bby that time\b|届时|到那时", re.IGNORECASE)
_YEAR_EARLIER_RE = re.compile(
    r"\s*(?:a year (?:earlier|ago|before)|the year before|the previous year|in the same (?:period|quarter) "
    r"(?:of |a )?(?:last|the previous|a) year|year-earlier)\b",
    re.IGNORECASE,
)
# "expand to 42% in 2026, from about 36% today": a baseline said to hold now is a current actual
_PRESENT_AFTER_RE = re.compile(
    r"\s*(?:today|now|currently|at present|at the moment)\b|\s*(?:目前|当前|现时)", re.I
)
_SPENT_AFTER_RE = re.compile(
    r"\s*(?:already\s+)?(?:spent|invested|poured|reported|recorded|generated)\b", re.IGNORECASE
)
_POSSESSOR_RE = re.compile(r"(?:'s|’s|的)?\s*$")
# A question asserts nothing: one ending in a question mark, or a headline that opens with an auxiliary
# verb or ends in 吗 and drops the mark ("Can Qwen pass two billion downloads", "千问下载量能突破20亿吗").
_QUESTION_RE = re.compile(
    r"[?？][\"'”’)]*$|[吗吧呢]\s*$"
    r"|^\s*(?-i:Can|Could|Will|Would|Should|Shall|Is|Are|Was|Were|Does|Do|Did|Has|Have"
    r"|How (?:much|many|far|long))"
    r"\s+(?-i:[A-Z]|the\b|its\b|this\b|a\b)"
)
_SPELLED_HINT_RE = re.compile(
    r"\b(?:million|billion|trillion|thousand|hundred|percent|per cent|consecutive|straight|successive|"
    r"in a row|running)\b"
    r"|[万亿萬億]|连续"
    r"|[一二三四五六七八九]成",
    re.IGNORECASE,
)


def _has_spelled(text: str) -> bool:
    """Cheap test for numbers written without digits, so sentences with none are skipped fast."""
    return _SPELLED_HINT_RE.search(text) is not None


def _sentence_claims(reading: _Reading, entities: list[EntityMention], carried: str | None) -> list[Claim]:
    """The claims of one sentence."""
    text, table = reading.text, reading.table
    if carried in (None, OTHER) and all(e.entity == OTHER for e in entities):
        return _dropped_all(reading, "no watched entity in this sentence or the ones before it")
    if _QUESTION_RE.search(reading.sentence.text):
        return _dropped_all(reading, "a question asserts nothing")
    found = [m for m in find_numbers(text) if m.start >= reading.skip and not _in_label(table, m)]
    mentions = _without_equivalents(text, found)
    _trace_equivalents(reading, found, mentions)
    if table is not None:
        mentions = [table.scaled(m) for m in mentions]
    if not mentions:
        return []
    back = refers_back(text) or reading.listed
    periods: list[PeriodMention] | None = None
    paired: dict[int, PeriodMention] = {}
    out = []
    for index, mention in enumerate(mentions):
        # only a pronoun before the number stands for its subject ("100 million: users of X, at its launch")
        before_back = reading.listed or (back and refers_back(text[: mention.start]))
        entity = entity_for(entities, mention.start, carried, before_back, text)
        if entity is None or entity == OTHER or rival_after(entities, mention.end, text):
            _drop(reading, mention, "about a rival or a company that is not watched")
            continue
        if hypothetical(text, mention):
            _drop(reading, mention, "a condition, question or supposition, not a statement of fact")
            continue
        if periods is None:
            frame = reading.frame.under_heading(table.caption) if table else reading.frame
            periods = _periods(text, frame)
            if respectively(text):
                paired = respective(mentions, periods, listed_periods(text, frame))
        baseline = _is_baseline(text, mention)
        earlier = _year_earlier(reading, mentions, index, periods) if baseline else None
        history = baseline and (
            earlier is not None
            or owns_period(mentions, index, periods, text)
            or _PRESENT_AFTER_RE.match(text, mention.end) is not None
        )
        metric_id = None
        if not baseline or history:
            entity, metric_id = _attributed(reading, mentions, index, entities, entity, history, back)
        if metric_id == IMPLAUSIBLE:
            continue
        dated = earlier or paired.get(index)
        claim, found = _claim(reading, mentions, index, entity, metric_id, periods, history, dated)
        _kept(reading, mention, claim, baseline and not history, found)
        out.append(claim)
    return out


def _in_label(table: Table | None, mention: Mention) -> bool:
    """True for a number in the row label of a table cell's view: the label names the row, not a figure."""
    return table is not None and table.in_label(mention.start)


def _dropped_all(reading: _Reading, reason: str) -> list[Claim]:
    """No claims from this sentence; when tracing, its numbers are recorded as dropped for ``reason``."""
    if reading.trace is not None:
        for mention in find_numbers(reading.text):
            if mention.start >= reading.skip and not _in_label(reading.table, mention):
                _drop(reading, mention, reason)
    return []


def _trace_equivalents(reading: _Reading, found: list[Mention], kept: list[Mention]) -> None:
    """Record the converted amounts dropped beside their original ("(approx. US$53 billion)")."""
    if reading.trace is not None:
        for mention in found:
            if mention not in kept:
                _drop(reading, mention, "the same amount restated in another currency")


def _drop(reading: _Reading, mention: Mention, reason: str) -> None:
    """Record, when tracing, that a number was dropped and why."""
    if reading.trace is not None:
        reading.trace.add(_decision(reading, mention, "dropped", reason))


def _kept(
    reading: _Reading, mention: Mention, claim: Claim, bare_baseline: bool, found: PeriodMention | None
) -> None:
    """Record, when tracing, the claim a number became and why it has that meaning."""
    if reading.trace is None:
        return
    if claim.metric is not None:
        reason = f"{describe(claim)}: the cue words of {claim.metric} sit around it"
    elif bare_baseline:
        reason = f"{describe(claim)}: a baseline a change is measured from, with no period of its own"
    else:
        reason = f"{describe(claim)}: no metric's cue words sit around it"
    if claim.period is not None and found is not None:
        reason += f"; dated by {reading.text[found.start : found.end]!r}"
    outcome = "claim" if claim.metric is not None else "untracked"
    reading.trace.add(_decision(reading, mention, outcome, reason, claim))


def _decision(
    reading: _Reading, mention: Mention, outcome: str, reason: str, claim: Claim | None = None
) -> Decision:
    """A decision about a number, located in the sentence as written (past any table prefix)."""
    start, end = mention.start - reading.skip, mention.end - reading.skip
    sentence = reading.sentence
    number = sentence.text[start:end]
    return Decision(sentence.text, sentence.start, number, start, end, outcome, reason, claim)


def _year_earlier(
    reading: _Reading, mentions: list[Mention], index: int, periods: list[PeriodMention]
) -> PeriodMention | None:
    """The period of a baseline given as "a year earlier": the year before the period of the figure before it.

    "31.74 billion yuan for the December quarter, compared with 28.07 billion yuan a year earlier" -> 2023-Q4.
    """
    if not index or _YEAR_EARLIER_RE.match(reading.text, mentions[index].end) is None:
        return None
    found = _column_period(reading, mentions[index - 1], periods) or period_for(
        mentions, index - 1, row_periods(periods, reading.skip), None, reading.text
    )
    return None if found is None else replace(found, period=next_year(found.period, -1), implied=False)


def _attributed(
    reading: _Reading,
    mentions: list[Mention],
    index: int,
    entities: list[EntityMention],
    entity: str,
    history: bool,
    back: bool,
) -> tuple[str, str | None]:
    """The entity and metric of a number: the nearest entity's, else an earlier watched name's.

    "The Qwen model family behind the app has been downloaded 700 million times": the app is nearer, but
    only the model family has a metric those words fit. A number whose words fit a metric only outside that
    metric's plausible range is IMPLAUSIBLE: a misreading ("CNY 2.03 trillion" of quarterly cloud revenue).
    """
    lexicon = reading.catalog.lexicon
    candidates = [entity, *_earlier_names(entities, mentions[index].start, entity, reading.text, lexicon)]
    named = any(e.entity == entity for e in entities)
    principal = reading.principal
    if not named and principal not in (None, *candidates) and lexicon.same_group(principal, entity):
        candidates.append(principal)  # a carried topic that fits nothing: the document's subject
    # then the entities named last of each kind ("- 多语言支持：…19种语音输入语言" in a list about the model
    # named a while back): guesses, which never stand in for words their names would imply; never another
    # group's (a second company watched through a user catalog keeps its figures)
    guesses = [] if named else [
        c for c in dict.fromkeys(reading.recent) if c not in candidates and lexicon.same_group(c, entity)
    ]
    for candidate in [*candidates, *guesses]:
        sure = candidate in candidates and _sure(candidate, entities, back)
        metric_id = _metric(reading, mentions, index, candidate, history, sure)
        if metric_id is not None:
            return candidate, metric_id
    for candidate in candidates:
        sure = _sure(candidate, entities, back)
        unranged = _metric(reading, mentions, index, candidate, history, sure, ranged=False)
        if unranged is not None:
            _drop(reading, mentions[index], f"outside the plausible range of {unranged}")
            return candidate, IMPLAUSIBLE
    return entity, None


def _sure(candidate: str, entities: list[EntityMention], back: bool) -> bool:
    """Only a named or referred-to entity stands in for words its name implies, not a merely carried one."""
    return back or any(e.entity == candidate for e in entities)


def _earlier_names(entities: list[EntityMention], position: int, nearest: str, text: str,
                   lexicon: Lexicon) -> list[str]:
    """Watched entities of the nearest one's group named before a position, nearest first, up to the first
    rival or watched entity of another group."""
    out: list[str] = []
    before = [m for m in entities if m.end <= position]
    for mention, following in zip(reversed(before[:-1]), reversed(before[1:]), strict=True):
        if mention.entity == OTHER and not mention.compared:
            break
        if mention.entity != OTHER and not lexicon.same_group(mention.entity, nearest):
            break
        if _POSSESSOR_RE.match(text, mention.end, following.start):
            continue  # "Alibaba's Qwen3-Omni", "阿里通义": one name, owned by the nearer one
        if mention.entity not in (OTHER, nearest, *out):
            out.append(mention.entity)
    return out


def _metric(
    reading: _Reading,
    mentions: list[Mention],
    index: int,
    entity: str,
    history: bool,
    sure: bool,
    ranged: bool = True,
) -> str | None:
    """The metric of a number; a baseline measures what the figure before it does ("40%, up from 35.8%")."""
    value = mentions[index].value
    if history and index and mentions[index - 1].unit == mentions[index].unit:
        index -= 1
    return best_metric(
        reading.text, mentions, index, entity, reading.catalog, reading.skip, sure, reading.previous,
        value if ranged else None,
    )


def _is_baseline(text: str, mention: Mention) -> bool:
    """True for the figure a change is measured from ("accelerated to 26% from 18%"): not a new statement."""
    return _BASELINE_RE.search(text[max(0, mention.start - 24) : mention.start]) is not None


def _periods(text: str, frame: Frame) -> list[PeriodMention]:
    """Period phrases that can date a figure (not launch dates or starting points), and trailing spans."""
    found = [
        p
        for p in find_periods(text, frame.published, frame)
        if p.anchor != "since" and not _SINCE_CONTEXT_RE.search(text[max(0, p.start - 40) : p.start])
    ]
    return sorted(found + _then(text, found) + trailing_spans(text), key=lambda p: p.start)


def _then(text: str, found: list[PeriodMention]) -> list[PeriodMention]:
    """"by then", "届时": the period named last before it ("80% in 2026 and a 60% share by then")."""
    out = []
    for match in _THEN_RE.finditer(text):
        earlier = [p for p in found if p.end <= match.start()]
        if earlier:
            out.append(replace(earlier[-1], start=match.start(), end=match.end(), anchor="by"))
    return out


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


def _claim(
    reading: _Reading,
    mentions: list[Mention],
    index: int,
    entity: str,
    metric_id: str | None,
    periods: list[PeriodMention],
    history: bool = False,
    earlier: PeriodMention | None = None,
) -> tuple[Claim, PeriodMention | None]:
    """One Claim for one number, and the period phrase that dates it; ``history`` marks a dated earlier figure
    quoted as a baseline (an actual)."""
    document, catalog, text, mention = reading.document, reading.catalog, reading.text, mentions[index]
    kind = catalog.metrics[metric_id].kind if metric_id else None
    found = earlier or _flow_column(_column_period(reading, mention, periods), kind) or period_for(
        mentions, index, row_periods(periods, reading.skip), kind, text
    )
    period = found.period if found and found.period is not NO_PERIOD else None
    forecast = not history and (
        kind == MetricKind.TARGET
        or _previewed(reading.frame, found, kind)
        or _is_forecast(text, mention)
        or _estimate_column(reading, mention)
        or is_projection(period, document.published, kind)
    )
    period = settled(found, forecast, document.published)
    if forecast and kind != MetricKind.TARGET and _long_past(period, document.published):
        forecast = False  # "its share, 35.8% in the first half of 2025, to reach 45%": a known result
    if period is not None and metric_id and catalog.rules[metric_id].streak:
        period = _quarter_of(period)  # a count of quarters "through September" runs through that quarter
    signed = metric_id is not None and catalog.rules[metric_id].signed
    value = -mention.value if signed and is_fall(text, mention) else mention.value
    claim = Claim(
        metric=metric_id,
        entity=catalog.metrics[metric_id].entity if metric_id else entity,
        value=_tidy(value),
        unit=mention.unit,
        qualifier=mention.qualifier,
        period=period,
        forecast=forecast,
        evidence=reading.sentence.text,
        start=reading.sentence.start,
        end=reading.sentence.end,
        source=document.source,
        published=document.published,
        stated_value=mention.stated_value,
        stated_unit=mention.stated_unit,
        extractor_version=EXTRACTOR_VERSION,
    )
    return claim, found


def _previewed(frame: Frame, found: PeriodMention | None, kind: MetricKind | None) -> bool:
    """True for a flow dated to the quarter a preview is about: its results are not out, it is estimated."""
    return frame.preview and kind == MetricKind.FLOW and found is not None and found.period == frame.reported


def _long_past(period: Period | None, published: LooseDate | None) -> bool:
    """True when a period ended so long before publication that its figures had been reported."""
    return period is not None and published is not None and (published.day - period.end).days > SETTLED_DAYS


def _quarter_of(period: Period) -> Period:
    """The calendar quarter a month falls in; any other period as it is."""
    if len(period.label) != len("2025-09") or "-Q" in period.label or "-H" in period.label:
        return period
    return Period.quarter(period.start.year, (period.start.month - 1) // 3 + 1)


def _flow_column(found: PeriodMention | None, kind: MetricKind | None) -> PeriodMention | None:
    """A column dated by a quarter's last day ("Jun 30, 2025") holds that quarter's figures for a flow."""
    if found is None or kind != MetricKind.FLOW or found.period.granularity != "month":
        return found
    if found.period.end.month % 3:
        return found  # a month that ends no quarter dates a month
    return replace(found, period=_quarter_of(found.period))


def _column_period(reading: _Reading, mention: Mention, periods: list[PeriodMention]) -> PeriodMention | None:
    """The one period named at the top of a table cell's column ("Three months ended September 30, 2025")."""
    if reading.table is None:
        return None
    low, high = reading.table.column_span(mention.start)
    in_column = [p for p in periods if low <= p.start and p.end <= high]
    return in_column[0] if len(in_column) == 1 else None


def _estimate_column(reading: _Reading, mention: Mention) -> bool:
    """True for a table cell under an estimates heading ("Dec-25E", "FY26E", "Consensus", "预测")."""
    if reading.table is None:
        return False
    return _ESTIMATE_HEADING_RE.search(reading.table.column_heading(mention.start)) is not None


# A result set against a forecast is itself an actual: "beat expectations", "好于预期", "高于市场预期",
# "不如預期", "above consensus" (blanked out before the projection cues are looked for).
_MEASURED_RE = re.compile(
    r"\b(?:beat|beats|beating|topped|tops|missed|misses|exceeded|exceeds|above|below|ahead of|short of|"
    r"in line with|better than|worse than)\s+(?:\w+\s+){0,3}?"
    r"(?:expectations?|estimates?|forecasts?|consensus|"
    r"projections?)\b"
    r"|(?:胜于|胜过|超|超出|超过|好于|高于|低于|不及|逊于|不如|优于|差于|符合|胜|逊)(?:市场|分析师|华尔街|外界|彭博)?"
    r"(?:一致)?的?(?:预期|预估|预测|估计|预计)",
    re.IGNORECASE,
)


# The expectation itself: "高于市场预期的379亿元", "estimates of 37.9 billion yuan", "consensus of RMB42.1bn"
_EXPECTED_VALUE_RE = re.compile(
    r"(?:预期|预估|预测|预计|估计|expectations?|estimates?|consensus|forecasts?)\s*(?:of|for|at|的|为|是)?\s*"
    r"(?:about|around|roughly|approximately|约)?\s*$",
    re.IGNORECASE,
)


_KEPT_BEFORE_RE = re.compile(r"维持[^，。；]{0,30}$")
_SEEN_CHANGE_RE = re.compile(
    r"\s*(?:\S+\s+)?(?:surge|jump|rise|gain|increase|growth|decline|drop|fall)\b", re.IGNORECASE
)


def _is_forecast(text: str, mention: Mention) -> bool:
    """True when a projection verb governs the number, with no reported-fact verb between them."""
    if _EXPECTED_VALUE_RE.search(text, max(0, mention.start - 30), mention.start):
        return True
    after = text[mention.end : mention.end + 30]
    kept = _KEPT_BEFORE_RE.search(text, max(0, mention.start - 30), mention.start) is not None
    if kept and after.lstrip().startswith("不变"):
        return True  # "维持…增长率35%不变": an estimate kept unchanged
    if re.match(r"^[^,;.]*\b(?:is|are)\s+(?:expected|projected|forecast)", after, re.I):
        return True
    if _SPENT_AFTER_RE.match(after):
        return False  # "with RMB128 billion spent in the past four quarters"
    window = text[max(0, mention.start - FORECAST_REACH) : mention.start]
    before = _MEASURED_RE.sub(lambda m: " " * len(m.group()), window)
    cues = list(_FORECAST_RE.finditer(before))
    if not cues:
        return False
    if cues[-1].group().lower() == "sees" and _SEEN_CHANGE_RE.match(text, mention.end):
        return False  # "Alibaba sees 34% surge in cloud revenue": a change it had
    return _REPORTED_RE.search(before[cues[-1].end() :]) is None


def _tidy(value: Decimal) -> Decimal:
    """A Decimal without trailing zeros or exponent noise ("22300000000.0" → 22300000000)."""
    if value == value.to_integral_value() and value.adjusted() < MAX_MAGNITUDE:
        return value.quantize(Decimal(1))
    return value.normalize()


HEADLINE_CHARS = 200  # a first line longer than this is a paragraph, not a headline
_SENTENCE_END_RE = re.compile(r"[.。!?！？]['\"”’)]*\s*$")


HEADLINE_LINES = 4  # a page's top lines before the body: breadcrumb, site name, headline, dateline


def _headline_end(sentences: list[Sentence]) -> int:
    """Where the headline ends: the first lines standing alone, short and without a full stop, as a page
    opens with them ("Bharat Horizon > Technology", then the headline) (0: none)."""
    end = 0
    for index, line in enumerate(sentences[:HEADLINE_LINES]):
        alone = index + 1 == len(sentences) or sentences[index + 1].paragraph != line.paragraph
        short = len(line.text) <= HEADLINE_CHARS and not _SENTENCE_END_RE.search(line.text)
        if not (alone and short) or _ITEM_RE.match(line.text):
            break
        end = line.end
    return end


def _body_over_headline(claims: list[Claim], headline_end: int) -> list[Claim]:
    """Drop a headline's claim that the body states too: the body's sentence is the evidence to quote, and
    it carries the qualifier and date the headline leaves out ("pass 1.6 billion" / "as of December 6"), and
    what the figure is ("Alibaba's $100B AI Bet" is, the body says, a revenue goal and no investment)."""
    body = [c for c in claims if c.start >= headline_end]
    return [c for c in claims if c.start >= headline_end or not any(_same_figure(c, b) for b in body)]


def _same_figure(a: Claim, b: Claim) -> bool:
    """True when two claims state one figure (values within 1% in one unit, periods not in conflict)."""
    close = abs(a.value - b.value) <= abs(b.value) * Decimal("0.01")
    periods = a.period is None or b.period is None or a.period == b.period
    return a.unit == b.unit and close and periods and (b.metric is not None or a.metric is None)


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
