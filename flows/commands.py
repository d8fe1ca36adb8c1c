"""CLI commands that run the Prefect flows: run, backfill, serve, and the sources health table.

Prefect is imported inside the commands only: it costs a second or two, and the other commands
do not need it. Unless ``--verbose``, Prefect's own logging is kept off the console (set before
Prefect is first imported); claimwatch prints its own summary. Every input is checked before a
flow starts: a bad one is one line and exit status 1 at once, not a flow run's traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from app.stopping import signals_end_the_command
from core.errors import FetchError
from flows.terminal import command_runtime, config_path, console, stopped

if TYPE_CHECKING:
    from sources.registry import SourceSpec
    from storage import SourceInfo

QUIET_PREFECT = {
    "PREFECT_LOGGING_LEVEL": "ERROR",  # flow and task run chatter
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",  # the temporary server's start/stop lines
}
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # a heartbeat to Prefect Inc. is not our business
}
BACKFILL_USAGE_EXIT = 2  # like any usage error: nothing to do was said
BACKFILL_INPUTS = """backfill: nothing to read; give at least one of
  URL...                 Wayback snapshot URLs (https://web.archive.org/web/<timestamp>/<url>) or live URLs
  --urls FILE            a file of such URLs, one a line (# comments)
  --dir DIR              a folder of saved HTML pages
  --cdx URL              a Wayback CDX search, e.g. qwenlm.github.io/blog/ [--match prefix|host|domain]
                         [--from YYYY-MM-DD] [--to YYYY-MM-DD]  (--to includes that day)
  --sources              the sources file's archive entries (kinds wayback, cdx, urls, dir)"""
ARCHIVE_STATUS = "archive kind: replayed by `claimwatch backfill --sources`, not polled"
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs instead of a table.")]


def quiet_prefect(verbose: bool) -> None:
    """Keep Prefect's log lines off the console unless asked for (only before Prefect is imported)."""
    for key, value in (PREFECT_DEFAULTS if verbose else {**QUIET_PREFECT, **PREFECT_DEFAULTS}).items():
        os.environ.setdefault(key, value)


@contextmanager
def progress(console: Console, what: str) -> Iterator[None]:
    """A spinner while a long step runs, on a terminal only (never in logs or pipes)."""
    with console.status(what) if console.is_terminal else nullcontext():
        yield


def run(
    ctx: typer.Context,
    every: Annotated[bool, typer.Option("--all", help="Poll every source, due or not.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's own log.")] = False,
) -> None:
    """Run the monitor flow once: seed the baseline into an empty database, poll, alert, summarise.

    When no source is due (and not --all), no flow starts: pending alerts are sent and the next poll named.
    A server that `claimwatch serve` started is used instead of a temporary one; a temporary one stays
    CLAIMWATCH_SERVER_IDLE seconds (default 600) for the next command.
    """
    from app.baseline import ensure_baseline  # noqa: PLC0415
    from app.polling import due_sources  # noqa: PLC0415

    with signals_end_the_command(), command_runtime(ctx) as runtime:
        seeded = ensure_baseline(runtime.pipeline)
        if seeded:
            console.print(f"baseline: seeded from {seeded} documents")
        if not every and not due_sources(runtime, datetime.now(UTC), force=False):
            _nothing_due(runtime)
            return
    api = _prefect_api(verbose)
    from flows.monitor import monitor  # noqa: PLC0415 - Prefect loads only for flow commands, while a server starts
    from flows.runners import one_shot  # noqa: PLC0415

    with signals_end_the_command(), api, progress(console, "monitor: polling sources"), one_shot():
        summary = monitor(config_path=config_path(ctx), force=every)
    print_run(console, summary)
    if summary.stopped_by is not None:
        stopped(summary.stopped_by)


def _nothing_due(runtime: Any) -> None:
    """No flow: send what the outbox holds, and say when the next poll is."""
    from app.delivery import deliver_pending  # noqa: PLC0415
    from app.polling import next_poll  # noqa: PLC0415
    from flows.secrets import secret_resolver  # noqa: PLC0415

    report = deliver_pending(runtime.pipeline, secret_resolver())
    pending = len(runtime.store.pending(due_only=False))
    following = next_poll(runtime)
    when = f"next poll at {_when(following)}" if following else "no sources to poll"
    console.print(f"monitor: nothing due ({when}; --all polls every source now); "
                  f"alerts {report.sent} sent, {pending} pending", soft_wrap=True)
    for error in report.errors:
        console.print(f"  alert not delivered: {_one_line(error)}", markup=False, soft_wrap=True)


def _prefect_api(verbose: bool) -> AbstractContextManager[str | None]:
    """The Prefect API a flow command runs on (a temporary server starts now, while the command loads)."""
    quiet_prefect(verbose)
    from flows.temporary_server import command_api  # noqa: PLC0415

    with signals_end_the_command():
        return command_api()


def backfill(
    ctx: typer.Context,
    urls: Annotated[list[str] | None, typer.Argument(help="Wayback snapshot URLs or live URLs.")] = None,
    cdx: Annotated[str | None, typer.Option(help="A CDX search, e.g. qwenlm.github.io/blog/.")] = None,
    match: Annotated[str | None, typer.Option(help="CDX match type: exact, prefix, host, domain.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="CDX: captures from YYYY-MM-DD.")] = None,
    to: Annotated[str | None, typer.Option(help="CDX: captures up to YYYY-MM-DD, that day included.")] = None,
    urls_file: Annotated[Path | None, typer.Option("--urls", help="A file of URLs, one a line.")] = None,
    folder: Annotated[Path | None, typer.Option("--dir", help="A folder of saved HTML pages.")] = None,
    from_sources: Annotated[bool, typer.Option(
        "--sources", help="The sources file's archive entries (wayback, cdx, urls, dir).")] = False,
    alerts: Annotated[bool, typer.Option(help="Send one digest per channel of what changed.")] = False,
    wayback: Annotated[str | None, typer.Option(hidden=True, help="Another Wayback server.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's own log.")] = False,
) -> None:
    """Ingest archived pages in capture order; what is stored already is skipped."""
    from app.backfill_inputs import WAYBACK_BASE, Inputs, check_inputs, check_sources  # noqa: PLC0415
    from core.config import load_config  # noqa: PLC0415

    inputs = Inputs(tuple(urls or ()), str(urls_file) if urls_file else None, str(folder) if folder else None,
                    cdx, match, from_, to, wayback or WAYBACK_BASE, from_sources)
    if not (inputs.urls or inputs.urls_file or inputs.folder or inputs.cdx_url or inputs.from_sources):
        print(BACKFILL_INPUTS, file=sys.stderr)
        raise typer.Exit(BACKFILL_USAGE_EXIT)
    check_inputs(inputs)
    if from_sources:
        check_sources(load_config(config_path(ctx)))
    api = _prefect_api(verbose)
    from flows.backfill import backfill as backfill_flow  # noqa: PLC0415

    # The heartbeat stays on here: a backfill runs for minutes, and without the heartbeat's wait at the end a
    # backfill that fails at once exits while Prefect's events worker still sends, and it warns on stderr.
    with signals_end_the_command(), api, progress(console, "backfill: reading archived pages"):
        summary = backfill_flow(**inputs.parameters(), alerts=alerts, config_path=config_path(ctx))
    if summary.fatal:
        raise FetchError(summary.fatal)
    print_backfill(console, summary)
    if summary.stopped_by is not None:
        stopped(summary.stopped_by)


def serve(
    ctx: typer.Context,
    now: Annotated[bool, typer.Option(
        "--now", help="Run the monitor once at start, then on schedule.")] = False,
) -> None:
    """Run the monitor (every 30 minutes) and digest (daily) schedules in this process."""
    quiet_prefect(verbose=True)  # serving is a long-lived process: its log is what people watch
    from flows.deploy import serve as serve_all  # noqa: PLC0415

    serve_all(config_path(ctx), run_now=now)


def sources(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Health of each source: last success, failures, next poll, silence."""
    from app.records import dump_json  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415
    from sources.registry import load_sources  # noqa: PLC0415

    with command_runtime(ctx) as runtime:
        specs = {s.name: s for s in load_sources(runtime.config.sources_file)}
        infos = runtime.store.sources()
    now = datetime.now(UTC)
    known = {i.id for i in infos}
    if as_json:
        print(dump_json([*(health_json(specs.get(i.id), i, now) for i in infos),
                         *(never_polled_json(s) for s in specs.values() if s.name not in known)]))
        return
    rows = [health_row(specs.get(info.id), info, now) for info in infos]
    rows += [_unpolled_row(s) for s in specs.values() if s.name not in known]
    print_table(console, "Sources", ["source", "kind", "last success", "failures", "next poll", "status"], rows)
    for info in infos:  # each warning of the last poll, one line each
        for warning in info.state.warnings:
            console.print(f"  {info.id}: {_one_line(warning)}", soft_wrap=True)


COMMANDS = (run, backfill, serve, sources)


def register(app: typer.Typer) -> None:
    """Add the flow commands to the CLI app."""
    for command in COMMANDS:
        app.command()(command)


def print_backfill(console: Console, summary: Any) -> None:
    """The backfill run in a line, and one line per failed item."""
    if summary.seeded:
        console.print(f"baseline: seeded from {summary.seeded} documents")
    console.print(
        f"backfill: {summary.items} items, {summary.skipped_stored} already stored, "
        f"{summary.pages} pages ingested, {summary.claims} claims, {summary.events} changes"
    )
    for error in summary.errors:
        console.print(f"  failed: {_one_line(error)}", markup=False)


def health_status(spec: SourceSpec | None, info: SourceInfo, now: datetime) -> str:
    """ "ok", "ok, N warnings", "failing: <error>", "SILENT (…)", or "not in the sources file"."""
    from sources.health import is_silent  # noqa: PLC0415

    state = info.state
    if spec is None:
        return "not in the sources file"
    status = f"failing: {state.last_error}" if state.consecutive_failures else "ok"
    if state.warnings and not state.consecutive_failures:
        status = f"ok, {len(state.warnings)} warning{'s' if len(state.warnings) > 1 else ''} (listed below)"
    return f"SILENT ({status})" if is_silent(state, spec, now) else status


def health_row(spec: SourceSpec | None, info: SourceInfo, now: datetime) -> tuple[str, ...]:
    """One row of ``claimwatch sources``."""
    state = info.state
    return (info.id, info.kind, _when(state.last_success), str(state.consecutive_failures),
            _when(state.next_poll), health_status(spec, info, now))


def health_json(spec: SourceSpec | None, info: SourceInfo, now: datetime) -> dict[str, Any]:
    """One object of ``claimwatch sources --json``."""
    state = info.state
    return {"source": info.id, "kind": info.kind, "url": info.url,
            "last_success": _iso(state.last_success), "last_attempt": _iso(state.last_attempt),
            "consecutive_failures": state.consecutive_failures, "last_error": state.last_error,
            "next_poll": _iso(state.next_poll), "status": health_status(spec, info, now),
            "warnings": list(state.warnings)}


def _unpolled_row(spec: SourceSpec) -> tuple[str, ...]:
    """A configured source not polled yet: due, or (an archive kind) left to the backfill."""
    if _replayed(spec):
        return (spec.name, spec.kind, "not polled", "", "backfill --sources", ARCHIVE_STATUS)
    return (spec.name, spec.kind, "never polled", "", "due", "")


def _replayed(spec: SourceSpec) -> bool:
    """Whether the source is of an archive kind, which the backfill replays and the monitor never polls."""
    from sources.kinds import SOURCE_KINDS  # noqa: PLC0415

    return SOURCE_KINDS[spec.kind].mode == "archive"


def never_polled_json(spec: SourceSpec) -> dict[str, Any]:
    """A configured source that has never been polled, as ``sources --json`` shows it."""
    return {"source": spec.name, "kind": spec.kind, "url": spec.url, "last_success": None,
            "last_attempt": None, "consecutive_failures": 0, "last_error": None, "next_poll": None,
            "status": ARCHIVE_STATUS if _replayed(spec) else "never polled", "warnings": []}


def _iso(moment: datetime | None) -> str | None:
    """An ISO 8601 time, or None."""
    return moment.isoformat() if moment else None


def _when(moment: datetime | None) -> str:
    """A UTC time to the minute, or "never"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def print_run(console: Console, summary: Any) -> None:
    """The monitor run in a few lines; one line per unreachable source and per page that failed."""
    s = summary
    console.print(
        f"monitor: {s.sources_polled} sources polled ({s.not_modified} not modified, "
        f"{len(s.unreachable)} unreachable), {s.pages_fetched} pages read ({len(s.page_errors)} failed), "
        f"{s.articles} articles stored, "
        f"{s.claims} claims, {len(s.events)} changes; alerts {s.alerts_sent} sent, "
        f"{s.alerts_pending} pending",
        soft_wrap=True,
    )
    for name, url, error in s.unreachable:
        console.print(f"  unreachable: {name} ({url}): {_one_line(error)}", markup=False, soft_wrap=True)
    for warning in s.warnings:
        console.print(f"  warning: {_one_line(warning)}", soft_wrap=True)
    for name in [n for n in s.silent if n not in {u[0] for u in s.unreachable}]:
        console.print(f"  silent: {name} has given nothing for longer than usual", markup=False)
    for error in s.page_errors:  # each names its URL and cause (sources/, flows/tasks.py and app/extraction.py word them)
        console.print(f"  page failed: {_one_line(error)}", markup=False, soft_wrap=True)
    for error in s.delivery_errors:
        console.print(f"  alert not delivered: {_one_line(error)}", markup=False, soft_wrap=True)


def _one_line(text: str) -> str:
    """Whitespace collapsed, so an error is always one line."""
    return " ".join(text.split())
