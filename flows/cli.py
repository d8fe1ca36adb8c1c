"""The claimwatch command line: the same functions the flows call, one command each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from core.errors import ClaimwatchError
from core.periods import LooseDate
from extractors.claims import extract_claims
from extractors.text import load_document
from flows.output import claim_json, dump_json, format_value, print_table

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Watch the news about Alibaba Cloud and Qwen and alert when a figure changes.")
console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs instead of a table.")]


def _date(text: str | None) -> LooseDate | None:
    """A DATE option: YYYY-MM-DD, or YYYY-MM when only the month is known."""
    return LooseDate.parse(text) if text else None


@app.command()
def extract(
    path: Path,
    as_json: JsonOpt = False,
    all_claims: Annotated[bool, typer.Option("--all", help="Include numbers that match no tracked metric.")] = False,
    published: Annotated[Optional[str], typer.Option(help="Publication date, YYYY-MM-DD or YYYY-MM.")] = None,
) -> None:
    """Print a document's metric claims; writes nothing."""
    document = load_document(path, published=_date(published))
    claims = [c for c in extract_claims(document) if all_claims or c.metric is not None]
    if as_json:
        print(dump_json(claim_json(c) for c in claims))
        return
    rows = [(c.metric or "(untracked)", format_value(c.value, c.unit, c.qualifier), c.period or "",
             "forecast" if c.forecast else "", c.evidence[:100]) for c in claims]
    print_table(console, f"Claims in {path}", ["metric", "value", "period", "", "evidence"], rows)


def main() -> None:
    """Entry point: project errors become one line on stderr and exit status 1."""
    try:
        app()
    except ClaimwatchError as exc:
        print(f"claimwatch: {exc}", file=sys.stderr)
        sys.exit(1)
