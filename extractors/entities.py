"""Watched entities (and rivals) named in a sentence, through ticker noise and pronouns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc

from extractors.catalog import default_lexicon
from extractors.lexicon import Lexicon
from extractors.sentences import CLAUSE_RE


def _traditional_table() -> dict[int, str]:
    """OpenCC's traditional-to-simplified table, single characters only (phrases would move offsets)."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        traditional, simplified = line.split("\t")
        first = simplified.split()[0]
        if len(traditional) == 1 and len(first) == 1:
            table[ord(traditional)] = first
    return table


OTHER = "other"  # a company or product that is not watched (a rival or a sibling business): not ours
# Sentences whose names are remembered: a few documents' worth. One scan of the lexicon's pattern costs about
# 45 µs a sentence, and extraction asks twice for half of a document's sentences (measured on the corpus).
NAMED_CACHE = 512
COMPARE_REACH = 40  # chars before a rival's name that may hold "overtaken", "ahead of" and a long name
# Ticker tags glued to names on finance pages: "AlibabaBABA-- Cloud", "JefferiesJEF--", "(NYSE:BABA)".
_TICKER_RE = re.compile(
    r"(?<=[A-Za-z])[A-Z]{2,5}--|\((?:NYSE|NASDAQ|HKEX|HK|SEHK)\s*:\s*[A-Z0-9.]+\)|\b[A-Z]{2,5}--"
)
# Hong Kong and Taiwan outlets write traditional characters; cues and names are written simplified, so each
# character is mapped one for one by OpenCC's character table ("阿里雲" -> "阿里云", "中國" -> "中国"), which
# keeps every offset where it was.
_SIMPLIFIED = _traditional_table()
# A set, not a character class: a class of 4,113 characters cost 0.37 µs a character of every sentence, the
# largest single cost of claim extraction (measured on the corpus); ASCII text is skipped before the set.
_TRADITIONAL = frozenset(chr(c) for c in _SIMPLIFIED)
# "the Hangzhou-based parent" of the cloud unit is the group: it takes the figures of its own clause
_PARENT_RE = re.compile(r"\b(?:its|the)\s+(?:[\w-]+\s+){0,2}parent(?:\s+company)?\b|母公司", re.I)
# The app, when the sentence is about Qwen: "the app surpassing 700 million downloads".
_APP_RE = re.compile(r"\b(?:the|its) (?:AI )?app\b|该应用|这款应用")
_COMPARED_RE = re.compile(
    r"(?:\bthan|\bovertak\w*|\bovertook|\bsurpass\w*|\bbeat\w*|\boutperform\w*|\blike|\bsuch as|"
    r"\bpass(?:ed|es|ing)?|\btop(?:ped|s)?|\boutpac\w*|\boutstrip\w*|\beclips\w*|\bleapfrog\w*|\bdethron\w*|"
    r"\bincluding|\bversus|\bvs\.?|\bcompared (?:with|to)|\bahead of|\bbehind|\bover|"
    # a rival named as what the product competes with: "meant to rival OpenAI's ChatGPT", "an answer to"
    # (as a verb only: "Rival Tencent said" names the subject)
    r"\bto rival|\brival(?:l?ing|l?ed)|\bcompet(?:es?|ed|ing) (?:with|against)|\bcompetitor to|\banswer to|"
    r"\bchallenger to|\balternative to|\b(?:pitched|pitted|positioned|set up|up) against|\btak(?:es?|ing) on|"
    r"超过|超越|击败|领先|包括|对标|比肩|媲美|挑战|堪比|可与|能与|足以与|不输)"
    # (each of a list: "against DeepSeek and OpenAI's ChatGPT")
    r"(?:\s+(?:the|its|rivals?|competitors?|peers?|and|or|(?-i:[A-Z][\w.]*)(?:'s|’s|'|’)?,?))*\s*$",
    re.IGNORECASE,
)
_APPOSITIVE_RE = re.compile(r",\s*(?:its|their|the|an?)\s[^,]{0,30}$", re.I)
# "... Llama, which has about 600 million downloads": a relative clause keeps the figure with the rival
# (after the company's legal suffix, if any: "Tencent Holdings Ltd., which committed $1.8 billion")
_SUFFIX = r"(?:\s+(?:Holdings|Group|Inc|Ltd|Limited|Corp|Corporation|Co|Technologies|Technology)\.?)*"
_RELATIVE_RE = re.compile(rf"^{_SUFFIX}\s*,?\s*(?:which|that|who)\s+(?:[\w-]+\s+){{0,4}}$", re.I)
_RIVAL_AFTER_RE = re.compile(r"^\s*(?:for|at|by|held by|from)\s+(?:the\s+)?$", re.I)
_OWNED_RE = re.compile(r"^(?:\s+(?:Cloud|Engine|AI))?(?:\s*(?:[(（:]|\bat\b)\s*|['’]s\s+)$")
_PRONOUN_RE = re.compile(
    r"\b(?:it|its|we|our|the company|the firm|the group|the e-commerce giant|the tech giant|management|"
    r"the cloud unit|the unit|the division|the segment|the arm|the cloud business|the model|the models|"
    r"the series|the family)\b|该公司|公司|其|集团|我们|管理层|该部门|该分部",
    re.I,
)
# A definite description names the kind of thing it refers back to: the latest entity of that kind.
_KIND_NOUN_RE = re.compile(
    r"\b(?P<model>the (?:new )?models?|the series|the family|该模型)\b"
    r"|\b(?P<unit>the (?:cloud )?(?:unit|division|arm|segment)|the cloud business)\b"
    r"|\b(?P<company>the company|the firm|the group|the e-commerce giant|the tech giant|we|our|management)\b"
    r"|(?P<zh_company>该公司|我们|管理层)",
    re.I,
)


