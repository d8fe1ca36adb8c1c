"""Storage on SQLite and PostgreSQL: migrations, idempotent writes, facts and citations, outbox, faults."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from core.diff import Conflict
from core.errors import StorageError
from core.periods import LooseDate, Period
from core.types import ChangeEvent, ChangeKind, Claim, Document, Qualifier, SourceState
from storage import SavedClaim, Store
from storage import engine as storage_engine
from storage.columns import ExactDecimal
from storage.engine import make_engine
from storage.migrate import HEAD, current_revision, head_revision
from storage.models import Base
from support.databases import clean_database
from support.storage_race import RACE_CLAIMS, RACE_DOCUMENTS, run_writer

METRIC = "qwen.downloads"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_claim(
    value: str = "700000000",
    *,
    metric: str | None = METRIC,
    unit: str = "count",
    qualifier: Qualifier = Qualifier.OVER,
    period: str | None = None,
    forecast: bool = False,
    start: int = 0,
) -> Claim:
    """A claim with evidence at `start`."""
    evidence = f"Qwen figure {value} {unit}."
    return Claim(
        metric=metric,
        entity="Qwen",
        value=Decimal(value),
        unit=unit,
        qualifier=qualifier,
        period=Period.parse(period) if period else None,
        forecast=forecast,
        evidence=evidence,
        start=start,
        end=start + len(evidence),
        extractor_version="t1",
    )


def make_document(source: str, published: str | None = "2026-01-05", text_: str = "body") -> Document:
    """A document from an outlet."""
    return Document(
        source=source,
        text=text_,
        url=f"https://{source}/a",
        publisher=source.title(),
        published=LooseDate.parse(published) if published else None,
        title="t",
    )


def ingest(store: Store, document: Document, claims: Sequence[Claim]) -> list[SavedClaim]:
    """Save a document and its claims in one transaction."""
    with store.transaction() as tx:
        article = tx.save_article(document)
        return tx.save_claims(article.id, claims)


def count(url: str, table: str) -> int:
    """Rows in a table, counted on a connection of its own."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def record(store: Store, saved: SavedClaim, kind: ChangeKind = ChangeKind.NEW, **fields: object) -> int:
    """Record an event for a saved claim; its id."""
    with store.transaction() as tx:
        return tx.record_event(ChangeEvent(kind=kind, claim=saved.claim, **fields), saved.fact_id).id


# -- migrations ------------------------------------------------------------------------------------------


def test_open_migrates_an_empty_database_to_head(empty_database_url: str) -> None:
    store = Store.open(empty_database_url)
    try:
        with store._engine.connect() as connection:  # noqa: SLF001 - inspecting the schema itself
            assert current_revision(connection) == head_revision() == HEAD
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert store.is_empty()
    finally:
        store.close()
    Store.open(empty_database_url).close()  # a second open finds nothing to do


def test_a_database_at_0001_is_upgraded_keeping_its_rows(empty_database_url: str) -> None:
    """0002 adds where a date came from, the article's text and how a conflict ended; nothing stored is lost."""
    from alembic import command  # noqa: PLC0415

    from storage.migrate import alembic_config  # noqa: PLC0415

    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(text(
            "INSERT INTO articles (source, content_hash, published, published_precision, created_at, updated_at)"
            " VALUES ('https://old.example/a', 'h', '2026-01-02', 'day', '2026-01-03', '2026-01-03')"))
    engine.dispose()
    with Store.open(empty_database_url) as store:
        [old] = store.articles()
        assert (old.info.source, old.info.published, old.info.published_source, old.text) == (
            "https://old.example/a", LooseDate.parse("2026-01-02"), None, None)
        with store.transaction() as tx:
            tx.save_article(Document(source="https://new.example/b", text="Qwen 1B", published_source="page",
                                     published=LooseDate.parse("2026-02-01")))
        assert [a.text for a in store.articles()] == [None, "Qwen 1B"]


