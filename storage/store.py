"""The store: opens (and migrates) the database, hands out transactions, answers reads and outbox calls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import StorageError
from core.types import ChangeEvent, ChangeKind, Claim, SourceState
from storage import locks, queries
from storage.engine import (
    BEGIN_MODE,
    SQLITE_BUSY_TIMEOUT_MS,
    describe,
    make_engine,
    retry_locked,
    safe_url,
    translated,
)
from storage.migrate import upgrade
from storage.models import (
    DATA_TABLES,
    ArticleRow,
    Base,
    ClaimRow,
    EventRow,
    GoogleNewsLinkRow,
    OutboxRow,
    SourceRow,
    utcnow,
)
from storage.results import (
    ArticleInfo,
    Citation,
    Counts,
    PendingDelivery,
    SourceInfo,
    StoredArticle,
    StoredEvent,
    StoredRevision,
)
from storage.rows import state_from_row, state_values
from storage.transaction import Transaction
from storage.upsert import insert_ignore

ARTICLES_PAGE = 200  # articles read per transaction when all are read: a page of whole texts stays small
MAX_ERROR_CHARS = 1000  # a delivery error is one line for people; a whole HTML error page is not
LEASED = "sending"  # outbox status of rows a delivery run has taken; theirs until next_attempt_at
T = TypeVar("T")


class Store:
    """claimwatch's database: SQLite or PostgreSQL, the same behaviour on both."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(
            engine.execution_options(**{BEGIN_MODE: "DEFERRED"}), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Store:
        """Connect and migrate to the newest schema; StorageError when the database is unusable."""
        engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StorageError(f"cannot open database {safe_url(engine.url)}: {describe(exc)}") from exc
        return cls(engine)

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Transaction]:
        """One database transaction: committed when the block ends, rolled back when it raises.

        A ``dry_run`` is always rolled back: its reads see its own writes, and nothing stays.
        """
        with self._unit(commit=not dry_run) as session:
            yield Transaction(session)

    @contextmanager
    def _unit(self, *, commit: bool = True) -> Iterator[Session]:
        """A write session: begun (retried while SQLite is locked), committed on success, else rolled back."""
        session = translated(retry_locked)(self._begin_write)
        try:
            yield session
            translated(session.commit if commit else session.rollback)()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _begin_write(self) -> Session:
        """A session whose transaction has begun (on SQLite: holding the writer lock)."""
        session = self._writer()
        try:
            session.connection()
        except BaseException:
            session.close()
            raise
        return session

    @translated
    def _read(self, work: Callable[[Session], T]) -> T:
        """Run a read on its own short transaction."""
        with self._reader() as session:
            return work(session)

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run a write on its own transaction, retried while SQLite is locked."""
        with self._unit() as session:
            return translated(work)(session)

    # -- reads -------------------------------------------------------------------------------------------

    def claims(self, metric: str, forecast: bool | None = None) -> list[Claim]:
        """Every stored citation of a metric in the order stored (for core.diff.replay/current)."""
        return self._read(lambda s: queries.claims(s, metric, forecast))

    def changes(self, since: date | None = None, kind: ChangeKind | None = None) -> list[StoredEvent]:
        """Change events recorded since a day (UTC), optionally of one kind, oldest first."""
        return self._read(lambda s: queries.changes(s, since, kind))

    def history(self, metric: str, forecast: bool | None = None) -> list[StoredEvent]:
        """A metric's change events in the order of their figures' as-of."""
        return self._read(lambda s: queries.history(s, metric, forecast))

    def citations(self, fact_id: int) -> list[Citation]:
        """Every outlet that stated a fact, earliest published first."""
        return self._read(lambda s: queries.citations(s, fact_id))

    def event_citations(self, event: ChangeEvent) -> list[Citation]:
        """Every outlet that stated the event's figure (its own source included), earliest published first."""
        return self._read(lambda s: queries.claim_citations(s, event.claim))

    def article_info(self, sources: Sequence[str]) -> dict[str, ArticleInfo]:
        """What is stored about the articles with these sources, by source; unknown sources are left out."""
        return self._read(lambda s: queries.articles(s, sources))

    def is_empty(self) -> bool:
        """Whether no article has been stored yet."""
        return self._read(lambda s: s.execute(select(ArticleRow.id).limit(1)).first() is None)

    def counts(self) -> Counts:
        """How many articles, claims and change events are stored."""
        def count(session: Session, model: type[Base]) -> int:
            return session.execute(select(func.count()).select_from(model)).scalar_one()

        return self._read(lambda s: Counts(count(s, ArticleRow), count(s, ClaimRow), count(s, EventRow)))

    def articles(self) -> Iterator[StoredArticle]:
        """Every stored article with its text, in the order stored, read a page at a time."""
        after = 0
        while page := self._read(lambda s: queries.stored_articles(s, after, ARTICLES_PAGE)):
            yield from page
            after = page[-1].info.id

    def article_infos(self) -> list[ArticleInfo]:
        """Every stored article without its text, in the order stored."""
        return self._read(queries.article_infos)

    def article_text(self, article_id: int) -> str | None:
        """One article's stored text; None when it has none."""
        return self._read(lambda s: queries.article_text(s, article_id))

    def revisions(self, run: str | None = None) -> list[StoredRevision]:
        """What re-extractions changed (one run's, or all), in the order recorded."""
        return self._read(lambda s: queries.revisions(s, run))

    def all_claims(self) -> list[Claim]:
        """Every stored citation, tracked or not, in the order stored."""
        return self._read(queries.all_claims)

    def reset(self) -> None:
        """Delete every row of every table (the schema stays)."""
        tables = [Base.metadata.tables[name] for name in DATA_TABLES]
        self._write(lambda s: [s.execute(delete(table)) for table in tables])

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold a named lock on this database, across processes, until the block ends."""
        with locks.exclusive(self._engine, name):
            yield

    # -- sources -----------------------------------------------------------------------------------------

    def register_source(
        self, source_id: str, kind: str, url: str | None, interval_seconds: int | None
    ) -> None:
        """Record what a source is; its polling state is kept."""
        details = {"kind": kind, "url": url, "interval_seconds": interval_seconds}
        self._write(lambda s: _upsert_source(s, source_id, details))

    def source_state(self, source_id: str) -> SourceState:
        """A source's polling state (empty for a source never polled)."""
        return self._read(lambda s: state_from_row(s.get(SourceRow, source_id)))

    def source_states(self, source_ids: Iterable[str]) -> dict[str, SourceState]:
        """Several sources' polling states in one read, by id (empty for a source never polled)."""
        wanted = list(source_ids)

        def read(s: Session) -> dict[str, SourceState]:
            rows = {r.id: r for r in s.execute(select(SourceRow).where(SourceRow.id.in_(wanted))).scalars()}
            return {i: state_from_row(rows.get(i)) for i in wanted}

        return self._read(read)

    def save_source_state(self, source_id: str, state: SourceState) -> None:
        """Store a source's polling state after a poll."""
        self._write(lambda s: _upsert_source(s, source_id, state_values(state)))

    def save_source_states(self, states: Mapping[str, SourceState]) -> None:
        """Store several sources' polling states in one transaction (one per poll run, not per source)."""

        def write(s: Session) -> None:
            for source_id, state in states.items():
                _upsert_source(s, source_id, state_values(state))

        if states:
            self._write(write)

    def sources(self) -> list[SourceInfo]:
        """Every known source with its state, by id."""
        return self._read(
            lambda s: [
                _source_info(row) for row in s.execute(select(SourceRow).order_by(SourceRow.id)).scalars()
            ]
        )

    def source_counts(self) -> dict[str, tuple[int, int]]:
        """(articles, claims) contributed by each polled source, by source id."""
        return self._read(queries.source_counts)

    # -- Google News links ------------------------------------------------------------------------------

    def google_news_link(self, article_id: str) -> str | None:
        """The publisher URL a Google News article id was resolved to; None when never resolved."""
        query = select(GoogleNewsLinkRow.url).where(GoogleNewsLinkRow.article_id == article_id)
        return self._read(lambda s: s.execute(query).scalar_one_or_none())

    def save_google_news_link(self, article_id: str, url: str) -> None:
        """Remember where a Google News article id leads (an id already known keeps its first answer)."""
        values = {"article_id": article_id, "url": url, "resolved_at": utcnow()}
        self._write(lambda s: insert_ignore(s, GoogleNewsLinkRow, values, ["article_id"]))

    # -- outbox ------------------------------------------------------------------------------------------

    def pending(
        self,
        channel: str | None = None,
        now: datetime | None = None,
        *,
        due_only: bool = True,
        lease: timedelta | None = None,
    ) -> list[PendingDelivery]:
        """Unsent deliveries (due ones unless due_only=False), oldest first, each with its event rebuilt.

        With a `lease`, the rows are claimed: they become ``sending`` and their next attempt moves to now +
        lease in the same transaction, so a concurrent run does not lease them (not even with due_only=False,
        as ``alerts retry`` asks), and a run that dies leaves them due again when the lease ends.
        """
        moment = now or utcnow()
        return self._write(lambda s: _take_pending(s, channel, moment, due_only, lease))

    def mark_sent(self, ids: Sequence[int], now: datetime | None = None) -> None:
        """Record deliveries as sent."""
        values = {
            "status": "sent",
            "sent_at": now or utcnow(),
            "last_error": None,
            "attempts": OutboxRow.attempts + 1,
            "next_attempt_at": None,
        }
        self._write(lambda s: _update_outbox(s, ids, values))

    def release(self, ids: Sequence[int]) -> None:
        """Give leased deliveries back untried (a stopped run): pending, and due at once."""
        self._write(lambda s: _update_outbox(s, ids, {"status": "pending", "next_attempt_at": None}))

    def mark_failed(self, ids: Sequence[int], error: str, next_attempt_at: datetime | None) -> None:
        """Record a failed attempt; the deliveries stay pending until `next_attempt_at`."""
        line = " ".join(error.split())[:MAX_ERROR_CHARS]
        values = {
            "status": "failed",
            "last_error": line,
            "attempts": OutboxRow.attempts + 1,
            "next_attempt_at": next_attempt_at,
        }
        self._write(lambda s: _update_outbox(s, ids, values))


