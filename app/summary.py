"""Run summaries for Prefect artifacts: a run's change events as markdown lines and as table rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from alerts.figures import change, figure
from alerts.report import ChangeRow, ReportData, change_table
from core.types import ChangeEvent

MAX_LISTED_CHANGES = 50  # in the markdown; the table artifact holds up to alerts.report.MAX_CHANGE_ROWS


def events_markdown(events: Sequence[ChangeEvent]) -> list[str]:
    """A "Changes" section: kind, metric, old → new and % change per event."""
    if not events:
        return []
    lines = ["", "## Changes", ""]
    lines += [f"- {_line(e)}" for e in events[:MAX_LISTED_CHANGES]]
    if len(events) > MAX_LISTED_CHANGES:
        lines.append(f"- … and {len(events) - MAX_LISTED_CHANGES} more (see the changes table)")
    return lines


def _line(event: ChangeEvent) -> str:
    """One change as text: ``updated qwen_downloads: 700 million → 1.2 billion (+71.4%)``."""
    old = f"{figure(event.previous)} → " if event.previous is not None else ""
    pct = f" ({change(event.change_pct)})" if event.change_pct is not None else ""
    return f"{event.kind.value} {event.metric or event.claim.entity}: {old}{figure(event.claim)}{pct}"


def changes_table(events: Sequence[ChangeEvent]) -> list[dict[str, str]]:
    """The events as rows for a Prefect table artifact (newest first), the report's own columns."""
    data = ReportData(generated_at=datetime.now(UTC), changes=[ChangeRow.from_event(e) for e in events])
    return change_table(data)


def problems_markdown(title: str, lines: Sequence[str]) -> list[str]:
    """A markdown section listing problems, or nothing when there are none."""
    return ["", f"## {title}", "", *(f"- {line}" for line in lines)] if lines else []
