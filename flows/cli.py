"""The claimwatch command line: the same functions the flows call, one command each.

Project errors (core.errors.ClaimwatchError) become one line on stderr and exit status 1;
anything else is a bug and keeps its traceback.

Only typer and our light core types are imported here: SQLAlchemy, trafilatura, matplotlib and Prefect
load inside the commands that use them, so ``claimwatch --help`` answers at once (see flows/__main__.py).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from app.stopping import Terminated
from core.errors import ClaimwatchError, InputError
from core.periods import LooseDate
from core.published import PublishedSource
from core.types import ChangeKind
from flows.argv import normalised
from flows.terminal import command_runtime, complain, config_path, console, stopped

if TYPE_CHECKING:
    from app.reextract import Reextraction
    from app.runtime import Runtime
    from core.types import ChangeEvent, Claim, Document
    from extractors.explain import Trace
    from storage import ArticleInfo, Counts, StoredEvent

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Watch the news about Alibaba Cloud and Qwen and alert when a reported figure changes.")
baseline_app = typer.Typer(no_args_is_help=True, help="The bundled baseline of seed documents.")
alerts_app = typer.Typer(no_args_is_help=True, help="The alert outbox and the notification channels.")
app.add_typer(baseline_app, name="baseline")
app.add_typer(alerts_app, name="alerts")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs instead of a table.")]
DateOpt = Annotated[Optional[str], typer.Option(help="YYYY-MM-DD, or YYYY-MM when only the month is known.")]
WEB_SCHEMES = ("http://", "https://")


@app.callback()
def _global(ctx: typer.Context,
            config: Annotated[Optional[Path], typer.Option(
                "--config", envvar="CLAIMWATCH_CONFIG",
                help="Config file (default: ~/.config/claimwatch/config.yaml); before or after the command.",
            )] = None,
            ) -> None:
    """Watch the news about Alibaba Cloud and Qwen and alert when a reported figure changes.

    --config and --json may come before or after the command.
    """
    ctx.obj = config


def _date(text: str | None, option: str = "--since") -> LooseDate | None:
    """A DATE option: YYYY-MM-DD, or YYYY-MM when only the month is known; InputError naming the option."""
    if not text:
        return None
    try:
        return LooseDate.parse(text)
    except InputError as exc:
        raise InputError(f"{option}: {exc}") from None


@app.command()
def extract(
    ctx: typer.Context,
    path: Path,
    as_json: JsonOpt = False,
    all_claims: Annotated[bool, typer.Option("--all", help="Include numbers that match no tracked metric.")] = False,
    published: DateOpt = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Every number in the text with the decision taken on it, and why.")] = False,
) -> None:
    """Print a document's metric claims (read with the config's `catalog`, if any); writes nothing."""
    from alerts.figures import figure  # noqa: PLC0415 - heavy imports load with the command (module docstring)
    from app.records import claim_json, dump_json  # noqa: PLC0415
    from core.config import load_config  # noqa: PLC0415
    from extractors.catalog import load_catalog  # noqa: PLC0415
    from extractors.claims import extract_claims  # noqa: PLC0415
    from extractors.explain import Trace  # noqa: PLC0415
    from extractors.text import load_document  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415

    catalog = load_catalog(user=load_config(config_path(ctx)).catalog)
    document = load_document(path, published=_date(published, "--published"))
    trace = Trace() if explain else None
    claims = [c for c in extract_claims(document, catalog, trace) if all_claims or c.metric is not None]
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
    from app.records import decision_json, dump_json  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415

    decisions = trace.ordered()
    if as_json:
        print(dump_json(decision_json(d) for d in decisions))
        return
    rows = [(d.number, d.outcome, d.reason, d.sentence) for d in decisions]
    print_table(console, "Every number and what became of it", ["number", "outcome", "why", "sentence"], rows)


@baseline_app.command("seed")
def baseline_seed(ctx: typer.Context,
                  reset: Annotated[bool, typer.Option(help="Delete everything stored first.")] = False,
                  yes: Annotated[bool, typer.Option(
                      "--yes", "-y", help="Confirm --reset without asking.")] = False,
                  ) -> None:
    """Ingest the bundled seed documents in manifest order; running it again changes nothing."""
    from app.baseline import seed_baseline  # noqa: PLC0415

    with command_runtime(ctx) as runtime:
        counts = runtime.store.counts()
        if reset:
            _confirm_reset(counts, yes)
        results = seed_baseline(runtime.pipeline, reset=reset)
    if reset:
        console.print(f"baseline: deleted {_what(counts)}")
    added = sum(len(r.events) for r in results)
    console.print(f"baseline: {len(results)} documents, {added} new facts stored")


def _confirm_reset(counts: Counts, yes: bool) -> None:
    """Go on only with --yes, or when a person at a terminal says so; InputError otherwise."""
    if yes or not (counts.articles or counts.claims or counts.events):
        return
    what = f"--reset deletes {_what(counts)}"
    keep = "`claimwatch export > claimwatch-backup.jsonl` keeps a copy; `claimwatch import` reads it back"
    if sys.stdin.isatty() and sys.stdout.isatty():
        if typer.confirm(f"{what} ({keep}). Delete them?", default=False):
            return
        raise InputError("--reset: nothing deleted")
    raise InputError(f"{what}: add --yes to confirm ({keep})")


def _what(counts: Counts) -> str:
    """ "12 articles, 80 claims and 40 change events"."""
    return f"{counts.articles} articles, {counts.claims} claims and {counts.events} change events"


@app.command()
def export(ctx: typer.Context,
           out: Annotated[str, typer.Option(help="The file to write the JSON lines to; - for standard output.",
                                            )] = "-",
           ) -> None:
    """Write every article (with its text), claim and change event as JSON lines, to keep or to move."""
    from app.export import export_lines, write_lines  # noqa: PLC0415

    with command_runtime(ctx) as runtime:
        if out == "-":
            sys.stdout.writelines(line + "\n" for line in export_lines(runtime.store))
            return
        written = write_lines(Path(out), export_lines(runtime.store))
    console.print(f"export: wrote {written} lines to {out}", markup=False)


@app.command("import")
def import_(ctx: typer.Context,
            path: Annotated[Path, typer.Argument(help="A file `claimwatch export` wrote (JSON lines).")],
            ) -> None:
    """Store an export's articles and claims here (say, in a new PostgreSQL database); every line is checked
    first, and the events follow from the claims as the change engine decides them. Nothing is alerted."""
    from app.baseline import ensure_baseline  # noqa: PLC0415
    from app.restore import import_lines  # noqa: PLC0415

    lines = _text_lines(path)
    with command_runtime(ctx) as runtime:
        ensure_baseline(runtime.pipeline)
        restored = import_lines(runtime.pipeline, lines, str(path))
    console.print(f"import: {restored.articles} articles, {restored.claims} claims, {restored.events} change "
                  f"events decided ({restored.skipped} lines of history follow from them)", markup=False)


def _text_lines(path: Path) -> list[str]:
    """A file's lines; InputError naming it when it cannot be read as UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as UTF-8 text ({type(exc).__name__})") from None


