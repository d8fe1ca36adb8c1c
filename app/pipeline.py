"""One document through the whole path: extract → normalise → diff → store → outbox.

The CLI and the Prefect flows both call this; it holds no Prefect and no SQL of its own.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from alerts.filters import wants
from core.config import Config
from core.currency import RateTable, normalise
from core.diff import Tracker
from core.errors import ConfigError
from core.published import PublishedSource, check_not_future, first_seen
from core.types import ALERTING_KINDS, ChangeEvent, Claim, Document, FxRate, MetricKind
from extractors.catalog import Catalog, load_catalog
from extractors.claims import extract_claims
from extractors.fx import stated_rates
from storage import ArticleRef, EventRef, Store, Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What one document added: its claims, and the change events they caused."""

    source: str
    new_article: bool
    claims: tuple[Claim, ...]
    events: tuple[ChangeEvent, ...]
    queued: int = 0  # outbox rows written


@dataclass
class _Known:
    """A metric's replay state and the id of the last stored claim it has learned."""

    tracker: Tracker
    high_water: int = 0


class Histories:
    """Each metric's replay state for the life of a run, caught up with the database inside each transaction.

    Re-reading and replaying a metric's whole history for every claim grew with history (~0.1 s per
    ingest at 1,900 claims); here each transaction reads only the claims stored since the state's
    high-water mark, so claims written by other processes are learned before deciding. This holds
    because a metric's claims commit in id order (``Transaction.lock_series``, taken by the ingest);
    a state that may have learned a rolled-back claim is dropped (``forget``). The events are always
    those of ``core.diff.diff`` over the stored history.
    """

    def __init__(self) -> None:
        self._known: dict[str, _Known] = {}

    def tracker(self, tx: Transaction, metric: str, kind: MetricKind) -> Tracker:
        """The metric's state with every claim this transaction sees, in the order stored."""
        known = self._known.setdefault(metric, _Known(Tracker(kind)))
        for claim_id, claim in tx.claims_after(metric, known.high_water):
            known.tracker.add(claim)
            known.high_water = claim_id
        return known.tracker

    def forget(self) -> None:
        """Drop every state (after a failed transaction whose claims a state may have learned)."""
        self._known.clear()


@dataclass
class Pipeline:
    """The pieces one ingest needs, built once per run."""

    store: Store
    config: Config
    # None: the shipped catalog with the config's user catalog (`catalog`), loaded when the pipeline is made
    catalog: Catalog = None  # type: ignore[assignment]
    rates: RateTable = field(default_factory=RateTable.bundled)
    histories: Histories = field(default_factory=Histories, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Load the configured catalog when none was given."""
        if self.catalog is None:
            self.catalog = load_catalog(user=self.config.catalog)

    def ingest(self, document: Document, *, alerts: bool = True) -> IngestResult:
        """Extract a document's claims, diff each against history, store them and queue alerts."""
        document = trusted_date(document)  # before extracting: the date settles which periods are over
        return self.ingest_claims(document, extract_claims(document, self.catalog), alerts=alerts)

    def ingest_claims(self, document: Document, claims: Sequence[Claim], *, alerts: bool = True,
                      source_id: str | None = None) -> IngestResult:
        """Store a document with claims already extracted (the flows extract in worker tasks).

        InputError, storing nothing, when its publication date is in the future (CHANGES.md).
        """
        document = trusted_date(document)
        tracked = self.normalised(document, claims)
        with self._lock:  # the histories follow one transaction at a time
            article, recorded = self._write(document, claims, tracked, alerts, source_id)
        events = tuple(event for event, _ in filter(None, recorded))
        queued = sum(count for _, count in filter(None, recorded))
        return IngestResult(document.source, article.is_new, tuple(claims), events, queued)

    def _write(self, document: Document, claims: Sequence[Claim], tracked: Sequence[Claim], alerts: bool,
               source_id: str | None) -> tuple[ArticleRef, list[tuple[ChangeEvent, int] | None]]:
        """One transaction: the article, each tracked claim with its event, the untracked claims."""
        try:
            with self.store.transaction() as tx:
                tx.lock_series([c.metric for c in tracked if c.metric is not None])
                article = tx.save_article(document, source_id=source_id)
                recorded = [self._record(tx, article.id, claim, alerts) for claim in tracked]
                tx.save_claims(article.id, [c for c in claims if c.metric is None])
        except BaseException:
            self.histories.forget()  # they may have learned claims that were rolled back
            raise
        return article, recorded

    def normalised(self, document: Document, claims: Sequence[Claim]) -> list[Claim]:
        """Tracked claims in the metric's unit, one per fact, oldest as-of first."""
        stated = stated_rates(document, list(claims))
        facts: dict[tuple[object, ...], Claim] = {}
        for claim in claims:
            if claim.metric is not None and claim.metric in self.catalog.metrics:
                converted = self._convert(claim, stated)
                facts.setdefault(fact_key(converted), converted)
        return sorted(facts.values(), key=lambda c: c.as_of or date.min)

    def _convert(self, claim: Claim, stated: Sequence[FxRate]) -> Claim:
        """The claim in its metric's unit; as stated when no rate is known for its date."""
        try:
            return normalise(claim, self.catalog.get(claim.metric).unit, stated, self.rates)
        except ConfigError as exc:
            log.warning("%s: %s kept in %s: %s", claim.source, claim.metric, claim.unit, exc)
            return claim

    def _record(
        self, tx: Transaction, article_id: int, claim: Claim, alerts: bool
    ) -> tuple[ChangeEvent, int] | None:
        """Diff one claim, store it with its event, and queue the event for the channels that want it."""
        stored = self.record(tx, article_id, claim)
        if stored is None:
            return None
        event, ref = stored
        channels = self.channels_for(event) if alerts and ref.is_new else []
        return event, tx.enqueue(ref.id, channels) if channels else 0

    def record(self, tx: Transaction, article_id: int, claim: Claim) -> tuple[ChangeEvent, EventRef] | None:
        """Diff one tracked claim against its metric's history and store both; None when already stored."""
        tracker = self.histories.tracker(tx, claim.metric, self.catalog.get(claim.metric).kind)
        saved = tx.save_claims(article_id, [claim])[0]
        if not saved.new_citation:
            return None  # this very document said it before: nothing is new
        event = tracker.decide(saved.claim)
        return event, tx.record_event(event, saved.fact_id, claim_id=saved.claim_id)

    def channels_for(self, event: ChangeEvent) -> list[str]:
        """Names of the configured channels that want this event."""
        if event.kind not in ALERTING_KINDS:
            return []
        return [channel.name for channel in self.config.channels if wants(channel, event)]


def trusted_date(document: Document, now: datetime | None = None) -> Document:
    """The document dated by the first-seen rule when it has no date; InputError for a future date."""
    if document.published is None:
        seen = first_seen(document.fetched_at or now)
        return dataclasses.replace(document, published=seen, published_source=PublishedSource.FIRST_SEEN)
    check_not_future(document.published, document.url or document.source, now)
    return document


def fact_key(claim: Claim) -> tuple[object, ...]:
    """What makes two mentions in one document the same fact."""
    return (claim.metric, claim.forecast, claim.unit, claim.value, claim.qualifier, claim.period)


def ingest_all(
    pipeline: Pipeline, documents: Iterable[Document], *, alerts: bool = True
) -> list[IngestResult]:
    """Ingest documents in the order given."""
    return [pipeline.ingest(document, alerts=alerts) for document in documents]
