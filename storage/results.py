"""What the store hands back: small frozen dataclasses of domain types, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.periods import LooseDate
from core.types import ChangeEvent, Claim, SourceState


@dataclass(frozen=True)
class ArticleRef:
    """A stored article: new, changed since last time, or as it was."""

    id: int
    source: str
    is_new: bool
    changed: bool  # stored before with another content hash (always False when is_new)


@dataclass(frozen=True)
class SavedClaim:
    """A claim after saving: its citation row and fact, and whether either is new."""

    claim_id: int
    fact_id: int
    claim: Claim  # as given, with `source` and `published` filled from the article
    new_fact: bool  # no outlet had stated this figure before
    new_citation: bool  # this article had not been stored stating it


@dataclass(frozen=True)
class EventRef:
    """A recorded change event."""

    id: int
    key: str
    is_new: bool


@dataclass(frozen=True)
class ArticleInfo:
    """What is stored about an article (its text is read separately: Store.articles)."""

    id: int
    source: str
    url: str | None
    title: str | None
    publisher: str | None
    published: LooseDate | None
    language: str | None
    published_source: str | None = None  # core.published.PublishedSource
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with its extracted text (None for articles stored before texts were kept)."""

    info: ArticleInfo
    text: str | None


@dataclass(frozen=True)
class Citation:
    """One outlet stating a fact."""

    source: str
    url: str | None
    publisher: str | None
    published: LooseDate | None
    evidence: str


@dataclass(frozen=True)
class StoredEvent:
    """A change event as stored, rebuilt."""

    id: int
    key: str
    event: ChangeEvent
    created_at: datetime
    conflict_open: bool
    conflict_outcome: str | None = None  # a closed conflict: "resolved", "superseded", "withdrawn"
    closed_by: str | None = None  # ... and the source of the claim that closed it


@dataclass(frozen=True)
class Counts:
    """How much is stored."""

    articles: int
    claims: int
    events: int


@dataclass(frozen=True)
class PendingDelivery:
    """An outbox row due for delivery, with the event to deliver."""

    id: int
    channel: str
    status: str  # "pending" (never tried) or "failed" (tried, waiting for next_attempt_at)
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    event_id: int
    event: ChangeEvent


@dataclass(frozen=True)
class SourceInfo:
    """A registered source and its polling state."""

    id: str
    kind: str
    url: str | None
    interval_seconds: int | None
    state: SourceState


@dataclass(frozen=True)
class StoredRevision:
    """A figure a re-extraction read differently in one article, as stored (old side empty: it appeared)."""

    run: str
    source: str
    change: str  # "appeared", "vanished" or "changed"
    metric: str
    forecast: bool
    old_value: Decimal | None
    old_unit: str | None
    old_period: str | None
    new_value: Decimal | None
    new_unit: str | None
    new_period: str | None
    evidence: str | None  # the sentence as read now (vanished: as read before)
    old_version: str
    new_version: str
    event_kind: str | None  # the change event the new figure made, if it made one
