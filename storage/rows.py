"""Rows to domain types and back: the only place that knows both shapes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from core.periods import LooseDate, Period
from core.types import Claim, Document, Qualifier, SourceState
from storage.columns import canonical_decimal
from storage.models import ArticleRow, ClaimRow, FactRow, SourceRow
from storage.results import ArticleInfo, Citation

MAX_WARNINGS = 20  # per source: enough to see what went wrong, short enough for a table
MAX_WARNING_CHARS = 500  # a warning is one line for people
UNTRACKED_SERIES = "untracked:"  # prefix of the series of a number that matches no catalog metric
STATE_FIELDS = (
    "etag",
    "last_modified",
    "last_success",
    "last_attempt",
    "consecutive_failures",
    "last_error",
    "next_poll",
)


def series_of(claim: Claim) -> str:
    """The series a claim belongs to: its metric id, or its entity when it is untracked."""
    return claim.metric if claim.metric is not None else UNTRACKED_SERIES + claim.entity


def fact_key(claim: Claim) -> dict[str, Any]:
    """The columns that make a fact distinct (outlets and dates aside)."""
    return {
        "series": series_of(claim),
        "forecast": claim.forecast,
        "unit": claim.unit,
        "value": canonical_decimal(claim.value),
        "qualifier": str(claim.qualifier),
        "period": claim.period.label if claim.period is not None else "",
    }


def fact_values(claim: Claim) -> dict[str, Any]:
    """A new facts row for a claim."""
    return {**fact_key(claim), "metric": claim.metric, "entity": claim.entity, "as_of": claim.as_of}


def claim_values(claim: Claim, article_id: int, fact_id: int) -> dict[str, Any]:
    """A new claims row: one citation of a fact by one article."""
    return {
        "fact_id": fact_id,
        "article_id": article_id,
        "metric": claim.metric,
        "entity": claim.entity,
        "value": claim.value,
        "unit": claim.unit,
        "qualifier": str(claim.qualifier),
        "period": claim.period.label if claim.period is not None else None,
        "as_of": claim.as_of,
        "forecast": claim.forecast,
        "evidence": claim.evidence,
        "start_offset": claim.start,
        "end_offset": claim.end,
        "stated_value": claim.stated_value,
        "stated_unit": claim.stated_unit,
        "extractor_version": claim.extractor_version,
    }


def article_values(document: Document, source_id: str | None) -> dict[str, Any]:
    """An articles row for a document."""
    published = document.published
    return {
        "source": document.source,
        "url": document.url,
        "content_hash": document.content_hash,
        "title": document.title,
        "publisher": document.publisher,
        "published": published.day if published else None,
        "published_precision": published.precision if published else None,
        "published_source": document.published_source if published else None,
        "fetched_at": document.fetched_at,
        "language": document.language,
        "source_id": source_id,
        "text": document.text,
    }


def published_of(article: ArticleRow) -> LooseDate | None:
    """The article's publication date with its precision."""
    if article.published is None:
        return None
    return LooseDate(article.published, article.published_precision or "day")


def with_article(claim: Claim, article: ArticleRow) -> Claim:
    """The claim with its source, and its publication date when it had none, taken from the article."""
    if claim.published is not None and claim.published != published_of(article):
        return replace(claim, source=article.source)
    return replace(claim, source=article.source, published=published_of(article),
                   published_source=article.published_source)


def claim_from_rows(row: ClaimRow, article: ArticleRow) -> Claim:
    """Rebuild a Claim from its citation row and article."""
    return Claim(
        metric=row.metric,
        entity=row.entity,
        value=row.value,
        unit=row.unit,
        qualifier=Qualifier(row.qualifier),
        period=Period.parse(row.period) if row.period else None,
        forecast=row.forecast,
        evidence=row.evidence,
        start=row.start_offset,
        end=row.end_offset,
        source=article.source,
        published=published_of(article),
        published_source=article.published_source,
        stated_value=row.stated_value,
        stated_unit=row.stated_unit,
        extractor_version=row.extractor_version,
    )


def article_info(article: ArticleRow) -> ArticleInfo:
    """An articles row as an ArticleInfo."""
    return ArticleInfo(
        id=article.id,
        source=article.source,
        url=article.url,
        title=article.title,
        publisher=article.publisher,
        published=published_of(article),
        language=article.language,
        published_source=article.published_source,
        fetched_at=article.fetched_at,
    )


def citation_from_rows(row: ClaimRow, article: ArticleRow) -> Citation:
    """One outlet's statement of a fact."""
    return Citation(
        source=article.source,
        url=article.url,
        publisher=article.publisher,
        published=published_of(article),
        evidence=row.evidence,
    )


def state_from_row(row: SourceRow | None) -> SourceState:
    """A source's polling state; the empty state for a source never polled."""
    if row is None:
        return SourceState()
    warnings = tuple(json.loads(row.warnings)) if row.warnings else ()
    return SourceState(**{name: getattr(row, name) for name in STATE_FIELDS}, warnings=warnings)


def state_values(state: SourceState) -> dict[str, Any]:
    """The sources columns that hold a polling state (warnings as a JSON list, at most MAX_WARNINGS)."""
    warnings = [w[:MAX_WARNING_CHARS] for w in state.warnings[:MAX_WARNINGS]]
    return {**{name: getattr(state, name) for name in STATE_FIELDS}, "warnings": json.dumps(warnings) if warnings else None}


def published_key(article: ArticleRow) -> date:
    """Sort key: publication day, unknown dates last."""
    return article.published or date.max


def as_of_key(fact: FactRow) -> date:
    """Sort key: as-of day, unknown first."""
    return fact.as_of or date.min
