"""``claimwatch export``: everything stored, as JSON lines, so a reset or a move to PostgreSQL loses nothing.

One object a line, each with a ``type``: every ``article`` (its metadata and extracted text), then every
``claim`` (one citation of a figure by one article), then every change ``event`` (the objects of
``claimwatch changes --json``, with the event's key and when it was recorded), then every ``revision``
(a figure ``claimwatch reextract`` read differently). Values are exact decimal strings; nothing is rounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from app.records import stored_event_json
from core.errors import InputError
from core.types import Claim
from storage import Store, StoredArticle, StoredEvent, StoredRevision


def export_lines(store: Store) -> Iterator[str]:
    """Every article, claim and event as one JSON object per line, in the order stored."""
    for article in store.articles():
        yield _line(article_record(article))
    for claim in store.all_claims():
        yield _line(claim_record(claim))
    for stored in store.changes():
        yield _line(event_record(stored))
    for revision in store.revisions():
        yield _line(revision_record(revision))


def article_record(article: StoredArticle) -> dict[str, Any]:
    """An article with its text."""
    info = article.info
    return {
        "type": "article", "source": info.source, "url": info.url, "title": info.title,
        "publisher": info.publisher, "published": str(info.published) if info.published else None,
        "published_source": info.published_source, "language": info.language,
        "fetched_at": info.fetched_at.isoformat() if info.fetched_at else None, "text": article.text,
    }  # fmt: skip


def claim_record(claim: Claim) -> dict[str, Any]:
    """One citation: the figure as its article stated it."""
    return {
        "type": "claim", "source": claim.source, "metric": claim.metric, "entity": claim.entity,
        "value": f"{claim.value:f}", "unit": claim.unit, "qualifier": str(claim.qualifier),
        "period": claim.period.label if claim.period else None, "forecast": claim.forecast,
        "as_of": claim.as_of.isoformat() if claim.as_of else None, "evidence": claim.evidence,
        "start": claim.start, "end": claim.end,
        "stated_value": f"{claim.stated_value:f}" if claim.stated_value is not None else None,
        "stated_unit": claim.stated_unit, "extractor_version": claim.extractor_version,
    }  # fmt: skip


def event_record(stored: StoredEvent) -> dict[str, Any]:
    """A change event as `changes --json` prints it, with its key and recording time."""
    return {
        "type": "event",
        "key": stored.key,
        "recorded_at": stored.created_at.isoformat(),
        **stored_event_json(stored),
    }


def revision_record(revision: StoredRevision) -> dict[str, Any]:
    """A figure a re-extraction read differently: both readings, exact."""
    exact = lambda value: f"{value:f}" if value is not None else None  # noqa: E731
    return {
        "type": "revision", "run": revision.run, "source": revision.source, "change": revision.change,
        "metric": revision.metric, "forecast": revision.forecast,
        "old": {"value": exact(revision.old_value), "unit": revision.old_unit, "period": revision.old_period},
        "new": {"value": exact(revision.new_value), "unit": revision.new_unit, "period": revision.new_period},
        "evidence": revision.evidence, "old_version": revision.old_version,
        "new_version": revision.new_version, "event": revision.event_kind,
    }  # fmt: skip


def write_lines(path: Path, lines: Iterable[str]) -> int:
    """Write the lines to a file; how many. InputError naming the file when that is impossible."""
    count = 0
    try:
        with path.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line + "\n")
                count += 1
    except OSError as exc:
        raise InputError(f"{path}: cannot write the export: {exc.strerror}") from None
    return count


def _line(record: dict[str, Any]) -> str:
    """One JSON object on one line."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
