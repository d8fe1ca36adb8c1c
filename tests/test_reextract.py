"""``claimwatch reextract``: stored articles read again by the current extractor, on SQLite and PostgreSQL.

An "older extractor" is played by storing an article's text with the claims it would have read
(``Pipeline.ingest_claims``): a mis-read figure, or nothing where the current extractor finds a figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from app.pipeline import Pipeline
from app.reextract import reextract
from core.config import Config
from core.diff import current, open_conflicts
from core.periods import LooseDate, Period
from core.types import Claim, Document, MetricKind, Qualifier
from extractors.claims import EXTRACTOR_VERSION
from storage import Store
from storage.models import ArticleRow

REVENUE = "alibaba_cloud.revenue"
RESULTS = "Alibaba Cloud revenue grew 34% year on year to RMB39.8 billion in the September quarter of 2025."


def _document(source: str, text: str, published: str) -> Document:
    return Document(source=source, url=source, text=text, publisher="Example", published=LooseDate.parse(published))


def _misread(document: Document, metric: str, value: str, unit: str, period: str | None) -> Claim:
    """What an older extractor might have read in the document's first sentence."""
    return Claim(metric=metric, entity="alibaba_cloud", value=Decimal(value), unit=unit,
                 qualifier=Qualifier.EXACT, period=Period.parse(period) if period else None, forecast=False,
                 evidence=document.text, start=0, end=len(document.text), source=document.source,
                 published=document.published, extractor_version="claims-1")


def _shown(store: Store, metric: str, kind: MetricKind) -> Decimal | None:
    found = current(store.claims(metric), kind)
    return found.value if found else None


