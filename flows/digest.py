"""The ``digest`` flow (the day's changes, one message per digest channel) and the ``seed_baseline`` flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from alerts.report import change_table, summary_markdown
from app.baseline import seed_baseline
from app.delivery import DeliveryReport, deliver_pending
from app.report import build_report
from app.runtime import open_runtime
from flows.secrets import secret_resolver


@dataclass(frozen=True)
class DigestSummary:
    """What one digest run sent."""

    channels: tuple[str, ...]
    sent: int
    failed: int
    changes_today: int
    errors: tuple[str, ...] = ()


@flow(name="digest", log_prints=False)
def digest(config_path: str | None = None) -> DigestSummary:
    """Send the changes held for digest channels as one message each; attach today's summary."""
    runtime = open_runtime(config_path)
    try:
        names = tuple(c.name for c in runtime.config.channels if c.mode == "digest")
        report = (
            deliver_pending(runtime.pipeline, secret_resolver(), channels=names)
            if names
            else DeliveryReport(0, 0, ())
        )
        data = build_report(runtime, since=datetime.now(UTC).date())
    finally:
        runtime.close()
    create_markdown_artifact(summary_markdown(data), key="digest-summary", description="Today's changes")
    create_table_artifact(change_table(data), key="digest-changes", description="Today's changes")
    return DigestSummary(names, report.sent, report.failed, len(data.changes), report.errors)


@flow(name="seed-baseline", log_prints=False)
def seed_baseline_flow(config_path: str | None = None, reset: bool = False) -> int:
    """Ingest the bundled seed documents (no alerts); return how many new facts were stored."""
    runtime = open_runtime(config_path)
    try:
        return sum(len(r.events) for r in seed_baseline(runtime.pipeline, reset=reset))
    finally:
        runtime.close()