@app.command()
def reextract(ctx: typer.Context,
              since: Annotated[Optional[str], typer.Option(
                  help="Only articles published on or after this day (YYYY-MM-DD or YYYY-MM).")] = None,
              dry_run: Annotated[bool, typer.Option(
                  "--dry-run", help="Show what would change; store nothing.")] = False,
              alert: Annotated[bool, typer.Option(
                  "--alert", help="Send the last alerting change of each metric (one per metric).")] = False,
              as_json: JsonOpt = False,
              ) -> None:
    """Read stored articles again with the current extractor, oldest first; record what it reads differently.

    Figures that appeared are diffed like new claims (older than the current value: historical); figures
    that vanished are withdrawn. Nothing is alerted unless --alert is given.
    """
    from app.delivery import deliver_pending  # noqa: PLC0415
    from app.reextract import reextract as read_again  # noqa: PLC0415
    from flows.secrets import secret_resolver  # noqa: PLC0415

    day = _date(since, "--since")
    with command_runtime(ctx) as runtime:
        result = read_again(runtime.pipeline, since=day.day if day else None, dry_run=dry_run, alert=alert)
        report = deliver_pending(runtime.pipeline, secret_resolver()) if result.queued else None
    _print_reextraction(result, as_json)
    if report and report.failed:
        print(f"claimwatch: {report.failed} alert(s) not delivered, kept pending: {'; '.join(report.errors)}",
              file=sys.stderr)


