"""The claimwatch command line: the same functions the flows call, one command each.

Project errors (core.errors.ClaimwatchError) become one line on stderr and exit status 1;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from alerts.deliver import test_channel
from alerts.figures import change, figure
from core.errors import ClaimwatchError, InputError
from core.periods import LooseDate
from core.types import ChangeKind, Claim, Document
from extractors.claims import extract_claims
from extractors.explain import Trace
from extractors.text import load_document
from flows.baseline import seed_baseline
from flows.current import standing_values
from flows.delivery import deliver_pending
from flows.output import claim_json, decision_json, dump_json, event_json, print_table
from flows.report import write_report
from flows.runtime import Runtime, secret_resolver
from flows.terminal import command_runtime, console
from storage import ArticleInfo

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Watch the news about Alibaba Cloud and Qwen and alert when a reported figure changes.")
baseline_app = typer.Typer(no_args_is_help=True, help="The bundled baseline of seed documents.")
alerts_app = typer.Typer(no_args_is_help=True, help="The alert outbox and the notification channels.")
app.add_typer(baseline_app, name="baseline")
app.add_typer(alerts_app, name="alerts")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs instead of a table.")]
DateOpt = Annotated[Optional[str], typer.Option(help="YYYY-MM-DD, or YYYY-MM when only the month is known.")]


@app.callback()
def _global(ctx: typer.Context,
            config: Annotated[Optional[Path], typer.Option(
                "--config", envvar="CLAIMWATCH_CONFIG",
                help="Config file (default: ~/.config/claimwatch/config.yaml).")] = None) -> None:
    """Watch the news about Alibaba Cloud and Qwen and alert when a reported figure changes."""
    ctx.obj = config


def _date(text: str | None) -> LooseDate | None:
    """A DATE option: YYYY-MM-DD, or YYYY-MM when only the month is known."""
    return LooseDate.parse(text) if text else None


@app.command()
def extract(
    path: Path,
    as_json: JsonOpt = False,
    all_claims: Annotated[bool, typer.Option("--all", help="Include numbers that match no tracked metric.")] = False,
    published: DateOpt = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Every number in the text with the decision taken on it, and why.")] = False,
) -> None:
    """Print a document's metric claims; writes nothing."""
    document = load_document(path, published=_date(published))
    trace = Trace() if explain else None
    claims = [c for c in extract_claims(document, trace=trace) if all_claims or c.metric is not None]
    if trace is not None:
        _print_decisions(trace, as_json)
        return
    if as_json:
        print(dump_json(claim_json(c) for c in claims))
        return
    rows = [(c.metric or "(untracked)", figure(c), c.evidence) for c in claims]
    print_table(console, f"Claims in {path}", ["metric", "value", "evidence"], rows)


def _print_decisions(trace: Trace, as_json: bool) -> None:
    """Print what `extract --explain` shows: each number, its outcome and the reason."""
    decisions = trace.ordered()
    if as_json:
        print(dump_json(decision_json(d) for d in decisions))
        return
    rows = [(d.number, d.outcome, d.reason, d.sentence) for d in decisions]
    print_table(console, "Every number and what became of it", ["number", "outcome", "why", "sentence"], rows)


@baseline_app.command("seed")
def baseline_seed(ctx: typer.Context,
                  reset: Annotated[bool, typer.Option(help="Empty the database first.")] = False) -> None:
    """Ingest the bundled seed documents in manifest order; running it again changes nothing."""
    with command_runtime(ctx) as runtime:
        results = seed_baseline(runtime.pipeline, reset=reset)
        added = sum(len(r.events) for r in results)
        console.print(f"baseline: {len(results)} documents, {added} new facts stored")


@app.command()
def claims(ctx: typer.Context, as_json: JsonOpt = False,
           metric: Annotated[Optional[str], typer.Option(help="Only this metric id.")] = None) -> None:
    """The current value of each metric (one row per metric and forecast flag)."""
    with command_runtime(ctx) as runtime:
        _print_current(runtime, metric, as_json)


def _print_current(runtime: Runtime, metric: str | None, as_json: bool) -> None:
    """Print the current values as JSON or a table."""
    rows = standing_values(runtime.store, runtime.pipeline.catalog, metric)
    info = runtime.store.article_info([r.claim.source for r in rows])
    if as_json:
        print(dump_json(_current_json(r.claim, info.get(r.claim.source)) for r in rows))
        return
    table = [(r.metric.label or r.metric.id, "forecast" if r.claim.forecast else "actual", figure(r.claim),
              r.claim.as_of, _source_name(r.claim.source, info), "open conflict" if r.open_conflicts else "")
             for r in rows]
    print_table(console, "Current values", ["metric", "series", "value", "as of", "source", "status"], table)


def _current_json(claim: Claim, article: ArticleInfo | None) -> dict[str, object]:
    """One row of `claimwatch claims --json`."""
    row = claim_json(claim)
    return {key: row[key] for key in ("metric", "value", "unit", "qualifier", "period", "forecast")} | {
        "as_of": claim.as_of.isoformat() if claim.as_of else None,
        "source": article.url if article and article.url else claim.source,
        "published": str(claim.published) if claim.published else None,
        "evidence": claim.evidence,
    }


