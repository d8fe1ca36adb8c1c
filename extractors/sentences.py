"""Splitting text into sentences that keep their character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (with closing quotes) before whitespace and a capital, digit, quote or
# bracket; at Chinese full stops; and always at a line break (headlines and list items stand alone).
_END_RE = re.compile(
    r"(?<=[.!?])(?<!\.\.\.)[\"'”’)\]]*\s+(?=[A-Z0-9\"'“‘(\[$¥€£\u4e00-\u9fff-])"  # not a dot leader "...."
    r"|(?<=[。！？；!?])[”’」』）]*"
    r"|\n+"
)
MAX_SENTENCE_CHARS = 1200  # longer runs (pages without stops) are cut at a clause: bounded work per sentence
_CUT_RE = re.compile(r"[,;，；、：]\s*|\s+")
# Abbreviations after which a full stop does not end the sentence.
_ABBREV_RE = re.compile(
    r"(?:\b(?:approx|Mr|Mrs|Ms|Dr|Prof|Inc|Corp|Ltd|Co|St|vs|est|No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|"
    r"Oct|Nov|Dec|e\.g|i\.e|etc|U\.S|U\.K|E\.U|Jr|Sr|Sen|Rep|Gov|Gen|incl|ca|al)\.|\b[A-Z]\.)$"
)


# Where a clause ends: punctuation, a spaced dash, a contrast word, a space between Chinese characters
# (headlines separate clauses so: "衍生模型超20万 开发者达1600万").
CLAUSE_RE = re.compile(
    r"[,;，；：()（）→⇒]|\s[—–-]\s|[—–](?=\s)|\s->\s|\b(?:while|whereas|but)\b"
    r"|(?:(?<=[\u4e00-\u9fff%％])|^)\s+(?=[\u4e00-\u9fff])"  # also where a cut-out span starts
)
# Before a number "and" also opens its clause: "... revenue in 2026 and achieve a 60% market share".
LEFT_CLAUSE_RE = re.compile(CLAUSE_RE.pattern + r"|\band\b|[并而且]")


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text and where it sits in the document."""

    text: str
    start: int
    end: int
    paragraph: int  # index of the paragraph (block between line breaks) it belongs to


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a text in order, trimmed, each with offsets such that text[start:end] == sentence."""
    sentences: list[Sentence] = []
    paragraph, cursor = 0, 0
    for match in _END_RE.finditer(text):
        if "\n" not in match.group() and _ABBREV_RE.search(text[max(0, match.start() - 8) : match.start()]):
            continue
        _append(sentences, text, cursor, match.start(), paragraph)
        if "\n" in match.group():
            paragraph += 1
        cursor = match.end()
    _append(sentences, text, cursor, len(text), paragraph)
    return sentences


def _append(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    """Add text[start:end] trimmed of whitespace, when anything is left; overlong runs in pieces."""
    while end - start > MAX_SENTENCE_CHARS:
        cut = _cut(text, start, start + MAX_SENTENCE_CHARS)
        _add(out, text, start, cut, paragraph)
        start = cut
    _add(out, text, start, end, paragraph)


def _cut(text: str, start: int, limit: int) -> int:
    """Where to cut an overlong run: after its second half's last clause mark or space, else at the limit."""
    cuts = [m.end() for m in _CUT_RE.finditer(text, start + MAX_SENTENCE_CHARS // 2, limit)]
    return cuts[-1] if cuts and cuts[-1] < limit else limit


def _add(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    """Add text[start:end] trimmed of whitespace, when anything is left."""
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    begin = start + (len(chunk) - len(chunk.lstrip()))
    out.append(Sentence(stripped, begin, begin + len(stripped), paragraph))