def _print_reextraction(result: Reextraction, as_json: bool) -> None:
    """The per-metric summary and the revisions of a re-extraction, as JSON or tables."""
    from alerts.figures import figure  # noqa: PLC0415
    from app.records import dump_json, reextraction_json  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415

    if as_json:
        print(dump_json([reextraction_json(result)]))
        return
    shown = lambda claim: figure(claim) if claim is not None else ""  # noqa: E731
    rows = [(s.metric, "forecast" if s.forecast else "actual", s.appeared, s.vanished, s.changed,
             shown(s.before), shown(s.after)) for s in result.series]
    print_table(console, "What changed, by metric",
                ["metric", "series", "appeared", "vanished", "changed", "value before", "value now"], rows)
    rows = [(r.change, (r.new or r.old).metric, shown(r.old), shown(r.new),  # type: ignore[union-attr]
             str(r.event.kind) if r.event else "", r.source) for r in result.revisions]
    print_table(console, "Revisions", ["change", "metric", "before", "now", "event", "source"], rows)
    console.print(_reextraction_line(result), markup=False)
    for error in result.errors:
        print(f"claimwatch: {error}", file=sys.stderr)


def _reextraction_line(result: Reextraction) -> str:
    """ "reextract: read 40 articles again with claims-14; 3 read differently (6 revisions)"."""
    line = (f"reextract: read {result.articles} articles again with {result.version}; "
            f"{result.revised} read differently ({_count(len(result.revisions), 'revision')})")
    if result.without_text:
        line += f"; {result.without_text} stored before texts were kept, not read again"
    if result.errors:
        line += f"; {len(result.errors)} could not be read"
    if result.queued:
        line += f"; {result.queued} alert(s) queued"
    return line + ("; dry run: nothing stored" if result.dry_run else "")


