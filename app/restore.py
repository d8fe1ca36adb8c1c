"""``claimwatch import``: an export read back, into this database (say, a new PostgreSQL one).

Every line is checked before anything is written: a line that is no JSON object of a known ``type``, an
article without a source, a claim of an article the file does not hold, is one error naming ``FILE:LINE``, and
nothing is stored. Then each article is stored with the claims the file gives it (not read again), oldest
first, and the change engine decides their events as it would have: the values shown and the open conflicts
come out as they were (eval/CHANGES.md; the replay does not depend on the order of arrival). The events and
revisions of the file are history that follows from the claims; they are not copied. Nothing is alerted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.pipeline import Pipeline
from core.errors import InputError
from core.periods import LooseDate, Period
from core.types import Claim, Document, Qualifier

KINDS = ("article", "claim", "event", "revision")
_LAST = date.max  # articles without a date are stored after every dated one


@dataclass(frozen=True)
class Restored:
    """What an import stored."""

    articles: int
    claims: int
    events: int
    skipped: int  # lines of history (events, revisions) that follow from the claims and are not copied


@dataclass
class _Archive:
    """An export's articles and each one's claims, checked."""

    documents: dict[str, Document] = field(default_factory=dict)
    claims: dict[str, list[Claim]] = field(default_factory=dict)
    skipped: int = 0


def import_lines(pipeline: Pipeline, lines: Iterable[str], name: str) -> Restored:
    """Store an export's articles and claims, oldest first; InputError naming ``name:line`` for a bad line."""
    archive = _read(lines, name)
    order = sorted(archive.documents.values(), key=_oldest_first)
    events = 0
    for document in order:
        stored = pipeline.ingest_claims(document, archive.claims.get(document.source, []), alerts=False)
        events += len(stored.events)
    return Restored(len(order), sum(map(len, archive.claims.values())), events, archive.skipped)


def _oldest_first(document: Document) -> tuple[date, str]:
    """Publication order; undated articles last."""
    return (document.published.day if document.published else _LAST, document.source)


def _read(lines: Iterable[str], name: str) -> _Archive:
    """Every line parsed and checked before anything is stored."""
    archive = _Archive()
    for number, line in enumerate(lines, start=1):
        if line.strip():
            _take(archive, _record(line, f"{name}:{number}"), f"{name}:{number}")
    strays = sorted(set(archive.claims) - set(archive.documents))
    if strays:
        raise InputError(f"{name}: claims of an article the file does not hold: {strays[0]!r}")
    return archive


def _record(line: str, where: str) -> dict[str, Any]:
    """One line as a JSON object with a known type."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(record, dict) or record.get("type") not in KINDS:
        raise InputError(f"{where}: expected an object whose type is one of {', '.join(KINDS)}")
    return record


def _take(archive: _Archive, record: dict[str, Any], where: str) -> None:
    """File one record: an article, a claim of one, or history that is not copied."""
    try:
        if record["type"] == "article":
            document = _document(record)
            archive.documents[document.source] = document
        elif record["type"] == "claim":
            archive.claims.setdefault(record["source"], []).append(_claim(record))
        else:
            archive.skipped += 1
    except (KeyError, TypeError, ValueError, InvalidOperation, InputError) as exc:
        raise InputError(f"{where}: {record['type']}: a missing or bad field ({_what(exc)})") from None


def _document(record: dict[str, Any]) -> Document:
    """An exported article as the document it was stored from."""
    if not record["source"] or not isinstance(record["text"], str):
        raise ValueError("source or text")
    fetched = record.get("fetched_at")
    return Document(
        source=record["source"], text=record["text"], url=record.get("url"), title=record.get("title"),
        publisher=record.get("publisher"), published=_day(record.get("published")),
        language=record.get("language"), fetched_at=datetime.fromisoformat(fetched) if fetched else None,
        published_source=record.get("published_source"),
    )  # fmt: skip


def _claim(record: dict[str, Any]) -> Claim:
    """An exported claim (its article's source and date are filled in when it is stored)."""
    stated = record.get("stated_value")
    return Claim(
        metric=record["metric"], entity=record["entity"], value=Decimal(record["value"]), unit=record["unit"],
        qualifier=Qualifier(record["qualifier"]), forecast=bool(record["forecast"]),
        period=Period.parse(record["period"]) if record.get("period") else None, evidence=record["evidence"],
        start=int(record["start"]), end=int(record["end"]), source=record["source"],
        stated_value=Decimal(stated) if stated is not None else None, stated_unit=record.get("stated_unit"),
        extractor_version=record.get("extractor_version") or "",
    )  # fmt: skip


def _day(text: str | None) -> LooseDate | None:
    """A date as exported (YYYY-MM-DD or YYYY-MM), or None."""
    return LooseDate.parse(text) if text else None


def _what(exc: Exception) -> str:
    """The field or value a record lacked, in a few words."""
    return f"no {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc).splitlines()[0][:80]