@dataclass(frozen=True)
class EntityMention:
    """A name in a sentence, with the entity id it stands for."""

    entity: str
    start: int
    end: int
    compared: bool = False  # a rival named only as a yardstick: "overtook Llama", "ahead of AWS"
    sibling: bool = False  # another business of the watched group ("quick commerce", 淘天)


def clean(text: str) -> str:
    """Text with ticker tags blanked and traditional Chinese simplified (same length, same offsets)."""
    if not text.isascii() and not _TRADITIONAL.isdisjoint(text):
        text = text.translate(_SIMPLIFIED)
    if "--" not in text and ":" not in text:
        return text
    return _TICKER_RE.sub(lambda m: " " * len(m.group()), text)


_CONTRAST_RE = re.compile(
    r"\b(?:but|while|whereas|however|yet|though|although)\b|[;；]|但|而|不过|然而", re.IGNORECASE
)


def find_entities(text: str, lexicon: Lexicon | None = None) -> list[EntityMention]:
    """Entity names in a (cleaned) sentence, in order; specific names win over the names they contain."""
    lexicon = lexicon or default_lexicon()
    found = list(_named(text, lexicon))
    parent = ("parent" in text or "母公司" in text) and next(
        (p for p in (lexicon.parent(m.entity) for m in found) if p is not None), None
    )
    if parent:  # "Alibaba Cloud ... its parent": the company the named part belongs to (`part_of`)
        found.extend(EntityMention(parent, m.start(), m.end()) for m in _PARENT_RE.finditer(text))
        found.sort(key=lambda m: m.start)
    if any(m.entity in ("qwen", "qwen_app") for m in found):
        found.extend(EntityMention("qwen_app", m.start(), m.end()) for m in _APP_RE.finditer(text))
        found.sort(key=lambda m: m.start)
    return found


@lru_cache(maxsize=NAMED_CACHE)
def _named(text: str, lexicon: Lexicon) -> tuple[EntityMention, ...]:
    """The names the lexicon's pattern finds in a sentence (remembered: a document asks twice for most)."""
    return tuple(_mention(text, match, lexicon) for match in lexicon.pattern.finditer(text))


