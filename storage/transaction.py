"""One unit of work: the writes of one document (article, claims, events, outbox) in one DB transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from core.diff import RESOLVED, SUPERSEDED, WITHDRAWN, Conflict
from core.errors import StorageError
from core.types import ChangeEvent, ChangeKind, Claim, Document
from storage import queries
from storage.engine import translated
from storage.models import ArticleRow, ClaimRow, EventRow, FactRow, OutboxRow, RevisionRow, SourceRow, utcnow
from storage.results import ArticleRef, EventRef, SavedClaim
from storage.rows import article_values, claim_from_rows, claim_values, fact_key, fact_values, with_article
from storage.upsert import insert_ignore

FACT_KEY = queries.FACT_KEY
CITATION_KEY = ("article_id", "fact_id", "start_offset", "end_offset")
# A fact's as-of only ever moves back; the condition keeps a concurrent writer's earlier date. Built once.
_LOWER_AS_OF = (
    update(FactRow.__table__)
    .where(FactRow.__table__.c.id == bindparam("fact_id"))
    .where(FactRow.__table__.c.as_of.is_(None) | (FactRow.__table__.c.as_of > bindparam("as_of")))
    .values(as_of=bindparam("as_of"))
)


class Transaction:
    """Repository methods over one open transaction (see Store.transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @translated
    def save_article(self, document: Document, source_id: str | None = None) -> ArticleRef:
        """Store a document's article, by its source; say whether it is new or its content changed."""
        if source_id is not None:
            insert_ignore(
                self._session, SourceRow, {"id": source_id, "kind": "", "consecutive_failures": 0}, ["id"]
            )
        values = article_values(document, source_id)
        new_id = insert_ignore(self._session, ArticleRow, values, ["source"])
        if new_id is not None:
            return ArticleRef(id=new_id, source=document.source, is_new=True, changed=False)
        row = self._article(document.source)
        changed = row.content_hash != document.content_hash
        if changed:
            self._session.execute(
                update(ArticleRow).where(ArticleRow.id == row.id).values(**values, updated_at=utcnow())
            )
        return ArticleRef(id=row.id, source=row.source, is_new=False, changed=changed)

    @translated
    def article_exists(self, source: str) -> bool:
        """Whether a document with this source (canonical URL or seed id) is stored."""
        return (
            self._session.execute(select(ArticleRow.id).where(ArticleRow.source == source)).first()
            is not None
        )

    @translated
    def article_by_source(self, source: str) -> ArticleRef | None:
        """The stored article with this source, or None when there is none."""
        row = self._session.execute(
            select(ArticleRow).where(ArticleRow.source == source)
        ).scalar_one_or_none()
        return None if row is None else ArticleRef(id=row.id, source=row.source, is_new=False, changed=False)

    @translated
    def save_claims(self, article_id: int, claims: Sequence[Claim]) -> list[SavedClaim]:
        """Store claims as citations of facts; what is already stored is found, never duplicated."""
        article = self._session.get(ArticleRow, article_id)
        if article is None:
            raise StorageError(f"save_claims: no article with id {article_id}")
        ready = [with_article(claim, article) for claim in claims]
        facts = self._facts(ready)
        return [self._cite(article, claim, *facts[_sort_key(claim)]) for claim in ready]

    def _facts(self, claims: Sequence[Claim]) -> dict[tuple[str, ...], tuple[int, bool]]:
        """The fact of each claim, found or inserted, with its as-of moved back to the earliest citation.

        In key order, so two writers on PostgreSQL touch shared fact rows in the same order (no deadlock).
        """
        facts: dict[tuple[str, ...], tuple[int, bool]] = {}
        for claim in sorted(claims, key=_sort_key):
            fact_id, new_fact, as_of = self._fact(claim)
            if claim.as_of is not None and (as_of is None or claim.as_of < as_of):
                self._session.execute(_LOWER_AS_OF, {"fact_id": fact_id, "as_of": claim.as_of})
            facts.setdefault(_sort_key(claim), (fact_id, new_fact))
        return facts

    def _cite(self, article: ArticleRow, claim: Claim, fact_id: int, new_fact: bool) -> SavedClaim:
        """Store one citation of a fact (found when this article already stated it)."""
        values = claim_values(claim, article.id, fact_id)
        inserted = insert_ignore(self._session, ClaimRow, values, CITATION_KEY)
        claim_id = inserted if inserted is not None else self._citation(values)
        return SavedClaim(
            claim_id=claim_id,
            fact_id=fact_id,
            claim=claim,
            new_fact=new_fact,
            new_citation=inserted is not None,
        )

    def _fact(self, claim: Claim) -> tuple[int, bool, date | None]:
        """The fact a claim states, inserted when new: its id, whether new, and its stored as-of."""
        new_id = insert_ignore(self._session, FactRow, fact_values(claim), FACT_KEY)
        if new_id is not None:
            return new_id, True, claim.as_of
        found = queries.stored_fact(self._session, claim)
        if found is None:
            raise StorageError(f"fact of {claim.metric or claim.entity} vanished while being saved")
        return found[0], False, found[1]

    def _citation(self, values: dict[str, Any]) -> int:
        """The id of an existing citation row."""
        query = select(ClaimRow.id).filter_by(**{k: values[k] for k in CITATION_KEY})
        return self._session.execute(query).scalar_one()

    @translated
    def series(self, metric: str, forecast: bool) -> list[Claim]:
        """Every known fact of a series, as first stated (source, published), oldest as-of first."""
        return queries.series(self._session, metric, forecast)

    @translated
    def record_event(
        self,
        event: ChangeEvent,
        fact_id: int | None = None,
        previous_fact_id: int | None = None,
        claim_id: int | None = None,
    ) -> EventRef:
        """Store a change event once per key; ids not given are found from the event's claims."""
        fact = fact_id if fact_id is not None else self._known_fact(event.claim)
        if previous_fact_id is None and event.previous is not None:
            previous_fact_id = queries.fact_id(self._session, event.previous)
        if claim_id is None:
            claim_id = queries.citation_id(self._session, fact, event.claim)
        values = {
            "key": event.key,
            "metric": event.metric,
            "forecast": event.claim.forecast,
            "fact_id": fact,
            "claim_id": claim_id,
            "previous_fact_id": previous_fact_id,
            **_event_values(event),
        }
        new_id = insert_ignore(self._session, EventRow, values, ["key"])
        if new_id is not None:
            self._close_conflicts(event.resolves, new_id, RESOLVED)
            self._close_conflicts(event.supersedes, new_id, SUPERSEDED)
            return EventRef(id=new_id, key=event.key, is_new=True)
        found = self._session.execute(select(EventRow.id).where(EventRow.key == event.key)).scalar_one()
        return EventRef(id=found, key=event.key, is_new=False)

    @translated
    def enqueue(self, event_id: int, channels: Sequence[str]) -> int:
        """Queue an event for each channel once; how many deliveries were newly queued."""
        new = [
            insert_ignore(
                self._session, OutboxRow, _outbox_values(event_id, channel), ["event_id", "channel"]
            )
            for channel in sorted(set(channels))
        ]
        return sum(1 for row_id in new if row_id is not None)

    def _close_conflicts(self, keys: Sequence[str], closed_by: int, outcome: str) -> None:
        """Mark the conflicts an event settles or supersedes (core.diff.Conflict.key) as closed, and how."""
        if keys:
            self._session.execute(
                update(EventRow)
                .where(EventRow.conflict_key.in_(list(keys)), EventRow.conflict_open.is_(True))
                .values(conflict_open=False, resolved_by_id=closed_by, conflict_outcome=outcome)
            )

    @translated
    def claims(
        self,
        metric: str,
        forecast: bool | None = None,
        *,
        before: int | None = None,
        after: int | None = None,
    ) -> list[Claim]:
        """Every stored citation of a metric in the order stored: the history core.diff replays.

        ``before=saved.claim_id`` gives the history as it was before that claim was stored;
        ``after=claim_id`` only what was stored since (claim ids grow in the order stored).
        """
        return queries.claims(self._session, metric, forecast, before, after)

    @translated
    def lock_series(self, metrics: Sequence[str]) -> None:
        """Hold the metrics' histories until this transaction ends: their claims then commit in id order.

        Without it two PostgreSQL writers of one metric each decide against a history lacking the
        other's claim, and a claim id taken first may commit last. SQLite needs nothing: a write
        transaction already holds the database's one writer lock. Sorted, so writers never deadlock.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            for metric in sorted(set(metrics)):
                self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(metric)})

    @translated
    def claims_after(self, metric: str, after: int = 0) -> list[tuple[int, Claim]]:
        """A metric's citations stored after a claim id, with their ids, in the order stored."""
        return queries.numbered_claims(self._session, metric, None, after=after)

    @translated
    def article_claims(self, article_id: int) -> list[tuple[int, Claim]]:
        """Every citation one article makes, tracked or not, with its id, in the order stored."""
        query = (
            select(ClaimRow, ArticleRow)
            .join(ArticleRow, ClaimRow.article_id == ArticleRow.id)
            .where(ClaimRow.article_id == article_id)
            .order_by(ClaimRow.id)
        )
        rows = self._session.execute(query).tuples()
        return [(row.id, claim_from_rows(row, article)) for row, article in rows]

    @translated
    def withdraw_claims(self, claim_ids: Sequence[int]) -> int:
        """Delete citations; how many facts no article states any more, which go too.

        A withdrawn fact takes its change events and their pending deliveries with it (a figure nobody
        states is no news), and a conflict that loses a side is closed as withdrawn.
        """
        ids = sorted(set(claim_ids))
        if not ids:
            return 0
        facts = set(self._session.execute(select(ClaimRow.fact_id).where(ClaimRow.id.in_(ids))).scalars())
        self._session.execute(delete(ClaimRow).where(ClaimRow.id.in_(ids)))
        cited = select(ClaimRow.fact_id).where(ClaimRow.fact_id.in_(facts))
        orphans = sorted(facts - set(self._session.execute(cited).scalars()))
        if orphans:
            self._session.execute(
                update(EventRow)
                .where(EventRow.previous_fact_id.in_(orphans), EventRow.conflict_open.is_(True))
                .values(conflict_open=False, conflict_outcome=WITHDRAWN)
            )
            self._session.execute(delete(FactRow).where(FactRow.id.in_(orphans)))
        return len(orphans)

    @translated
    def mark_read_by(self, article_id: int, version: str) -> None:
        """Record that an article's citations are what extractor ``version`` reads in it."""
        self._session.execute(
            update(ClaimRow).where(ClaimRow.article_id == article_id).values(extractor_version=version)
        )

    @translated
    def record_revision(self, run: str, article_id: int, old: Claim | None, new: Claim | None,
                        event_id: int | None = None) -> None:
        """Store what a re-extraction changed: a figure that appeared (no ``old``), vanished or changed."""
        either = new or old
        if either is None or either.metric is None:
            raise StorageError("record_revision: a revision needs a tracked claim on at least one side")
        change = "appeared" if old is None else "vanished" if new is None else "changed"
        values = {"run": run, "article_id": article_id, "change": change, "metric": either.metric,
                  "forecast": either.forecast, "event_id": event_id, **_revision_side("old", old),
                  **_revision_side("new", new)}  # fmt: skip
        self._session.execute(RevisionRow.__table__.insert().values(**values, created_at=utcnow()))

    def _known_fact(self, claim: Claim) -> int:
        """The id of a stored fact; StorageError when the claim was never saved."""
        found = queries.fact_id(self._session, claim)
        if found is None:
            raise StorageError(
                f"record_event: the fact of {claim.metric or claim.entity} is not stored; save_claims first"
            )
        return found

    def _article(self, source: str) -> ArticleRow:
        """The stored article row with this source."""
        return self._session.execute(select(ArticleRow).where(ArticleRow.source == source)).scalar_one()


def _lock_key(metric: str) -> int:
    """A stable signed 64-bit advisory-lock key for a metric's history."""
    digest = hashlib.sha256(f"claimwatch.series:{metric}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _sort_key(claim: Claim) -> tuple[str, ...]:
    """A total order on fact keys."""
    return tuple(str(v) for v in fact_key(claim).values())


def _event_values(event: ChangeEvent) -> dict[str, Any]:
    """The columns that describe the change itself."""
    is_conflict = event.kind == ChangeKind.CONFLICT and event.previous is not None
    conflict_key = Conflict(event.previous, event.claim).key if is_conflict else None  # type: ignore[arg-type]
    return {
        "kind": str(event.kind),
        "change_pct": event.change_pct,
        "direction": event.direction,
        "resolves": " ".join(event.resolves),
        "supersedes": " ".join(event.supersedes),
        "conflict_key": conflict_key,
        "conflict_open": is_conflict,
    }


def _outbox_values(event_id: int, channel: str) -> dict[str, Any]:
    """A new pending delivery."""
    return {"event_id": event_id, "channel": channel, "status": "pending", "attempts": 0}


def _revision_side(side: str, claim: Claim | None) -> dict[str, Any]:
    """One side's columns of a revision row (all empty for the side that is missing)."""
    return {
        f"{side}_value": claim.value if claim else None,
        f"{side}_unit": claim.unit if claim else None,
        f"{side}_qualifier": str(claim.qualifier) if claim else None,
        f"{side}_period": claim.period.label if claim and claim.period else None,
        f"{side}_evidence": claim.evidence if claim else None,
        f"{side}_version": (claim.extractor_version if claim else "") or "",
    }
