"""Read queries shared by the store and its transactions; each takes a Session and returns domain types."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, defer

from core.errors import StorageError
from core.types import ChangeEvent, ChangeKind, Claim
from storage.models import ArticleRow, ClaimRow, EventRow, FactRow, RevisionRow
from storage.results import ArticleInfo, Citation, StoredArticle, StoredEvent, StoredRevision
from storage.rows import article_info, as_of_key, citation_from_rows, claim_from_rows, fact_key, published_key

Cited = tuple[ClaimRow, ArticleRow]
T = TypeVar("T")
# Values per IN (...) list: PostgreSQL takes at most 65,535 parameters per statement, and a 70,000-item feed
# asked in one list failed every run; SQLite's own limit is 32,766.
IN_CHUNK = 1000
_EARLIEST_FIRST = (ArticleRow.published.is_(None), ArticleRow.published, ClaimRow.id)  # unknown dates last
FACT_KEY = ("series", "forecast", "unit", "value", "qualifier", "period")
# Built once with bound parameters: building a statement costs more than running it, once per claim stored.
_FACT_BY_KEY = select(FactRow.id, FactRow.as_of).where(
    *(getattr(FactRow, k) == bindparam(k) for k in FACT_KEY)
)


def _citations_query(*conditions: object) -> Select[tuple[FactRow, ClaimRow, ArticleRow]]:
    """Facts joined with their citations and articles."""
    return (
        select(FactRow, ClaimRow, ArticleRow)
        .join(ClaimRow, ClaimRow.fact_id == FactRow.id)
        .join(ArticleRow, ClaimRow.article_id == ArticleRow.id)
        .where(*conditions)
    )


def fact_id(session: Session, claim: Claim) -> int | None:
    """The id of the fact a claim states, when it is stored."""
    found = stored_fact(session, claim)
    return None if found is None else found[0]


def stored_fact(session: Session, claim: Claim) -> tuple[int, date | None] | None:
    """The id and as-of of the fact a claim states, when it is stored."""
    row = session.execute(_FACT_BY_KEY, fact_key(claim)).first()
    return None if row is None else (row[0], row[1])


def citation_id(session: Session, fact: int, claim: Claim) -> int | None:
    """The citation row of `claim` for a fact: same source and offsets, else the newest citation stored."""
    query = (
        select(ClaimRow.id, ArticleRow.source, ClaimRow.start_offset, ClaimRow.end_offset)
        .join(ArticleRow, ClaimRow.article_id == ArticleRow.id)
        .where(ClaimRow.fact_id == fact)
    )
    rows = session.execute(query).tuples().all()
    if not rows:
        return None
    best = max(rows, key=lambda r: (r[1] == claim.source, (r[2], r[3]) == (claim.start, claim.end), r[0]))
    return best[0]


def _group(rows: Iterable[tuple[FactRow, ClaimRow, ArticleRow]]) -> dict[int, list[Cited]]:
    """Citations per fact id, earliest published first."""
    grouped: dict[int, list[Cited]] = defaultdict(list)
    for fact, row, article in rows:
        grouped[fact.id].append((row, article))
    for pairs in grouped.values():
        pairs.sort(key=lambda pair: (published_key(pair[1]), pair[0].id))
    return grouped


def series(session: Session, metric: str, forecast: bool) -> list[Claim]:
    """Every fact of a series as its first citation, oldest as-of first."""
    conditions = (FactRow.metric == metric, FactRow.forecast == forecast)
    rank = func.row_number().over(partition_by=ClaimRow.fact_id, order_by=_EARLIEST_FIRST).label("rank")
    ranked = _citations_query(*conditions).with_only_columns(ClaimRow.id.label("claim_id"), rank).subquery()
    query = (
        _citations_query(*conditions).join(ranked, ranked.c.claim_id == ClaimRow.id).where(ranked.c.rank == 1)
    )
    rows = session.execute(query).tuples().all()
    rows.sort(key=lambda r: (as_of_key(r[0]), published_key(r[2]), r[0].id))
    return [claim_from_rows(row, article) for _, row, article in rows]


def claims(
    session: Session, metric: str, forecast: bool | None, before: int | None = None, after: int | None = None
) -> list[Claim]:
    """Every citation of a metric in the order stored, optionally only those before/after a claim id."""
    return [claim for _, claim in numbered_claims(session, metric, forecast, before, after)]


def numbered_claims(
    session: Session, metric: str, forecast: bool | None, before: int | None = None, after: int | None = None
) -> list[tuple[int, Claim]]:
    """Citations of a metric with their claim ids, in the order stored, within the id bounds given."""
    query = (
        select(ClaimRow, ArticleRow)
        .join(ArticleRow, ClaimRow.article_id == ArticleRow.id)
        .where(ClaimRow.metric == metric)
        .order_by(ClaimRow.id)
    )
    if forecast is not None:
        query = query.where(ClaimRow.forecast == forecast)
    if before is not None:
        query = query.where(ClaimRow.id < before)
    if after is not None:
        query = query.where(ClaimRow.id > after)
    return [(row.id, claim_from_rows(row, article)) for row, article in session.execute(query).tuples()]


def stored_articles(session: Session, after: int = 0, limit: int | None = None) -> list[StoredArticle]:
    """Articles with their texts, in the order stored: those after an id, at most ``limit`` of them."""
    query = select(ArticleRow).where(ArticleRow.id > after).order_by(ArticleRow.id).limit(limit)
    return [StoredArticle(article_info(row), row.text) for row in session.execute(query).scalars()]


def article_infos(session: Session) -> list[ArticleInfo]:
    """Every article without its text (the text is not read), in the order stored."""
    query = select(ArticleRow).options(defer(ArticleRow.text)).order_by(ArticleRow.id)
    return [article_info(row) for row in session.execute(query).scalars()]


def article_text(session: Session, article_id: int) -> str | None:
    """One article's stored text (None when it was stored before texts were kept, or is unknown)."""
    return session.execute(select(ArticleRow.text).where(ArticleRow.id == article_id)).scalar_one_or_none()


