"""Domain objects as the JSON the command line prints for programs (``--json``) and the export writes.

Every control character is escaped in what is dumped (C0 by JSON itself, C1 and bidi controls here): the
text comes from pages, feeds and servers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.types import ChangeEvent, ChangeKind, Claim

if TYPE_CHECKING:  # storage loads SQLAlchemy, extractors their rules: not for commands that print only
    from app.reextract import Reextraction, Revision, SeriesChange
    from extractors.explain import Decision
    from storage.results import StoredEvent

# C0 controls but tab and line feed, DEL, C1 controls (U+009B is CSI on some terminals), bidi embeddings,
# overrides and isolates (they reorder what is shown).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an int when it is whole, else a float."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def claim_json(claim: Claim) -> dict[str, Any]:
    """The JSON object `claimwatch extract --json` prints for one claim."""
    return {
        "metric": claim.metric,
        "entity": claim.entity,
        "value": number(claim.value),
        "unit": claim.unit,
        "qualifier": str(claim.qualifier),
        "period": claim.period.label if claim.period else None,
        "forecast": claim.forecast,
        "evidence": claim.evidence,
        "start": claim.start,
        "end": claim.end,
    }


def decision_json(decision: Decision) -> dict[str, Any]:
    """The JSON object `claimwatch extract --explain --json` prints for one number."""
    return {
        "number": decision.number,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "claim": claim_json(decision.claim) if decision.claim else None,
        "sentence": decision.sentence,
        "start": decision.sentence_start + decision.start,
        "end": decision.sentence_start + decision.end,
    }


def dump_json(rows: Iterable[dict[str, Any]]) -> str:
    """A JSON array, one object per row, readable by people too; control characters escaped."""
    text = json.dumps(list(rows), ensure_ascii=False, indent=2)
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # JSON escapes C0 itself; C1 and bidi here


def event_json(event: ChangeEvent) -> dict[str, Any]:
    """The JSON object for a change event, with the fields eval/CHANGES.md lists."""
    claim = event.claim
    return {
        "metric": claim.metric,
        "kind": str(event.kind),
        "value": number(claim.value),
        "unit": claim.unit,
        "qualifier": str(claim.qualifier),
        "period": claim.period.label if claim.period else None,
        "forecast": claim.forecast,
        "as_of": _iso(claim.as_of),
        "previous": _previous_json(event.previous),
        "change_pct": float(round(event.change_pct, 2)) if event.change_pct is not None else None,
        "source": claim.source,
        "published": str(claim.published) if claim.published else None,
        "published_source": claim.published_source,
        "evidence": claim.evidence,
        "conflict": {"status": "open", "closed_by": None} if event.kind is ChangeKind.CONFLICT else None,
    }


def stored_event_json(stored: StoredEvent) -> dict[str, Any]:
    """A recorded change event's JSON object: event_json, with how a conflict ended."""
    return event_json(stored.event) | {"conflict": conflict_json(stored)}


def conflict_json(stored: StoredEvent) -> dict[str, Any] | None:
    """A conflict's status ("open", "resolved", "superseded" or "withdrawn") and the source that closed it
    (None for no conflict)."""
    if stored.event.kind is not ChangeKind.CONFLICT:
        return None
    status = "open" if stored.conflict_open else (stored.conflict_outcome or "resolved")
    return {"status": status, "closed_by": stored.closed_by}


def _previous_json(previous: Claim | None) -> dict[str, Any] | None:
    """The figure a change event replaced, or None."""
    if previous is None:
        return None
    return {"value": number(previous.value), "unit": previous.unit, "qualifier": str(previous.qualifier),
            "period": previous.period.label if previous.period else None, "as_of": _iso(previous.as_of),
            "source": previous.source}


def _iso(day: date | None) -> str | None:
    """A date as YYYY-MM-DD, or None."""
    return day.isoformat() if day else None


def reextraction_json(result: Reextraction) -> dict[str, Any]:
    """The JSON object `claimwatch reextract --json` prints."""
    return {
        "run": result.run, "extractor_version": result.version, "dry_run": result.dry_run,
        "articles": result.articles, "without_text": result.without_text, "revised": result.revised,
        "queued": result.queued, "errors": list(result.errors),
        "metrics": [series_change_json(s) for s in result.series],
        "revisions": [revision_json(r) for r in result.revisions],
    }  # fmt: skip


def series_change_json(change: SeriesChange) -> dict[str, Any]:
    """One metric series' counts of revisions and its value before and after."""
    return {
        "metric": change.metric, "forecast": change.forecast, "appeared": change.appeared,
        "vanished": change.vanished, "changed": change.changed,
        "before": claim_json(change.before) | {"source": change.before.source} if change.before else None,
        "after": claim_json(change.after) | {"source": change.after.source} if change.after else None,
    }  # fmt: skip


def revision_json(revision: Revision) -> dict[str, Any]:
    """One figure read differently: the old and new readings, and the event the new one made."""
    return {
        "change": revision.change, "metric": revision.series[0], "forecast": revision.series[1],
        "source": revision.source,
        "old": claim_json(revision.old) if revision.old else None,
        "new": claim_json(revision.new) if revision.new else None,
        "event": str(revision.event.kind) if revision.event else None,
    }  # fmt: skip
