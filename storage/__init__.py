"""Storage, the only room that speaks SQL: open a Store, write through its transactions, read domain types.

::

    store = Store.open(url)                    # SQLite or PostgreSQL; migrates to head on first use
    with store.transaction() as tx:            # one transaction: committed on exit, rolled back on error
        article = tx.save_article(document)
        for saved in tx.save_claims(article.id, claims):
            if saved.new_citation:
                history = tx.claims(saved.claim.metric, before=saved.claim_id)
                event = diff(history, saved.claim, kind)
                ref = tx.record_event(event, saved.fact_id, claim_id=saved.claim_id)
                tx.enqueue(ref.id, channels)
    for delivery in store.pending(lease=timedelta(minutes=10)):
        ...                                    # send, then at once store.mark_sent / store.mark_failed

Idempotent by construction: unique keys plus INSERT ... ON CONFLICT DO NOTHING, so saving the same
document, claim, event or delivery twice stores nothing new, even from two writers at once.
"""

from storage.results import (
    ArticleInfo,
    ArticleRef,
    Citation,
    Counts,
    EventRef,
    PendingDelivery,
    SavedClaim,
    SourceInfo,
    StoredArticle,
    StoredEvent,
    StoredRevision,
)
from storage.store import LEASED, Store
from storage.transaction import Transaction

__all__ = [
    "ArticleInfo",
    "ArticleRef",
    "Citation",
    "Counts",
    "EventRef",
    "LEASED",
    "PendingDelivery",
    "SavedClaim",
    "SourceInfo",
    "Store",
    "StoredArticle",
    "StoredEvent",
    "StoredRevision",
    "Transaction",
]
