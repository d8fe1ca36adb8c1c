"""The webhook JSON payload (schema: alerts/webhook_payload.schema.json)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from alerts.context import AlertContext
from core.periods import LooseDate
from core.types import Alert, ChangeEvent, Claim

CHANGE_TYPE = "claimwatch.change"
DIGEST_TYPE = "claimwatch.digest"
PROBE_TYPE = "claimwatch.test"
PCT_PLACES = 2  # change_pct is derived and rounded; the values themselves travel as exact strings


def _decimal(value: Decimal) -> str:
    """A decimal as an exact string without exponent: Decimal("1E+9") → "1000000000"."""
    return f"{value.normalize():f}"


def _iso(day: date | LooseDate | None) -> str | None:
    """A date (or loose date) as text, or None."""
    if day is None:
        return None
    return day.isoformat() if isinstance(day, date) else str(day)


def previous_payload(claim: Claim) -> dict[str, Any]:
    """The figure an update or conflict is measured against."""
    return {
        "value": _decimal(claim.value),
        "unit": claim.unit,
        "qualifier": claim.qualifier.value,
        "period": claim.period.label if claim.period else None,
        "as_of": _iso(claim.as_of),
        "source": claim.source,
    }


def event_payload(event: ChangeEvent, ctx: AlertContext) -> dict[str, Any]:
    """One change event as JSON-ready data."""
    c = event.claim
    pct = None if event.change_pct is None else round(float(event.change_pct), PCT_PLACES)
    return {
        "key": event.key,
        "metric": c.metric,
        "label": ctx.label(c.metric, c.entity),
        "entity": c.entity,
        "kind": event.kind.value,
        "value": _decimal(c.value),
        "unit": c.unit,
        "qualifier": c.qualifier.value,
        "period": c.period.label if c.period else None,
        "forecast": c.forecast,
        "as_of": _iso(c.as_of),
        "previous": previous_payload(event.previous) if event.previous is not None else None,
        "change_pct": pct,
        "source": c.source,
        "url": ctx.link(c.source) or None,
        "publisher": ctx.publishers.get(c.source),
        "published": _iso(c.published),
        "published_source": c.published_source,
        "evidence": c.evidence,
        "citations": ctx.sources_citing(event),
    }


def build_payload(alert: Alert, ctx: AlertContext, now: datetime | None = None) -> dict[str, Any]:
    """The Standard Webhooks body of an alert: type, id, timestamp and the events."""
    kind = CHANGE_TYPE if len(alert.events) == 1 else DIGEST_TYPE
    return {
        "type": kind,
        "id": alert.key,
        "channel": alert.channel,
        "timestamp": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "data": {"events": [event_payload(e, ctx) for e in alert.events]},
    }


def probe_payload(channel: str, key: str, now: datetime | None = None) -> dict[str, Any]:
    """The body of a test message: no events."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return {"type": PROBE_TYPE, "id": key, "channel": channel, "timestamp": stamp, "data": {"events": []}}
