"""Alert composition: the subject, plain text, HTML and webhook payload of an alert."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape

from alerts import figures
from alerts.context import AlertContext
from alerts.payload import build_payload, probe_payload
from core.published import PublishedSource
from core.types import Alert, ChangeEvent, ChangeKind, Claim

HISTORY_ROWS = 5  # the last few values give the trend; a long table belongs to `claimwatch history`
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Message:
    """One rendered alert, ready for any notifier."""

    key: str  # the alert's idempotency key
    subject: str
    text: str
    html: str
    payload: Mapping[str, Any]


def subject(alert: Alert, ctx: AlertContext) -> str:
    """The subject line, on one line: the single event's headline, or a digest's count by kind."""
    if len(alert.events) == 1:
        return " ".join(headline(alert.events[0], ctx).split())  # a stray newline would break the mail header
    counts = Counter(e.kind.value for e in alert.events)
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return f"claimwatch: {len(alert.events)} changes ({parts})"


def headline(event: ChangeEvent, ctx: AlertContext) -> str:
    """One line for one event, e.g. "Qwen downloads: over 700 million → over 1 billion (+43%)"."""
    label = ctx.label(event.metric, event.claim.entity)
    new = figures.figure(event.claim)
    if event.kind is ChangeKind.CONFLICT and event.previous is not None:
        return f"Conflict: {label}: {new} vs {figures.figure(event.previous)}"
    if event.kind is ChangeKind.UPDATED and event.previous is not None:
        pct = figures.change(event.change_pct)
        return f"{label}: {figures.figure(event.previous)} → {new}" + (f" ({pct})" if pct else "")
    if event.kind is ChangeKind.NEW:
        return f"New: {label}: {new}"
    return f"{event.kind.value.capitalize()}: {label}: {new}"


def report_view(claim: Claim, ctx: AlertContext) -> dict[str, str]:
    """A claim as the templates show it: figure, date, source, link, publisher, evidence."""
    return {
        "figure": figures.figure(claim),
        "as_of": figures.as_of_text(claim),
        "published": _published(claim),
        "source": claim.source,
        "link": ctx.link(claim.source),
        "publisher": ctx.publishers.get(claim.source, ""),
        "evidence": claim.evidence,
    }


def _published(claim: Claim) -> str:
    """The publication date as shown, saying so when it is only the day the article was first seen."""
    shown = figures.published_text(claim.published)
    if shown and claim.published_source == PublishedSource.FIRST_SEEN:
        return f"{shown} (first seen: the article gives no date)"
    return shown


def event_view(event: ChangeEvent, ctx: AlertContext) -> dict[str, Any]:
    """Everything the templates show about one event."""
    past = list(ctx.history.get(event.metric or "", ()))[-HISTORY_ROWS:]
    return {
        "kind": event.kind.value,
        "headline": headline(event, ctx),
        "label": ctx.label(event.metric, event.claim.entity),
        "change": figures.change(event.change_pct),
        "claim": report_view(event.claim, ctx),
        "previous": report_view(event.previous, ctx) if event.previous is not None else None,
        "history": [report_view(c, ctx) for c in reversed(past)],
        "citations": [{"source": s, "link": ctx.link(s)} for s in ctx.sources_citing(event)],
    }


def _environment() -> jinja2.Environment:
    """The template environment: HTML templates autoescaped, unknown names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_ENV = _environment()


def render(alert: Alert, ctx: AlertContext) -> Message:
    """Subject, plain text, HTML and webhook payload of an alert."""
    title = subject(alert, ctx)
    views = [event_view(e, ctx) for e in alert.events]
    values = {"subject": title, "events": views, "digest": len(views) > 1, "key": alert.key}
    return Message(
        key=alert.key,
        subject=title,
        text=_ENV.get_template("alert.txt.j2").render(values),
        html=_ENV.get_template("alert.html.j2").render(values),
        payload=build_payload(alert, ctx),
    )


def probe_message(channel: str, key: str) -> Message:
    """A harmless message that proves a channel works (`claimwatch alerts test`)."""
    title = f"claimwatch test message for channel {channel}"
    note = "If you can read this, alerts will reach you here."
    return Message(key=key, subject=title, text=f"{title}.\n{note}\n",
                   html=f"<p>{escape(title)}.</p><p>{note}</p>\n", payload=probe_payload(channel, key))