def _count(n: int, noun: str) -> str:
    """ "1 revision", "3 revisions"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


@app.command()
def claims(ctx: typer.Context, as_json: JsonOpt = False,
           metric: Annotated[Optional[str], typer.Option(help="Only this metric id.")] = None) -> None:
    """The current value of each metric (one row per metric and forecast flag)."""
    with command_runtime(ctx) as runtime:
        _print_current(runtime, metric, as_json)


def _print_current(runtime: Runtime, metric: str | None, as_json: bool) -> None:
    """Print the current values as JSON or a table."""
    from alerts.figures import figure  # noqa: PLC0415
    from app.current import standing_values  # noqa: PLC0415
    from app.records import dump_json  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415

    rows = standing_values(runtime.store, runtime.pipeline.catalog, metric)
    info = runtime.store.article_info([r.claim.source for r in rows])
    if as_json:
        print(dump_json(
            _current_json(r.claim, info.get(r.claim.source)) | {"open_conflicts": r.open_conflicts} for r in rows
        ))
        return
    table = [(r.metric.label or r.metric.id, "forecast" if r.claim.forecast else "actual", figure(r.claim),
              _as_of(r.claim), _source_name(r.claim.source, info),
              "open conflict" if r.open_conflicts else "") for r in rows]
    print_table(console, "Current values", ["metric", "series", "value", "as of", "source", "status"], table)


def _as_of(claim: Claim) -> str:
    """The as-of date, marked when it is only the day the article was first seen."""
    seen = claim.period is None and claim.published_source == PublishedSource.FIRST_SEEN
    return f"{claim.as_of} (first seen)" if seen else str(claim.as_of or "")


def _current_json(claim: Claim, article: ArticleInfo | None) -> dict[str, object]:
    """One row of `claimwatch claims --json`."""
    from app.records import claim_json  # noqa: PLC0415

    row = claim_json(claim)
    return {key: row[key] for key in ("metric", "value", "unit", "qualifier", "period", "forecast")} | {
        "as_of": claim.as_of.isoformat() if claim.as_of else None,
        "source": article.url if article and article.url else claim.source,
        "published": str(claim.published) if claim.published else None,
        "published_source": claim.published_source,
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
    url: Annotated[Optional[str], typer.Option(
        help="The document's URL (one PATH only; default: an HTML file's <link rel=canonical>).")] = None,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Store and print, send nothing.")] = False,
) -> None:
    """Extract, diff, store and alert; prints the change events.

    A document with no date is dated the day it is ingested (recorded as first seen); a date in the future
    is refused.
    """
    from app.baseline import ensure_baseline  # noqa: PLC0415
    from app.delivery import deliver_pending  # noqa: PLC0415
    from flows.secrets import secret_resolver  # noqa: PLC0415

    documents = _ingest_documents(paths, _published(published), _url(url, paths))
    with command_runtime(ctx) as runtime:
        ensure_baseline(runtime.pipeline)
        events = [e for d in documents for e in runtime.pipeline.ingest(d, alerts=not no_alerts).events]
        report = None if no_alerts else deliver_pending(runtime.pipeline, secret_resolver())
    _print_events(events, as_json, "Changes")
    if report and report.failed:
        complain(f"{report.failed} alert(s) not delivered, kept pending: {'; '.join(report.errors)}")


def _published(text: str | None) -> LooseDate | None:
    """--published, refused when it lies in the future (CHANGES.md)."""
    from core.published import check_not_future  # noqa: PLC0415

    given = _date(text, "--published")
    return check_not_future(given, "--published") if given else None


def _url(url: str | None, paths: Sequence[Path]) -> str | None:
    """--url, checked: an absolute http(s) URL, for one document only."""
    from urllib.parse import urlsplit  # noqa: PLC0415

    if url is None:
        return None
    if len(paths) > 1:
        raise InputError("--url: names one document, but several PATHs were given")
    if not url.startswith(WEB_SCHEMES) or not urlsplit(url).hostname:
        raise InputError(f"--url: {url!r} is not an absolute http(s) URL")
    return url


def _ingest_documents(paths: Sequence[Path], published: LooseDate | None, url: str | None) -> list[Document]:
    """Every document read and dated before anything is stored: one bad file stores none of them."""
    from app.pipeline import trusted_date  # noqa: PLC0415

    return [trusted_date(_ingest_document(path, published, url)) for path in paths]


def _ingest_document(path: Path, published: LooseDate | None, url: str | None) -> Document:
    """A document read for ingest, named by its URL (given, else its canonical link), else its full path."""
    import dataclasses  # noqa: PLC0415

    from extractors.text import HTML_SUFFIXES, load_document  # noqa: PLC0415
    from sources.archive import saved_page_url  # noqa: PLC0415
    from sources.links import canonical_url  # noqa: PLC0415

    document = load_document(path, published=published)
    declared = saved_page_url(path) if path.suffix.lower() in HTML_SUFFIXES else ""
    link = url or (canonical_url(declared) if declared.startswith(WEB_SCHEMES) else None)
    dated_by = PublishedSource.GIVEN if published else PublishedSource.PAGE if document.published else None
    named = link or str(path.resolve())
    return dataclasses.replace(document, source=named, url=link, published_source=dated_by)


def _print_events(events: Sequence[ChangeEvent], as_json: bool, title: str) -> None:
    """Fresh change events as JSON or a table."""
    from alerts.figures import change, figure  # noqa: PLC0415
    from app.records import dump_json, event_json  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415

    if as_json:
        print(dump_json(event_json(e) for e in events))
        return
    rows = [(e.kind, e.claim.metric, figure(e.previous) if e.previous else "", figure(e.claim),
             change(e.change_pct), e.claim.source) for e in events]
    print_table(console, title, ["kind", "metric", "previous", "now", "change", "source"], rows)


def _print_stored(stored: Sequence[StoredEvent], as_json: bool, title: str) -> None:
    """Recorded change events as JSON or a table, with how each conflict ended."""
    from alerts.figures import change, figure  # noqa: PLC0415
    from app.records import dump_json, stored_event_json  # noqa: PLC0415
    from flows.output import conflict_text, print_table  # noqa: PLC0415

    if as_json:
        print(dump_json(stored_event_json(s) for s in stored))
        return
    rows = [(s.event.kind, s.event.claim.metric, figure(s.event.previous) if s.event.previous else "",
             figure(s.event.claim), change(s.event.change_pct), s.event.claim.source, conflict_text(s))
            for s in stored]
    print_table(console, title, ["kind", "metric", "previous", "now", "change", "source", "conflict"], rows)


@app.command()
def changes(ctx: typer.Context, as_json: JsonOpt = False,
            since: DateOpt = None,
            kind: Annotated[Optional[ChangeKind], typer.Option(help="Only this kind of change.")] = None) -> None:
    """Recorded change events, oldest first; a conflict says whether it is open, resolved or superseded."""
    since_day = _date(since)
    with command_runtime(ctx) as runtime:
        stored = runtime.store.changes(since=since_day.day if since_day else None, kind=kind)
    _print_stored(stored, as_json, "Changes")


@app.command()
def history(ctx: typer.Context, metric: str, as_json: JsonOpt = False) -> None:
    """Every recorded change of one metric, oldest first."""
    with command_runtime(ctx) as runtime:
        runtime.pipeline.catalog.get(metric)
        stored = runtime.store.history(metric)
    _print_stored(stored, as_json, f"History of {metric}")


@alerts_app.command("pending")
def alerts_pending(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Alerts waiting in the outbox, with their last error and next attempt (local time)."""
    from alerts.figures import figure  # noqa: PLC0415
    from app.records import dump_json, event_json  # noqa: PLC0415
    from flows.output import local_time, print_table  # noqa: PLC0415

    with command_runtime(ctx) as runtime:
        rows = runtime.store.pending(due_only=False)
    if as_json:
        print(dump_json({"id": r.id, "channel": r.channel, "attempts": r.attempts, "last_error": r.last_error,
                         "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
                         "event": event_json(r.event)} for r in rows))
        return
    table = [(r.id, r.channel, r.event.kind, r.event.metric, figure(r.event.claim), r.attempts,
              local_time(r.next_attempt_at) if r.next_attempt_at else "now", r.last_error or "")
             for r in rows]
    print_table(console, "Pending alerts", ["id", "channel", "kind", "metric", "value", "attempts", "next", "error"],
                table)