def _mention(text: str, match: re.Match[str], lexicon: Lexicon) -> EntityMention:
    """The entity a name stands for, noting rivals named only for comparison."""
    entry = lexicon.entry(match.lastgroup or "")
    sibling = entry.role == "sibling"
    entity = entry.id if entry.role == "watched" else OTHER
    compared = entity == OTHER and (
        _COMPARED_RE.search(text[max(0, match.start() - COMPARE_REACH) : match.start()])
        or _aside(text, match)
    )
    return EntityMention(entity, match.start(), match.end(), bool(compared), sibling)


def _aside(text: str, match: re.Match[str]) -> bool:
    """A rival named inside an appositive ("the Qwen app, its answer to ChatGPT, now has ...")."""
    return _APPOSITIVE_RE.search(text[max(0, match.start() - 40) : match.start()]) is not None and text[
        match.end() : match.end() + 1
    ] == ","


def referent(text: str, recent: dict[str, str], lexicon: Lexicon | None = None) -> str | None:
    """The entity a definite description refers back to ("the model" -> the latest model named), if any.

    A part named by its kind before it was named at all ("Alibaba ... The cloud division lifted revenue") is
    the named company's part of that kind, as the lexicon says (``part_of``).
    """
    match = _KIND_NOUN_RE.search(text)
    if match is None:
        return None
    kind = "model" if match["model"] else "unit" if match["unit"] else "company"
    if kind not in recent and lexicon is not None and "company" in recent:
        return lexicon.part(recent["company"], kind)
    return recent.get(kind)


def refers_back(text: str) -> bool:
    """True when the sentence uses a pronoun or a definite description for an earlier entity."""
    return _PRONOUN_RE.search(text) is not None


def _owns(mention: EntityMention, position: int, text: str) -> bool:
    """A rival named for comparison still owns a figure right after it: "ahead of Huawei Cloud (13.1%)"."""
    between = text[mention.end : position]
    return _OWNED_RE.match(between) is not None or _RELATIVE_RE.match(between) is not None


def entity_for(
    mentions: list[EntityMention], position: int, carried: str | None, back: bool, text: str = ""
) -> str | None:
    """The entity a number at ``position`` is about.

    The nearest name before it; else the earlier sentences' topic when this one refers back ("the company's");
    else the first name after it ("With 30 million users, Qwen ..."); else the topic.
    """
    before = [
        m
        for m in mentions
        if m.end <= position
        and (not m.compared or _owns(m, position, text))
        and not _elsewhere(m, position, text)
    ]
    if before:
        return before[-1].entity
    if back and carried is not None:
        return carried
    after = [m for m in mentions if m.start >= position and not m.compared]
    if after and _not_ours_beyond(after[0], position, text):
        return carried
    return after[0].entity if after else carried


def _not_ours_beyond(mention: EntityMention, position: int, text: str) -> bool:
    """A rival or another business of the group named first after a figure, in a later clause: neither it
    nor a name past it owns the figure ("用户数已超过1亿，正面迎战字节跳动的豆包"; "收入达2425.8亿元，
    中国商业板块…，Cloud 板块同比增长20%"); a watched name there does ("booked 43.3 billion yuan, Alibaba
    Cloud said")."""
    ours = mention.entity != OTHER and not mention.sibling
    return not ours and CLAUSE_RE.search(text, position, mention.start) is not None


def _elsewhere(mention: EntityMention, position: int, text: str) -> bool:
    """True for another business of the group named before a contrast: it owns no figure past it ("losses in
    quick commerce, but raised its forecast for cloud revenue growth to 38%"); a comma chains its own
    predicates ("所有其他业务收入586亿元，按年升28%")."""
    return mention.sibling and _CONTRAST_RE.search(text, mention.end, position) is not None


def rival_after(mentions: list[EntityMention], position: int, text: str) -> bool:
    """True when a rival named right after a figure owns it: "about 15% for Volcano Engine"."""
    after = next((m for m in mentions if m.start >= position), None)
    return (
        after is not None
        and after.entity == OTHER
        and _RIVAL_AFTER_RE.match(text[position : after.start]) is not None
    )
