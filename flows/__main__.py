"""The ``claimwatch`` command (and ``python -m flows``): start the CLI.

The console script imports only this module, and the CLI on first call. A spawned extraction
worker re-imports its parent's main script before its first page; were that script to import the
CLI, every worker would load Prefect, typer and matplotlib first (about 2 s each, measured).
"""

from __future__ import annotations


def main() -> None:
    """Run the CLI."""
    from flows.cli import main as cli_main  # noqa: PLC0415 - kept out of the script's imports (see above)

    cli_main()


if __name__ == "__main__":
    main()