@alerts_app.command("retry")
def alerts_retry(ctx: typer.Context) -> None:
    """Send every pending alert now, whatever its backoff says; failures stay pending."""
    from app.delivery import deliver_pending  # noqa: PLC0415
    from flows.secrets import secret_resolver  # noqa: PLC0415
    from storage import LEASED  # noqa: PLC0415

    with command_runtime(ctx) as runtime:
        report = deliver_pending(runtime.pipeline, secret_resolver(), due_only=False)
        held = [r for r in runtime.store.pending(due_only=False) if r.status == LEASED]
    console.print(f"alerts: {report.sent} sent, {report.failed} failed")
    if held:  # a running delivery has them; one killed mid-send gives them up when its lease ends
        until = max(r.next_attempt_at for r in held if r.next_attempt_at)
        console.print(f"alerts: {len(held)} held by another delivery run until {until:%Y-%m-%d %H:%M:%S} UTC")
    for error in report.errors:
        console.print(f"  {error}", markup=False)
    if report.failed:
        raise typer.Exit(1)


@alerts_app.command("test")
def alerts_test(ctx: typer.Context) -> None:
    """Send a test message to every configured channel and report each one's result."""
    from alerts.deliver import test_channel  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415
    from flows.secrets import secret_resolver  # noqa: PLC0415

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
           out: Annotated[Optional[str], typer.Option(
               help="The HTML file to write, - for standard output (default: report.html in the data dir).",
           )] = None,
           metric: Annotated[Optional[list[str]], typer.Option(help="Only these metric ids (repeatable).")] = None,
           since: DateOpt = None) -> None:
    """Write one self-contained HTML report: timelines, changes, conflicts and sources."""
    from app.report import render, write_report  # noqa: PLC0415
    from app.runtime import make_data_dir  # noqa: PLC0415

    since_day = _date(since)
    with command_runtime(ctx) as runtime:
        html = render(runtime, metrics=metric or None, since=since_day.day if since_day else None)
        target = Path(out) if out and out != "-" else runtime.data_dir / "report.html"
    if out is None:
        make_data_dir(target.parent)
    if out == "-":
        sys.stdout.write(html)
        return
    size = write_report(html, target)
    console.print(f"report: wrote {target} ({size:,} bytes)", markup=False)


@app.command()
def kinds(as_json: JsonOpt = False) -> None:
    """The source kinds (for the sources file) and channel kinds (for the config), with their keys."""
    from app.kinds import channel_kinds, source_kinds  # noqa: PLC0415
    from app.records import dump_json  # noqa: PLC0415
    from flows.output import print_table  # noqa: PLC0415

    sources, channels = source_kinds(), channel_kinds()
    if as_json:
        print(dump_json([*({"of": "source", **k} for k in sources),
                         *({"of": "channel", **c} for c in channels)]))
        return
    print_table(console, "Source kinds (sources file)", ["kind", "read by", "url", "own keys", "what it is"],
                [(k["kind"], k["read_by"], k["url"], ", ".join(k["keys"]), k["description"])
                 for k in sources])
    print_table(console, "Channel kinds (config: channels)", ["kind", "required", "optional", "what it is"],
                [(c["kind"], ", ".join(c["required"]), ", ".join(c["optional"]), c["description"])
                 for c in channels])


def _register_flow_commands() -> None:
    """The commands that run Prefect flows live beside the flows (flows/commands.py)."""
    from flows.commands import register  # noqa: PLC0415 - keeps this module's imports short

    register(app)


_register_flow_commands()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: project errors become one line on stderr and exit status 1; a stopped run one line too."""
    try:
        app(args=normalised(list(sys.argv[1:] if argv is None else argv), app), prog_name="claimwatch")
    except ClaimwatchError as exc:
        complain(str(exc))
        sys.exit(1)
    except (KeyboardInterrupt, Terminated) as exc:
        stopped(exc.signum if isinstance(exc, Terminated) else signal.SIGINT)
