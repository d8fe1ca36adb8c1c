"""CLI commands that run the Prefect flows: run (and, later, backfill, serve, sources)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from flows.baseline import seed_baseline


def register(app: typer.Typer, runtime_for: Callable[..., Any], print_current: Callable[..., None],
             console: Console) -> None:
    """Add the flow commands to the CLI app."""

    @app.command()
    def run(ctx: typer.Context) -> None:
        """Seed the baseline when the database is empty, then print the current values."""
        with runtime_for(ctx) as runtime:
            if runtime.store.is_empty():
                results = seed_baseline(runtime.pipeline)
                console.print(f"baseline: seeded from {len(results)} documents")
            print_current(runtime, None, as_json=False)