def test_two_processes_migrating_at_once_both_succeed(empty_database_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def open_once() -> None:
        barrier.wait()
        try:
            Store.open(empty_database_url).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(empty_database_url, "alembic_version") == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with store._engine.connect() as connection:  # noqa: SLF001
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


# -- articles, facts, citations --------------------------------------------------------------------------


def test_ingesting_a_document_twice_stores_nothing_new(store: Store, database_url: str) -> None:
    document = make_document("reuters.com")
    claims = [make_claim("700000000"), make_claim("34", unit="percent", qualifier=Qualifier.EXACT, start=50)]
    first = ingest(store, document, claims)
    tables = ("articles", "facts", "claims")
    before = {t: count(database_url, t) for t in tables}
    second = ingest(store, document, claims)
    assert before == {"articles": 1, "facts": 2, "claims": 2}
    assert {t: count(database_url, t) for t in tables} == before
    assert [s.new_fact for s in first] == [True, True] and [s.new_citation for s in first] == [True, True]
    assert [s.new_fact for s in second] == [False, False] and [s.new_citation for s in second] == [
        False,
        False,
    ]
    assert [s.claim_id for s in second] == [s.claim_id for s in first]


def test_article_is_new_then_known_then_changed(store: Store) -> None:
    with store.transaction() as tx:
        first = tx.save_article(make_document("a.com", text_="one"))
        again = tx.save_article(make_document("a.com", text_="one"))
        edited = tx.save_article(make_document("a.com", text_="two"))
        assert tx.article_exists("a.com") and not tx.article_exists("b.com")
        assert tx.article_by_source("a.com") == again
        assert tx.article_by_source("b.com") is None
    assert (first.is_new, first.changed) == (True, False)
    assert (again.is_new, again.changed, again.id) == (False, False, first.id)
    assert (edited.is_new, edited.changed, edited.id) == (False, True, first.id)


def test_one_fact_reported_by_several_outlets_is_one_fact_with_citations(
    store: Store, database_url: str
) -> None:
    early = ingest(store, make_document("reuters.com", "2026-01-05"), [make_claim()])[0]
    late = ingest(store, make_document("bloomberg.com", "2026-01-09"), [make_claim(start=40)])[0]
    assert late.fact_id == early.fact_id
    assert (late.new_fact, late.new_citation) == (False, True)
    assert count(database_url, "facts") == 1 and count(database_url, "claims") == 2
    cited = store.citations(early.fact_id)
    assert [(c.source, str(c.published)) for c in cited] == [
        ("reuters.com", "2026-01-05"),
        ("bloomberg.com", "2026-01-09"),
    ]
    assert cited[0].url == "https://reuters.com/a" and cited[0].publisher == "Reuters.Com"
    assert cited[0].evidence == make_claim().evidence


@pytest.mark.parametrize(
    "value", ["22300000000", "35.8", "0.000001", "-4.25", "12345678901234567890123.456789", "44000000000000"]
)
def test_decimal_values_round_trip_exactly(store: Store, value: str) -> None:
    saved = ingest(store, make_document("x.com"), [make_claim(value, unit="CNY", qualifier=Qualifier.EXACT)])[
        0
    ]
    with store.transaction() as tx:
        (back,) = tx.series(METRIC, False)
    assert back.value == Decimal(value)
    assert str(back.value) == value
    assert back == saved.claim


def test_equal_decimals_written_differently_are_one_fact(store: Store) -> None:
    first = ingest(store, make_document("a.com"), [make_claim("35.8", unit="percent")])[0]
    second = ingest(store, make_document("b.com"), [make_claim("35.800", unit="percent")])[0]
    assert second.fact_id == first.fact_id


def test_values_beyond_the_stored_range_are_refused(store: Store) -> None:
    with pytest.raises(StorageError, match="outside the stored range"):
        ingest(store, make_document("a.com"), [make_claim("1e40")])
    assert store.is_empty()  # the failed transaction stored nothing


def test_claims_rebuild_faithfully(store: Store) -> None:
    claim = Claim(
        metric=METRIC,
        entity="Alibaba Cloud",
        value=Decimal("53000000000"),
        unit="USD",
        qualifier=Qualifier.APPROX,
        period=Period.parse("2025-H1"),
        forecast=True,
        evidence="e",
        start=3,
        end=9,
        stated_value=Decimal("380000000000"),
        stated_unit="CNY",
        extractor_version="v9",
    )
    ingest(store, make_document("x.com", "2026-02"), [claim])
    with store.transaction() as tx:
        (back,) = tx.series(METRIC, True)
        assert tx.series(METRIC, False) == []
    assert back.published == LooseDate(date(2026, 2, 1), "month")
    assert back == Claim(**{**claim.__dict__, "source": "x.com", "published": LooseDate.parse("2026-02")})


def test_series_is_every_fact_once_oldest_first(store: Store) -> None:
    ingest(store, make_document("a.com", "2025-12-01"), [make_claim("30", period="2025-Q3")])
    ingest(store, make_document("b.com", "2025-11-01"), [make_claim("10", period="2025-Q1")])
    third = ingest(
        store,
        make_document("c.com", "2026-01-01"),
        [
            make_claim("20", period="2025-Q2"),
            make_claim("10", period="2025-Q1", start=30),
            make_claim("99", period="2025-Q1", forecast=True),
        ],
    )
    with store.transaction() as tx:
        series = tx.series(METRIC, False)
        stored = tx.claims(METRIC, False)
        before_third = tx.claims(METRIC, before=third[1].claim_id)
    assert [(c.value, c.period.label if c.period else None, c.source) for c in series] == [
        (Decimal(10), "2025-Q1", "b.com"),
        (Decimal(20), "2025-Q2", "c.com"),
        (Decimal(30), "2025-Q3", "a.com"),
    ]
    assert [(c.value, c.source) for c in stored] == [
        (Decimal(30), "a.com"),
        (Decimal(10), "b.com"),
        (Decimal(20), "c.com"),
        (Decimal(10), "c.com"),
    ]
    assert len(store.claims(METRIC)) == 5
    assert [(c.value, c.source) for c in before_third] == [(30, "a.com"), (10, "b.com"), (20, "c.com")]


def test_an_older_outlet_moves_a_facts_as_of_back(store: Store) -> None:
    ingest(store, make_document("late.com", "2026-03-01"), [make_claim("700000000")])
    ingest(store, make_document("new.com", "2026-02-01"), [make_claim("900000000")])
    ingest(store, make_document("early.com", "2026-01-01"), [make_claim("700000000")])
    with store.transaction() as tx:
        series = tx.series(METRIC, False)
    assert [(c.value, c.source) for c in series] == [
        (Decimal(700000000), "early.com"),
        (Decimal(900000000), "new.com"),
    ]


# -- current values --------------------------------------------------------------------------------------


def test_conflicts_open_and_close_by_key(store: Store) -> None:
    old = ingest(store, make_document("a.com", "2025-11-20"), [make_claim("390", period="2025-Q3")])[0]
    new = ingest(store, make_document("b.com", "2025-11-25"), [make_claim("410", period="2025-Q3")])[0]
    record(store, new, ChangeKind.CONFLICT, previous=old.claim)
    assert store.changes(kind=ChangeKind.CONFLICT)[0].conflict_open
    settle = ingest(store, make_document("c.com", "2025-12-01"), [make_claim("410", period="2025-Q3")])[0]
    record(store, settle, ChangeKind.CONFIRMED, resolves=(Conflict(old.claim, new.claim).key,))
    conflict = store.changes(kind=ChangeKind.CONFLICT)[0]
    assert (conflict.conflict_open, conflict.event.previous, conflict.event.claim) == (
        False,
        old.claim,
        new.claim,
    )


# -- events and outbox -----------------------------------------------------------------------------------


def test_an_event_is_recorded_once_per_key(store: Store, database_url: str) -> None:
    saved = ingest(store, make_document("a.com"), [make_claim()])[0]
    event = ChangeEvent(kind=ChangeKind.NEW, claim=saved.claim)
    with store.transaction() as tx:
        first = tx.record_event(event, saved.fact_id)
        again = tx.record_event(event)  # the fact is found from the claim
    assert (first.is_new, again.is_new, again.id, again.key) == (True, False, first.id, event.key)
    assert count(database_url, "change_events") == 1


def test_recording_an_event_for_an_unsaved_claim_is_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError, match="save_claims first"), store.transaction() as tx:
        tx.record_event(ChangeEvent(kind=ChangeKind.NEW, claim=make_claim()))