def test_a_misread_figure_is_one_change_and_the_value_shown_follows(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    page = _document("https://news.example/q3", RESULTS, "2025-11-26")
    # the range "2025 to 39.8 billion" once read as CNY 2.03 trillion, and the growth missed altogether
    pipeline.ingest_claims(page, [_misread(page, REVENUE, "2030000000000", "CNY", "2025-Q3")], alerts=False)
    assert _shown(store, REVENUE, MetricKind.FLOW) == Decimal("2030000000000")

    trial = reextract(pipeline, dry_run=True)
    assert [(r.change, r.old.value if r.old else None, r.new.value if r.new else None) for r in trial.revisions] \
        == [("changed", Decimal("2030000000000"), Decimal("39800000000")), ("appeared", None, Decimal("34"))]
    assert _shown(store, REVENUE, MetricKind.FLOW) == Decimal("2030000000000")  # a dry run stores nothing
    assert store.revisions() == []

    result = reextract(pipeline)
    assert [(s.metric, s.before.value if s.before else None, s.after.value if s.after else None)
            for s in result.series] == [(REVENUE, Decimal("2030000000000"), Decimal("39800000000")),
                                         ("alibaba_cloud.revenue_growth_yoy", None, Decimal("34"))]
    assert _shown(store, REVENUE, MetricKind.FLOW) == Decimal("39800000000")
    assert all(e.claim.value != Decimal("2030000000000") for e in (s.event for s in store.changes()))
    assert [(r.change, r.metric, r.old_version, r.new_version) for r in store.revisions(result.run)] == [
        ("changed", REVENUE, "claims-1", EXTRACTOR_VERSION),
        ("appeared", "alibaba_cloud.revenue_growth_yoy", "", EXTRACTOR_VERSION)]
    assert store.pending(due_only=False) == []  # recorded, not alerted
    assert {c.extractor_version for c in store.all_claims()} == {EXTRACTOR_VERSION}

    again = reextract(pipeline)
    assert (again.articles, again.revised, again.revisions) == (1, 0, ())


def test_a_figure_found_in_an_old_article_is_historical(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    pipeline.ingest(_document("https://news.example/new", "Qwen models have passed 1 billion downloads.", "2026-02-01"))
    old = _document("https://news.example/old", "Qwen models have passed 700 million downloads.", "2025-09-01")
    pipeline.ingest_claims(old, [], alerts=False)  # the older extractor read nothing in it

    result = reextract(pipeline, alert=True)
    [revision] = result.revisions
    assert (revision.change, revision.new.value if revision.new else None) == ("appeared", Decimal("700000000"))
    assert revision.event is not None and str(revision.event.kind) == "historical"
    assert _shown(store, "qwen.downloads", MetricKind.CUMULATIVE) == Decimal("1000000000")
    assert result.queued == 0


def test_alert_sends_only_the_last_change_of_each_metric(store: Store) -> None:
    config = Config.model_validate({"channels": [{"name": "ops", "kind": "webhook", "url": "https://hooks.example/x"}]})
    pipeline = Pipeline(store, config)
    pipeline.ingest(_document("https://news.example/a", "Qwen models have passed 700 million downloads.", "2025-09-01"),
                    alerts=False)
    for source, text, day in [("https://news.example/b", "Qwen has passed 1 billion downloads.", "2026-01-10"),
                              ("https://news.example/c", "Qwen has passed 1.3 billion downloads.", "2026-03-10")]:
        pipeline.ingest_claims(_document(source, text, day), [], alerts=False)

    result = reextract(pipeline, alert=True)
    assert [str(r.event.kind) for r in result.revisions if r.event] == ["updated", "updated"]
    [pending] = store.pending(due_only=False)
    assert (pending.channel, pending.event.claim.value) == ("ops", Decimal("1300000000"))
    assert result.queued == 1


def test_a_conflict_that_loses_a_side_is_closed_as_withdrawn(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    page = _document("https://news.example/a", RESULTS, "2025-11-26")
    pipeline.ingest_claims(page, [_misread(page, REVENUE, "42000000000", "CNY", "2025-Q3")], alerts=False)
    pipeline.ingest(_document("https://news.example/b", RESULTS, "2025-11-27"), alerts=False)
    [conflict] = [e for e in store.changes() if str(e.event.kind) == "conflict"]
    assert conflict.conflict_open and conflict.event.claim.source == "https://news.example/b"

    reextract(pipeline)
    [closed] = [e for e in store.changes() if e.id == conflict.id]  # the side still stated keeps its event
    assert (closed.conflict_open, closed.conflict_outcome) == (False, "withdrawn")
    assert open_conflicts(store.claims(REVENUE), MetricKind.FLOW) == []
    assert _shown(store, REVENUE, MetricKind.FLOW) == Decimal("39800000000")


def test_since_and_articles_stored_without_their_text(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    for source, day in [("https://news.example/a", "2025-06-01"), ("https://news.example/b", "2025-12-01"),
                        ("https://news.example/c", "2026-01-05")]:
        pipeline.ingest_claims(_document(source, RESULTS, day), [], alerts=False)
    store._write(lambda s: s.execute(  # noqa: SLF001 - an article stored before texts were kept
        update(ArticleRow).where(ArticleRow.source == "https://news.example/c").values(text=None)))

    result = reextract(pipeline, since=LooseDate.parse("2025-12").day)
    assert (result.articles, result.without_text, result.revised) == (1, 1, 1)
    assert {r.source for r in result.revisions} == {"https://news.example/b"}


def test_the_value_shown_does_not_depend_on_the_order_articles_arrive(database_url: str) -> None:
    share = "alibaba_cloud.china_ai_cloud_share"
    documents = [  # two outlets on one day disagree on a share and on a quarter's revenue
        _document("https://a.example/1", "Alibaba Cloud holds a 35% share of China's AI cloud market.", "2025-11-26"),
        _document("https://b.example/1", "Alibaba Cloud holds a 33% share of China's AI cloud market.", "2025-11-26"),
        _document("https://a.example/2", RESULTS, "2025-11-28"),
        _document("https://b.example/2", "Alibaba Cloud revenue was RMB 42 billion in the September quarter "
                                         "of 2025, a report said.", "2025-11-28"),
        _document("https://c.example/1", "Qwen models have passed 700 million downloads.", "2025-09-01"),
    ]
    shown = []
    for order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [1, 0, 3, 4, 2]):
        with Store.open(database_url) as store:
            store.reset()
            pipeline = Pipeline(store, Config())
            for index in order:
                pipeline.ingest(documents[index], alerts=False)
            shown.append({(metric, forecast): _value_and_source(store, metric, kind, forecast)
                          for metric, kind in [(REVENUE, MetricKind.FLOW), (share, MetricKind.LEVEL)]
                          for forecast in (False, True)})
    assert shown[0] == shown[1] == shown[2]
    assert shown[0][(share, False)] is not None and shown[0][(REVENUE, False)] is not None


def _value_and_source(store: Store, metric: str, kind: MetricKind, forecast: bool) -> tuple[Decimal, str] | None:
    found = current(store.claims(metric), kind, forecast=forecast)
    return (found.value, found.source) if found else None


CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))


def test_the_command_prints_a_summary_and_refuses_a_bad_date(tmp_path: Path) -> None:
    env = {**os.environ, "CLAIMWATCH_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("CLAIMWATCH_CONFIG", None)
    page = tmp_path / "q3.txt"
    page.write_text(RESULTS, encoding="utf-8")
    run = lambda *args: subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, env=env,  # noqa: E731
                                       timeout=120, check=False)
    assert run("ingest", "--no-alerts", "--published", "2025-11-26", str(page)).returncode == 0
    done = run("reextract", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    [summary] = json.loads(done.stdout)
    assert (summary["dry_run"], summary["revised"], summary["extractor_version"]) == (True, 0, EXTRACTOR_VERSION)
    assert summary["articles"] >= 6  # the baseline's five seeds and the page
    bad = run("reextract", "--since", "yesterday")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()] and "--since" in bad.stderr
    assert "reextract: read" in run("reextract").stdout


def test_revisions_are_exported(store: Store) -> None:
    from app.export import export_lines  # noqa: PLC0415

    pipeline = Pipeline(store, Config())
    pipeline.ingest_claims(_document("https://news.example/q3", RESULTS, "2025-11-26"), [], alerts=False)
    reextract(pipeline)
    records = [json.loads(line) for line in export_lines(store)]
    revisions = [r for r in records if r["type"] == "revision"]
    assert {(r["change"], r["metric"], r["new"]["value"]) for r in revisions} == {
        ("appeared", REVENUE, "39800000000"), ("appeared", "alibaba_cloud.revenue_growth_yoy", "34")}
    assert all(r["event"] == "new" for r in revisions)


def test_a_revision_needs_a_tracked_side(store: Store) -> None:
    from core.errors import StorageError  # noqa: PLC0415

    pipeline = Pipeline(store, Config())
    pipeline.ingest_claims(_document("https://news.example/q3", RESULTS, "2025-11-26"), [], alerts=False)
    untracked = replace(_misread(_document("s", RESULTS, "2025-11-26"), REVENUE, "1", "CNY", None), metric=None)
    with pytest.raises(StorageError, match="tracked claim"), store.transaction() as tx:
        tx.record_revision("run", 1, None, untracked)