def all_claims(session: Session) -> list[Claim]:
    """Every citation, tracked or not, in the order stored."""
    query = select(ClaimRow, ArticleRow).join(ArticleRow, ClaimRow.article_id == ArticleRow.id)
    rows = session.execute(query.order_by(ClaimRow.id)).tuples()
    return [claim_from_rows(row, article) for row, article in rows]


def citations(session: Session, fact: int) -> list[Citation]:
    """Every outlet that stated a fact, earliest published first."""
    rows = _group(session.execute(_citations_query(FactRow.id == fact)).tuples()).get(fact, [])
    return [citation_from_rows(row, article) for row, article in rows]


def articles(session: Session, sources: Sequence[str]) -> dict[str, ArticleInfo]:
    """The stored articles among `sources`, by source (unknown sources are left out)."""
    wanted = sorted(set(sources))
    found: dict[str, ArticleInfo] = {}
    for chunk in chunked(wanted):
        rows = session.execute(select(ArticleRow).where(ArticleRow.source.in_(chunk))).scalars()
        found.update((row.source, article_info(row)) for row in rows)
    return found


def chunked(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` values, one ``IN (...)`` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def claim_citations(session: Session, claim: Claim) -> list[Citation]:
    """Every outlet that stated the fact a claim states (none when it is not stored)."""
    fact = fact_id(session, claim)
    return [] if fact is None else citations(session, fact)


def first_citation(session: Session, fact: int) -> Claim:
    """A fact as its earliest published citation stated it."""
    rows = _group(session.execute(_citations_query(FactRow.id == fact)).tuples()).get(fact)
    if not rows:
        raise StorageError(f"fact {fact} has no stored citation")
    return claim_from_rows(*rows[0])


def _event_claim(session: Session, row: EventRow) -> Claim:
    """The claim an event is about: its own citation, else the fact's first."""
    if row.claim_id is None:
        return first_citation(session, row.fact_id)
    claim = session.get_one(ClaimRow, row.claim_id)
    return claim_from_rows(claim, session.get_one(ArticleRow, claim.article_id))


def change_event(session: Session, row: EventRow) -> ChangeEvent:
    """Rebuild the ChangeEvent a row records, with the other outlets that stated its fact."""
    claim = _event_claim(session, row)
    previous = first_citation(session, row.previous_fact_id) if row.previous_fact_id is not None else None
    others = tuple(
        dict.fromkeys(c.source for c in citations(session, row.fact_id) if c.source != claim.source)
    )
    return ChangeEvent(
        kind=ChangeKind(row.kind),
        claim=claim,
        previous=previous,
        change_pct=row.change_pct,
        citations=others,
        direction=row.direction,
        resolves=tuple(row.resolves.split()),
        supersedes=tuple(row.supersedes.split()),
    )


def stored_events(session: Session, rows: Iterable[EventRow]) -> list[StoredEvent]:
    """StoredEvents for event rows, in the order given."""
    return [
        StoredEvent(
            id=r.id,
            key=r.key,
            event=change_event(session, r),
            created_at=r.created_at,
            conflict_open=r.conflict_open,
            conflict_outcome=r.conflict_outcome,
            closed_by=_closer(session, r),
        )
        for r in rows
    ]


def _closer(session: Session, row: EventRow) -> str | None:
    """The source of the claim whose event closed this conflict, when it is closed."""
    if row.conflict_key is None or row.resolved_by_id is None:
        return None
    closing = session.get(EventRow, row.resolved_by_id)
    return None if closing is None else _event_claim(session, closing).source


def changes(session: Session, since: date | None, kind: ChangeKind | None) -> list[StoredEvent]:
    """Events recorded since a day (UTC), optionally of one kind, oldest first."""
    query = select(EventRow).order_by(EventRow.created_at, EventRow.id)
    if since is not None:
        query = query.where(EventRow.created_at >= datetime(since.year, since.month, since.day, tzinfo=UTC))
    if kind is not None:
        query = query.where(EventRow.kind == str(kind))
    return stored_events(session, session.execute(query).scalars())


def history(session: Session, metric: str, forecast: bool | None) -> list[StoredEvent]:
    """A metric's events in the order of the figures' as-of, then publication."""
    query = select(EventRow).where(EventRow.metric == metric).order_by(EventRow.id)
    if forecast is not None:
        query = query.where(EventRow.forecast == forecast)
    events = stored_events(session, session.execute(query).scalars())
    return sorted(events, key=lambda e: (e.event.claim.as_of or date.min, _published(e.event.claim), e.id))


def _published(claim: Claim) -> date:
    """Sort key: publication day, unknown dates last."""
    return claim.published.day if claim.published is not None else date.max


def source_counts(session: Session) -> dict[str, tuple[int, int]]:
    """Articles and claims contributed by each polled source, by source id."""
    articles = func.count(func.distinct(ArticleRow.id))
    query = (
        select(ArticleRow.source_id, articles, func.count(ClaimRow.id))
        .outerjoin(ClaimRow, ClaimRow.article_id == ArticleRow.id)
        .where(ArticleRow.source_id.is_not(None))
        .group_by(ArticleRow.source_id)
    )
    return {source: (n_articles, n_claims) for source, n_articles, n_claims in session.execute(query)}


def revisions(session: Session, run: str | None = None) -> list[StoredRevision]:
    """What re-extractions changed (one run's, or every run's), in the order recorded."""
    query = (
        select(RevisionRow, ArticleRow.source, EventRow.kind)
        .join(ArticleRow, RevisionRow.article_id == ArticleRow.id)
        .outerjoin(EventRow, RevisionRow.event_id == EventRow.id)
        .order_by(RevisionRow.id)
    )
    if run is not None:
        query = query.where(RevisionRow.run == run)
    return [_revision(row, source, kind) for row, source, kind in session.execute(query).tuples()]


def _revision(row: RevisionRow, source: str, kind: str | None) -> StoredRevision:
    """A revisions row as a StoredRevision."""
    return StoredRevision(
        run=row.run, source=source, change=row.change, metric=row.metric, forecast=row.forecast,
        old_value=row.old_value, old_unit=row.old_unit, old_period=row.old_period,
        new_value=row.new_value, new_unit=row.new_unit, new_period=row.new_period,
        evidence=row.new_evidence if row.new_evidence is not None else row.old_evidence,
        old_version=row.old_version, new_version=row.new_version, event_kind=kind,
    )  # fmt: skip