def _queued(store: Store, channels: Sequence[str] = ("email", "hook")) -> tuple[SavedClaim, SavedClaim, int]:
    """Two claims, an 'updated' event between them, queued for `channels`."""
    old = ingest(store, make_document("a.com", "2026-01-05"), [make_claim("700000000")])[0]
    new = ingest(store, make_document("b.com", "2026-02-05"), [make_claim("1000000000")])[0]
    event = ChangeEvent(
        kind=ChangeKind.UPDATED,
        claim=new.claim,
        previous=old.claim,
        change_pct=Decimal("42.857142857"),
        direction="up",
    )
    with store.transaction() as tx:
        ref = tx.record_event(event, new.fact_id)
        assert tx.enqueue(ref.id, list(channels)) == len(channels)
        assert tx.enqueue(ref.id, list(channels)) == 0
    return old, new, ref.id


def test_pending_deliveries_carry_the_event_rebuilt(store: Store, database_url: str) -> None:
    old, new, event_id = _queued(store)
    pending = store.pending(now=T0)
    assert [(p.channel, p.event_id, p.attempts) for p in pending] == [
        ("email", event_id, 0),
        ("hook", event_id, 0),
    ]
    event = pending[0].event
    assert (event.kind, event.claim, event.previous) == (ChangeKind.UPDATED, new.claim, old.claim)
    assert (event.change_pct, event.direction) == (Decimal("42.857143"), "up")
    assert count(database_url, "outbox") == 2
    assert [p.channel for p in store.pending("hook", now=T0)] == ["hook"]


