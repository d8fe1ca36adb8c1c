"""SQLAlchemy models: the tables claimwatch keeps (mirrored by migrations/versions)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.columns import CompressedText, ExactDecimal, UTCDateTime

NAMING = {  # stable constraint names, so migrations can refer to them on both databases
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class SourceRow(Base):
    """A polled source: what it is, and its conditional-GET and health state."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="")
    url: Mapped[str | None] = mapped_column(Text)
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_poll: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warnings: Mapped[str | None] = mapped_column(Text)  # JSON list of the last poll's warnings


class ArticleRow(Base):
    """A document, once per canonical URL or seed id."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    published_precision: Mapped[str | None] = mapped_column(String(8))
    published_source: Mapped[str | None] = mapped_column(String(16))  # core.published.PublishedSource
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(CompressedText)  # the extracted text, so it can be read again
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FactRow(Base):
    """One distinct figure of a series, however many outlets reported it."""

    __tablename__ = "facts"
    __table_args__ = (
        UniqueConstraint("series", "forecast", "unit", "value", "qualifier", "period"),
        Index(None, "metric", "forecast"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(300))  # the metric id, or "untracked:<entity>"
    metric: Mapped[str | None] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(200))
    forecast: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    unit: Mapped[str] = mapped_column(String(16))
    qualifier: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))  # the label, or "" (NULLs would never collide in a key)
    as_of: Mapped[date | None] = mapped_column(Date)  # the earliest as-of among its citations
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClaimRow(Base):
    """One citation: a fact as one article stated it, with its evidence."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("article_id", "fact_id", "start_offset", "end_offset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fact_id: Mapped[int] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str | None] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(200))
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    unit: Mapped[str] = mapped_column(String(16))
    qualifier: Mapped[str] = mapped_column(String(16))
    period: Mapped[str | None] = mapped_column(String(16))
    as_of: Mapped[date | None] = mapped_column(Date)
    forecast: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    stated_value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    stated_unit: Mapped[str | None] = mapped_column(String(16))
    extractor_version: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventRow(Base):
    """A change event, once per idempotency key."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    metric: Mapped[str | None] = mapped_column(String(200), index=True)
    forecast: Mapped[bool] = mapped_column(Boolean)
    fact_id: Mapped[int] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    previous_fact_id: Mapped[int | None] = mapped_column(ForeignKey("facts.id", ondelete="SET NULL"))
    change_pct: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    direction: Mapped[str | None] = mapped_column(String(8))  # "up", "down" or None
    resolves: Mapped[str] = mapped_column(Text, default="")  # space-separated keys of conflicts it settles
    supersedes: Mapped[str] = mapped_column(Text, default="")  # ... and of those it moves past (superseded)
    conflict_key: Mapped[str | None] = mapped_column(
        String(64), index=True
    )  # core.diff.Conflict.key, conflicts only
    conflict_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # a closed conflict: "resolved", "superseded" or "withdrawn"
    conflict_outcome: Mapped[str | None] = mapped_column(String(16))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("change_events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OutboxRow(Base):
    """One delivery of one change event to one channel."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("event_id", "channel"), Index(None, "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("change_events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sending | failed | sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevisionRow(Base):
    """What a newer extractor reads differently in a stored article: a figure appeared, vanished, changed."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run: Mapped[str] = mapped_column(String(40), index=True)  # the re-extraction: when it began (UTC, ISO)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    change: Mapped[str] = mapped_column(String(16))  # "appeared", "vanished" or "changed"
    metric: Mapped[str] = mapped_column(String(200), index=True)
    forecast: Mapped[bool] = mapped_column(Boolean)
    old_value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    old_unit: Mapped[str | None] = mapped_column(String(16))
    old_qualifier: Mapped[str | None] = mapped_column(String(16))
    old_period: Mapped[str | None] = mapped_column(String(16))
    old_evidence: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    new_unit: Mapped[str | None] = mapped_column(String(16))
    new_qualifier: Mapped[str | None] = mapped_column(String(16))
    new_period: Mapped[str | None] = mapped_column(String(16))
    new_evidence: Mapped[str | None] = mapped_column(Text)
    old_version: Mapped[str] = mapped_column(String(64), default="")
    new_version: Mapped[str] = mapped_column(String(64), default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("change_events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GoogleNewsLinkRow(Base):
    """Where a Google News article id leads: resolved once (two requests to Google), read on every poll."""

    __tablename__ = "google_news_links"

    article_id: Mapped[str] = mapped_column(Text, primary_key=True)  # …/rss/articles/<article_id>
    url: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# children first
DATA_TABLES = (
    "outbox", "revisions", "change_events", "claims", "facts", "articles", "sources", "google_news_links",
)
