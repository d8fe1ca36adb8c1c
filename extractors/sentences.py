"""Splitting text into sentences that keep their character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (with closing quotes) before whitespace and a capital, digit, quote or
# bracket; at Chinese full stops; and always at a line break (headlines and list items stand alone).
_END_RE = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[A-Z0-9\"'“‘(\[$¥€£\u4e00-\u9fff-])"
    r"|(?<=[。！？；!?])[”’」』）]*"
    r"|\n+"
)
# Abbreviations after which a full stop does not end the sentence.
_ABBREV_RE = re.compile(
    r"(?:\b(?:approx|Mr|Mrs|Ms|Dr|Prof|Inc|Corp|Ltd|Co|St|vs|est|No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|"
    r"Oct|Nov|Dec|e\.g|i\.e|etc|U\.S|U\.K|E\.U|Jr|Sr|Sen|Rep|Gov|Gen|incl|ca|al)\.|\b[A-Z]\.)$"
)


# Where a clause ends: punctuation, a spaced dash, a contrast word.
CLAUSE_RE = re.compile(r"[,;，；：()（）]|\s[—–-]\s|[—–](?=\s)|\b(?:while|whereas|but)\b")
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
    """Add text[start:end] trimmed of whitespace, when anything is left."""
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    begin = start + (len(chunk) - len(chunk.lstrip()))
    out.append(Sentence(stripped, begin, begin + len(stripped), paragraph))
