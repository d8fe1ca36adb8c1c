"""A writer process for concurrency tests: ingests the same documents as its rivals, at the same moment."""

from __future__ import annotations

import time
from decimal import Decimal

from core.types import ChangeEvent, ChangeKind, Claim, Document, Qualifier
from storage import Store

RACE_DOCUMENTS = 5
RACE_CLAIMS = 6


def race_claims() -> list[Claim]:
    """The claims every document states (the same facts, so outlets share them)."""
    return [
        Claim(
            metric="qwen.downloads",
            entity="Qwen",
            value=Decimal(700 + i),
            unit="count",
            qualifier=Qualifier.OVER,
            period=None,
            forecast=False,
            evidence=f"figure {i}",
            start=20 * i,
            end=20 * i + 8,
        )
        for i in range(RACE_CLAIMS)
    ]


def run_writer(url: str, start_at: float) -> None:
    """Wait for the agreed moment, then store every document with its events and deliveries."""
    store = Store.open(url)
    time.sleep(max(0.0, start_at - time.time()))
    for n in range(RACE_DOCUMENTS):
        with store.transaction() as tx:
            article = tx.save_article(Document(source=f"https://outlet{n}.example/a", text=f"text {n}"))
            for saved in tx.save_claims(article.id, race_claims()):
                ref = tx.record_event(ChangeEvent(kind=ChangeKind.NEW, claim=saved.claim), saved.fact_id)
                tx.enqueue(ref.id, ["email", "hook"])
    store.close()
