"""Pipeline keeps each metric's replay state for a run, and it stays correct when others write too."""

from __future__ import annotations

import threading

import pytest
from support.diff import claim

from app.pipeline import Pipeline
from core.config import Config
from core.diff import diff
from core.errors import StorageError
from core.periods import LooseDate
from core.types import ChangeEvent, Claim, Document
from storage import Store

METRIC = "qwen.downloads"  # cumulative, unit count


def _document(source: str, published: str | None = None) -> Document:
    day = LooseDate.parse(published) if published else None
    return Document(source=source, url=source, text="Qwen downloads", publisher="Example News", published=day)


def _ingest(pipeline: Pipeline, source: str, value: str, published: str) -> ChangeEvent:
    said = claim({"metric": METRIC, "value": value, "published": published, "source": source})
    result = pipeline.ingest_claims(_document(source, published), [said], alerts=False)
    (event,) = result.events
    return event


def _diff_from_store(store: Store, claim_: Claim) -> ChangeEvent:
    """The event the pure function gives against everything stored before the claim's own citation."""
    history = store.claims(METRIC)
    before = history[: [c.source for c in history].index(claim_.source)]
    return diff(before, claim_, "cumulative")


def test_events_equal_a_full_replay_of_the_stored_history(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    said = [("a", "700M", "2026-01-01"), ("b", "1B", "2026-01-05"), ("c", "900M", "2026-01-09"),
            ("d", "1B", "2026-01-12"), ("e", "800M", "2025-12-01"), ("f", "1.2B", "2026-02-01")]
    events = [_ingest(pipeline, *s) for s in said]
    # e's 800M is as of before the current figure: an old report, historical (no longer undated, so no conflict)
    assert [str(e.kind) for e in events] == ["new", "updated", "conflict", "confirmed", "historical", "updated"]
    assert events == [_diff_from_store(store, e.claim) for e in events]


def test_a_claim_written_by_another_store_between_ingests_is_seen(store: Store, database_url: str) -> None:
    ours = Pipeline(store, Config())
    _ingest(ours, "a", "700M", "2026-01-01")
    with Store.open(database_url) as other_store:
        _ingest(Pipeline(other_store, Config()), "b", "1B", "2026-01-05")
    event = _ingest(ours, "c", "1B", "2026-01-09")
    assert str(event.kind) == "confirmed"  # against the other writer's 1B, not our own 700M
    assert event.previous is not None and event.previous.source == "b"
    assert event == _diff_from_store(store, event.claim)


def test_concurrent_writers_each_decide_against_the_whole_history(store: Store, database_url: str) -> None:
    decided: list[ChangeEvent] = []

    def write(name: str, values: list[str]) -> None:
        with Store.open(database_url) as own:
            pipeline = Pipeline(own, Config())
            for n, value in enumerate(values):
                decided.append(_ingest(pipeline, f"{name}{n}", value, f"2026-01-{n + 1:02d}"))

    values = ["700M", "1B", "900M", "1B", "1.2B", "1.1B", "1.3B", "1.3B"]
    threads = [threading.Thread(target=write, args=(name, values)) for name in ("x", "y", "z")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(decided) == len(store.claims(METRIC)) == 3 * len(values)
    assert [e for e in decided if e != _diff_from_store(store, e.claim)] == []


def test_a_failed_transaction_leaves_no_learned_claim_behind(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    _ingest(pipeline, "a", "700M", "2026-01-01")
    tracked = claim({"metric": METRIC, "value": "1B", "published": "2026-01-05", "source": "b"})
    with pytest.raises(StorageError):  # an article no longer there: the transaction rolls back
        with store.transaction() as tx:
            pipeline.histories.tracker(tx, METRIC, pipeline.catalog.get(METRIC).kind)
            article = tx.save_article(_document("b"))
            tx.save_claims(article.id, [tracked])
            pipeline.histories.tracker(tx, METRIC, pipeline.catalog.get(METRIC).kind)  # learns b's claim
            tx.save_claims(article.id + 1000, [tracked])
    pipeline.histories.forget()  # what Pipeline.ingest_claims does when its transaction fails
    event = _ingest(pipeline, "c", "1B", "2026-01-09")
    assert str(event.kind) == "updated" and event.previous is not None and event.previous.source == "a"
    assert event == _diff_from_store(store, event.claim)