def test_sent_deliveries_leave_and_failed_ones_wait_for_their_time(store: Store) -> None:
    _queued(store)
    email, hook = store.pending(now=T0)
    store.mark_sent([email.id], now=T0)
    store.mark_failed([hook.id], "HTTP 500\n<html>oops</html>", next_attempt_at=T0 + timedelta(minutes=5))
    assert store.pending(now=T0) == []
    (waiting,) = store.pending(now=T0, due_only=False)
    assert (waiting.id, waiting.attempts, waiting.last_error) == (hook.id, 1, "HTTP 500 <html>oops</html>")
    assert waiting.next_attempt_at == T0 + timedelta(minutes=5)
    assert [p.id for p in store.pending(now=T0 + timedelta(minutes=5))] == [hook.id]


def test_a_lease_hides_claimed_deliveries_until_it_ends(store: Store) -> None:
    _queued(store, ["hook"])
    assert len(store.pending(now=T0, lease=timedelta(minutes=10))) == 1
    assert store.pending(now=T0 + timedelta(minutes=9)) == []
    assert len(store.pending(now=T0 + timedelta(minutes=10))) == 1


def test_changes_and_history(store: Store) -> None:
    old, new, _ = _queued(store, ["hook"])
    record(store, old)
    assert [e.event.kind for e in store.changes()] == [ChangeKind.UPDATED, ChangeKind.NEW]
    assert [e.event.kind for e in store.changes(kind=ChangeKind.NEW)] == [ChangeKind.NEW]
    assert store.changes(since=date.today() + timedelta(days=1)) == []
    assert [e.event.claim.source for e in store.history(METRIC)] == ["a.com", "b.com"]
    assert store.history("other.metric") == []


# -- sources, reset, transactions ------------------------------------------------------------------------


def test_source_state_round_trips(store: Store) -> None:
    assert store.source_state("qwen-blog") == SourceState()
    state = SourceState(
        etag='W/"abc"',
        last_modified="Wed, 25 Nov 2026 10:00:00 GMT",
        last_success=T0,
        last_attempt=T0 + timedelta(hours=1),
        consecutive_failures=2,
        last_error="timeout",
        next_poll=T0 + timedelta(hours=2),
    )
    store.register_source("qwen-blog", "feed", "https://qwenlm.github.io/feed.xml", 1800)
    store.save_source_state("qwen-blog", state)
    store.register_source("qwen-blog", "feed", "https://qwenlm.github.io/index.xml", 900)
    (info,) = store.sources()
    assert (info.id, info.kind, info.url, info.interval_seconds) == (
        "qwen-blog",
        "feed",
        "https://qwenlm.github.io/index.xml",
        900,
    )
    assert info.state == state == store.source_state("qwen-blog")


