"""Domain types: frozen dataclasses that every room passes around."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from core.periods import LooseDate, Period


class Qualifier(StrEnum):
    """How a stated figure relates to the true one."""

    EXACT = "exact"
    OVER = "over"  # "over", "more than", "surpassing", "700M+"
    AT_LEAST = "at_least"
    APPROX = "approx"
    UNDER = "under"


class MetricKind(StrEnum):
    """How a metric's values behave over time (see eval/metrics.yaml)."""

    CUMULATIVE = "cumulative"  # a running total that never falls
    LEVEL = "level"  # a point-in-time figure that can rise or fall
    FLOW = "flow"  # a figure that belongs to a period
    TARGET = "target"  # a plan, goal or commitment


class ChangeKind(StrEnum):
    """What a new claim means against what was known (see eval/CHANGES.md)."""

    NEW = "new"
    UPDATED = "updated"
    CONFLICT = "conflict"
    CONFIRMED = "confirmed"
    HISTORICAL = "historical"


ALERTING_KINDS = frozenset({ChangeKind.NEW, ChangeKind.UPDATED, ChangeKind.CONFLICT})


@dataclass(frozen=True)
class Metric:
    """One entry of the metric catalog."""

    id: str
    entity: str
    unit: str
    kind: MetricKind
    says: str = ""
    label: str = ""  # short human name for subjects, e.g. "Qwen downloads"


@dataclass(frozen=True)
class Document:
    """A document's text and what is known about where it came from."""

    source: str  # canonical URL, or the seed id when no URL is known
    text: str
    url: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: LooseDate | None = None
    language: str | None = None
    fetched_at: datetime | None = None
    published_source: str | None = None  # core.published.PublishedSource: where `published` came from

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text, to notice when a page changed."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """One numeric statement about a watched entity, with its evidence."""

    metric: str | None  # a catalog id, or None for an untracked number about a watched entity
    entity: str
    value: Decimal  # normalised: whole units of `unit`
    unit: str  # "count", "percent" or an ISO currency code
    qualifier: Qualifier
    period: Period | None
    forecast: bool
    evidence: str  # the sentence
    start: int  # offsets of the evidence sentence in the document text
    end: int
    source: str = ""
    published: LooseDate | None = None
    published_source: str | None = None  # its article's (core.published.PublishedSource)
    stated_value: Decimal | None = None  # as written, when the value was converted
    stated_unit: str | None = None
    extractor_version: str = ""

    @property
    def as_of(self) -> date | None:
        """The end of the period when there is one, else the publication date."""
        if self.period is not None:
            return self.period.end
        return self.published.day if self.published is not None else None


@dataclass(frozen=True)
class ChangeEvent:
    """What one claim changed about a metric's series (kind per eval/CHANGES.md)."""

    kind: ChangeKind
    claim: Claim
    previous: Claim | None = None
    change_pct: Decimal | None = None  # None unless both values are numbers in one unit
    citations: tuple[str, ...] = ()  # further sources that reported the same fact
    direction: str | None = None  # "up" or "down" against `previous`; None when equal or not comparable
    resolves: tuple[str, ...] = ()  # keys of the open conflicts (core.diff.Conflict.key) this claim settles
    supersedes: tuple[str, ...] = ()  # keys of the open conflicts it closes by moving past both sides

    @property
    def metric(self) -> str | None:
        """The metric id of the claim."""
        return self.claim.metric

    @property
    def key(self) -> str:
        """Idempotency key: the same fact about the same series always gets the same key."""
        c = self.claim
        parts = (c.metric, c.forecast, c.unit, c.value.normalize(), c.qualifier, c.period, c.as_of, self.kind)
        return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Alert:
    """One message for one channel: a single change event, or a digest of several."""

    channel: str
    events: tuple[ChangeEvent, ...]

    @property
    def key(self) -> str:
        """Idempotency key sent to receivers (the Standard Webhooks ``webhook-id``)."""
        joined = "|".join(sorted(e.key for e in self.events))
        return "cw_" + hashlib.sha256(f"{self.channel}|{joined}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RawPage:
    """Bytes fetched from the web, with what the server said about them."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime


@dataclass(frozen=True)
class SourceState:
    """Per-source polling state: conditional-GET validators and health."""

    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_poll: datetime | None = None
    warnings: tuple[str, ...] = ()  # what the last poll read with trouble: a malformed feed, items left, pages failed


@dataclass(frozen=True)
class FxRate:
    """An exchange rate: one unit of `base` is worth `rate` units of `quote`."""

    base: str  # ISO code, e.g. "USD"
    quote: str  # ISO code, e.g. "CNY"
    rate: Decimal
    as_of: date | None = None
    source: str = ""  # the article that stated it, or "table"