def _source_name(source: str, info: dict[str, ArticleInfo]) -> str:
    """A short name for a claim's source: its publisher, else the source itself."""
    article = info.get(source)
    return article.publisher if article and article.publisher else source


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Documents: .txt, .html or .htm files.")],
    as_json: JsonOpt = False,
    published: DateOpt = None,
    url: Annotated[Optional[str], typer.Option(help="The document's URL (one PATH only).")] = None,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Store and print, send nothing.")] = False,
) -> None:
    """Extract, diff, store and alert; prints the change events."""
    if url and len(paths) > 1:
        raise InputError("--url: names one document, but several PATHs were given")
    documents = [_ingest_document(p, _date(published), url) for p in paths]
    with command_runtime(ctx) as runtime:
        events = [e for d in documents for e in runtime.pipeline.ingest(d, alerts=not no_alerts).events]
        report = None if no_alerts else deliver_pending(runtime.pipeline, secret_resolver())
    _print_events(events, as_json, "Changes")
    if report and report.failed:
        print(f"claimwatch: {report.failed} alert(s) not delivered, kept pending: {'; '.join(report.errors)}",
              file=sys.stderr)


def _ingest_document(path: Path, published: LooseDate | None, url: str | None) -> Document:
    """A document read for ingest, identified by its URL when one is given."""
    document = load_document(path, published=published)
    return dataclasses.replace(document, source=url, url=url) if url else document


def _print_events(events, as_json: bool, title: str) -> None:
    """Change events as JSON or a table."""
    if as_json:
        print(dump_json(event_json(e) for e in events))
        return
    rows = [(e.kind, e.claim.metric, figure(e.previous) if e.previous else "", figure(e.claim),
             change(e.change_pct), e.claim.source) for e in events]
    print_table(console, title, ["kind", "metric", "previous", "now", "change", "source"], rows)


@app.command()
def changes(ctx: typer.Context, as_json: JsonOpt = False,
            since: DateOpt = None,
            kind: Annotated[Optional[ChangeKind], typer.Option(help="Only this kind of change.")] = None) -> None:
    """Recorded change events, oldest first."""
    since_day = _date(since)
    with command_runtime(ctx) as runtime:
        stored = runtime.store.changes(since=since_day.day if since_day else None, kind=kind)
    _print_events([s.event for s in stored], as_json, "Changes")


@app.command()
def history(ctx: typer.Context, metric: str, as_json: JsonOpt = False) -> None:
    """Every recorded change of one metric, oldest first."""
    with command_runtime(ctx) as runtime:
        runtime.pipeline.catalog.get(metric)
        stored = runtime.store.history(metric)
    _print_events([s.event for s in stored], as_json, f"History of {metric}")


@alerts_app.command("pending")
def alerts_pending(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Alerts waiting in the outbox, with their last error."""
    with command_runtime(ctx) as runtime:
        rows = runtime.store.pending(due_only=False)
    if as_json:
        print(dump_json({"id": r.id, "channel": r.channel, "attempts": r.attempts, "last_error": r.last_error,
                         "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
                         "event": event_json(r.event)} for r in rows))
        return
    table = [(r.id, r.channel, r.event.kind, r.event.metric, figure(r.event.claim), r.attempts,
              r.next_attempt_at, r.last_error or "") for r in rows]
    print_table(console, "Pending alerts", ["id", "channel", "kind", "metric", "value", "attempts", "next", "error"],
                table)


@alerts_app.command("retry")
def alerts_retry(ctx: typer.Context) -> None:
    """Send every pending alert now, whatever its backoff says; failures stay pending."""
    with command_runtime(ctx) as runtime:
        report = deliver_pending(runtime.pipeline, secret_resolver(), due_only=False)
    console.print(f"alerts: {report.sent} sent, {report.failed} failed")
    for error in report.errors:
        console.print(f"  {error}", markup=False)
    if report.failed:
        raise typer.Exit(1)


@alerts_app.command("test")
def alerts_test(ctx: typer.Context) -> None:
    """Send a test message to every configured channel and report each one's result."""
    with command_runtime(ctx) as runtime:
        channels = runtime.config.channels
    if not channels:
        console.print("alerts: no channels configured")
        return
    checks = [test_channel(channel, secret_resolver()) for channel in channels]
    print_table(console, "Channel test", ["channel", "result"],
                [(c.channel, "ok" if c.ok else f"FAILED: {c.error}") for c in checks])
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def report(ctx: typer.Context,
           out: Annotated[Path, typer.Option(help="Where to write the HTML file.")] = Path("claimwatch-report.html"),
           metric: Annotated[Optional[list[str]], typer.Option(help="Only these metric ids (repeatable).")] = None,
           since: DateOpt = None) -> None:
    """Write one self-contained HTML report: timelines, changes, conflicts and sources."""
    since_day = _date(since)
    with command_runtime(ctx) as runtime:
        size = write_report(runtime, out, metrics=metric or None, since=since_day.day if since_day else None)
    console.print(f"report: wrote {out} ({size:,} bytes)")


def _register_flow_commands() -> None:
    """The commands that run Prefect flows live beside the flows (flows/commands.py)."""
    from flows.commands import register  # noqa: PLC0415 - keeps Prefect out of the import of this module

    register(app)


_register_flow_commands()


def main() -> None:
    """Entry point: project errors become one line on stderr and exit status 1."""
    try:
        app()
    except ClaimwatchError as exc:
        print(f"claimwatch: {exc}", file=sys.stderr)
        sys.exit(1)