def test_reset_empties_every_table(store: Store, database_url: str) -> None:
    _queued(store)
    store.save_source_state("s", SourceState(consecutive_failures=1))
    assert not store.is_empty()
    store.reset()
    assert store.is_empty() and store.sources() == [] and store.pending(due_only=False) == []
    assert count(database_url, "facts") == 0


def test_an_exception_rolls_the_transaction_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.save_article(make_document("a.com"))
        raise RuntimeError("boom")
    assert store.is_empty()


def test_claims_for_a_missing_article_are_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError, match="no article"), store.transaction() as tx:
        tx.save_claims(12345, [make_claim()])


# -- faults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["postgresql://postgres:s3cret@127.0.0.1:1/claimwatch", "mysql://db/x", "nonsense"]
)
def test_unusable_database_urls_are_one_line_storage_errors(url: str) -> None:
    with pytest.raises(StorageError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message
    assert caught.value.__cause__ is None or not isinstance(caught.value.__cause__, StorageError)


def _hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> None:
    """Hold SQLite's writer lock from another connection for a while."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO sources (id, kind, consecutive_failures) VALUES ('holder', '', 0)")
    locked.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


def _while_locked(path: Path, seconds: float, store: Store) -> float:
    """Write through the store while another connection holds the lock; the seconds the write took."""
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, seconds, locked))
    holder.start()
    locked.wait()
    started = time.monotonic()
    try:
        ingest(store, make_document("a.com"), [make_claim()])
    finally:
        holder.join()
    return time.monotonic() - started


def test_sqlite_write_waits_out_a_lock_with_retries(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = Store.open(f"sqlite:///{path}", busy_timeout_ms=50)  # busy_timeout alone gives up long before
    took = _while_locked(path, 0.8, store)
    assert took >= 0.7
    assert not store.is_empty() and store.source_state("holder") == SourceState()
    store.close()


def test_sqlite_lock_that_outlasts_the_retries_is_a_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_engine, "LOCK_BACKOFF_SECONDS", 0.01)
    path = tmp_path / "db.sqlite"
    store = Store.open(f"sqlite:///{path}", busy_timeout_ms=20)
    with pytest.raises(StorageError, match="database is locked"):
        _while_locked(path, 1.5, store)
    assert store.is_empty()
    store.close()


@pytest.mark.postgres
def test_concurrent_writers_on_postgres_make_no_duplicates(postgres_database: str) -> None:
    clean_database(postgres_database)
    store = Store.open(postgres_database)
    claims = [make_claim(str(700 + i), start=40 * i) for i in range(8)]
    failures: list[BaseException] = []
    for round_ in range(6):
        document = make_document(f"outlet{round_}.com")
        _race(store, document, claims, failures)
    store.close()
    assert failures == []
    assert [
        count(postgres_database, t) for t in ("articles", "facts", "claims", "change_events", "outbox")
    ] == [6, 8, 48, 8, 8]


def _race(store: Store, document: Document, claims: list[Claim], failures: list[BaseException]) -> None:
    """Four writers store one document, its claims, events and alerts at the same moment."""
    barrier = threading.Barrier(4)

    def write() -> None:
        barrier.wait()
        try:
            for saved in ingest(store, document, claims):
                with store.transaction() as tx:
                    ref = tx.record_event(ChangeEvent(kind=ChangeKind.NEW, claim=saved.claim), saved.fact_id)
                    tx.enqueue(ref.id, ["hook"])
        except BaseException as exc:  # collected and asserted by the caller
            failures.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_exact_decimal_column_rounds_to_its_scale() -> None:
    column = ExactDecimal()
    assert column.process_bind_param(Decimal("1.23456789"), make_engine("sqlite://").dialect) == "1.234568"
    assert column.process_result_value("22300000000.000000", make_engine("sqlite://").dialect) == Decimal(
        "22300000000"
    )
    assert str(column.process_result_value(Decimal("35.800000"), make_engine("sqlite://").dialect)) == "35.8"


def test_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'claimwatch' / 'claimwatch.db'}")
    assert store.is_empty() and (tmp_path / "data" / "claimwatch" / "claimwatch.db").exists()
    store.close()


def test_sqlite_reads_go_on_while_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = Store.open(f"sqlite:///{path}", busy_timeout_ms=50)
    ingest(store, make_document("a.com"), [make_claim()])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("DELETE FROM outbox")
    started = time.monotonic()
    assert [c.source for c in store.claims(METRIC)] == ["a.com"]
    assert time.monotonic() - started < 0.5  # WAL: readers never wait for the writer
    holder.execute("ROLLBACK")
    holder.close()
    store.close()


@pytest.mark.postgres
def test_concurrent_leases_on_postgres_share_out_deliveries(postgres_database: str) -> None:
    clean_database(postgres_database)
    store = Store.open(postgres_database)
    _queued(store, [f"channel{i}" for i in range(12)])
    taken: list[list[int]] = []
    barrier = threading.Barrier(3)

    def take() -> None:
        barrier.wait()
        taken.append([p.id for p in store.pending(now=T0, lease=timedelta(minutes=5))])

    threads = [threading.Thread(target=take) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    every = [i for ids in taken for i in ids]
    assert len(every) == len(set(every)) == 12


@pytest.mark.postgres
def test_two_writer_processes_on_postgres_make_no_duplicates(postgres_database: str) -> None:
    clean_database(postgres_database)
    Store.open(postgres_database).close()
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # both processes are importing by then
    writers = [context.Process(target=run_writer, args=(postgres_database, start_at)) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert [w.exitcode for w in writers] == [0, 0]
    expected = [RACE_DOCUMENTS, RACE_CLAIMS, RACE_DOCUMENTS * RACE_CLAIMS, RACE_CLAIMS, 2 * RACE_CLAIMS]
    tables = ("articles", "facts", "claims", "change_events", "outbox")
    assert [count(postgres_database, t) for t in tables] == expected


def test_article_info_and_event_citations(store: Store) -> None:
    first = ingest(store, make_document("reuters.com", "2026-01-05"), [make_claim()])[0]
    ingest(store, make_document("bloomberg.com", "2026-01-09"), [make_claim(start=40)])
    info = store.article_info(["reuters.com", "unknown.example", "reuters.com"])
    assert list(info) == ["reuters.com"]
    assert (info["reuters.com"].url, info["reuters.com"].publisher) == (
        "https://reuters.com/a",
        "Reuters.Com",
    )
    assert info["reuters.com"].published == LooseDate.parse("2026-01-05")
    event = ChangeEvent(kind=ChangeKind.NEW, claim=first.claim)
    assert [c.source for c in store.event_citations(event)] == ["reuters.com", "bloomberg.com"]
    unknown = ChangeEvent(kind=ChangeKind.NEW, claim=make_claim("1"))
    assert store.event_citations(unknown) == []


def test_an_event_without_claim_id_points_at_its_own_citation(store: Store) -> None:
    ingest(store, make_document("a.com", "2026-01-05"), [make_claim()])
    later = ingest(store, make_document("b.com", "2026-02-05"), [make_claim(start=40)])[0]
    anonymous = Claim(**{**later.claim.__dict__, "source": ""})  # as an extractor may hand it over
    with store.transaction() as tx:
        tx.record_event(ChangeEvent(kind=ChangeKind.CONFIRMED, claim=anonymous), later.fact_id)
    assert store.changes()[0].event.claim.source == "b.com"


def test_article_info_takes_more_sources_than_one_statement_may_bind(store: Store) -> None:
    """70,000 URLs (a huge feed's): PostgreSQL refused them in one statement (65,535 parameters at most)."""
    wanted = [f"https://news.example.com/n/{n}" for n in range(70_000)]
    assert store.article_info(wanted) == {}