def _update_outbox(session: Session, ids: Sequence[int], values: dict[str, object]) -> None:
    """Set ``values`` on the outbox rows with these ids."""
    for chunk in queries.chunked(list(ids)):
        session.execute(update(OutboxRow).where(OutboxRow.id.in_(chunk)).values(**values))


def _upsert_source(session: Session, source_id: str, values: dict[str, object]) -> None:
    """Create the source row when missing, then set `values` on it."""
    insert_ignore(session, SourceRow, {"id": source_id, "kind": "", "consecutive_failures": 0}, ["id"])
    session.execute(update(SourceRow).where(SourceRow.id == source_id).values(**values))


def _source_info(row: SourceRow) -> SourceInfo:
    """A sources row as a SourceInfo."""
    return SourceInfo(
        id=row.id,
        kind=row.kind,
        url=row.url,
        interval_seconds=row.interval_seconds,
        state=state_from_row(row),
    )


def _take_pending(
    session: Session, channel: str | None, now: datetime, due_only: bool, lease: timedelta | None
) -> list[PendingDelivery]:
    """Select unsent rows (skipping rows another run has locked or leased), optionally leasing them."""
    query = select(OutboxRow).where(OutboxRow.status != "sent").order_by(OutboxRow.id)
    if channel is not None:
        query = query.where(OutboxRow.channel == channel)
    waiting = OutboxRow.next_attempt_at.is_(None) | (OutboxRow.next_attempt_at <= now)
    if due_only:
        query = query.where(waiting)
    elif lease is not None:  # taking every row (alerts retry) still leaves those a running delivery holds
        query = query.where((OutboxRow.status != LEASED) | waiting)
    rows = list(session.execute(query.with_for_update(skip_locked=True)).scalars())
    result = [_delivery(session, row) for row in rows]
    if lease is not None and rows:
        leased = {"status": LEASED, "next_attempt_at": now + lease}
        for chunk in queries.chunked([r.id for r in rows]):
            session.execute(update(OutboxRow).where(OutboxRow.id.in_(chunk)).values(**leased))
    return result


def _delivery(session: Session, row: OutboxRow) -> PendingDelivery:
    """An outbox row with its event rebuilt."""
    event = queries.change_event(session, session.get_one(EventRow, row.event_id))
    return PendingDelivery(
        id=row.id,
        channel=row.channel,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        event_id=row.event_id,
        event=event,
    )
