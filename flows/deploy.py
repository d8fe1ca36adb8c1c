"""Schedules: the same three deployments for ``claimwatch serve`` (one process) and ``prefect.yaml`` (a pool).

Keep ``SCHEDULES`` and ``prefect.yaml`` in step; tests/test_cli_flows.py checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect import serve as prefect_serve
from prefect.schedules import Cron

from flows.backfill import backfill
from flows.digest import digest
from flows.monitor import monitor

TIMEZONE = "UTC"  # cron times below are read in this zone; UTC never skips or repeats an hour


@dataclass(frozen=True)
class Schedule:
    """One deployment: its flow, cron (None: run on demand only) and fixed parameters."""

    name: str
    flow: Any
    cron: str | None
    parameters: dict[str, Any]


SCHEDULES = (
    Schedule("monitor", monitor, "*/30 * * * *", {"force": False, "hold_digests": True}),
    Schedule("digest", digest, "0 8 * * *", {}),  # after the night's news from China, before Europe's morning
    Schedule("backfill", backfill, None, {"alerts": False}),
)


def deployments(config_path: str | None = None) -> list[Any]:
    """RunnerDeployments for ``prefect.serve``, each told which config file to load."""
    return [
        s.flow.to_deployment(
            name=s.name,
            schedules=[Cron(s.cron, timezone=TIMEZONE)] if s.cron else None,
            parameters={**s.parameters, "config_path": config_path},
            tags=["claimwatch"],
        )
        for s in SCHEDULES
    ]


def serve(config_path: str | None = None) -> None:
    """Run the schedules in this process until interrupted (no work pool needed)."""
    prefect_serve(*deployments(config_path))
