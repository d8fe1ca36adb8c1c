"""A dated sequence of our own news items, ingested in order, gets exactly the expected change kinds.

Every row of eval/CHANGES.md is covered (see the comments in tests/data/change_sequence.yaml). This runs the
real extractor, storage and diff together, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.current import standing_values
from app.pipeline import Pipeline
from core.config import Config
from core.periods import LooseDate
from core.types import ChangeKind, Document
from storage import Store

SEQUENCE = yaml.safe_load((Path(__file__).parent / "data" / "change_sequence.yaml").read_text(encoding="utf-8"))


def _document(item: dict) -> Document:
    return Document(source=item["source"], url=item["source"], text=item["text"],
                    published=LooseDate.parse(str(item["published"])), publisher="Example News")


def test_sequence_covers_every_kind() -> None:
    kinds = {kind for item in SEQUENCE for kind in item["expect"].values()}
    assert kinds == {k.value for k in ChangeKind}
    assert len(SEQUENCE) >= 15


def test_sequence_kinds(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    got, expected = [], []
    for item in SEQUENCE:
        result = pipeline.ingest(_document(item), alerts=False)
        got.append({e.metric: str(e.kind) for e in result.events})
        expected.append(item["expect"])
    mismatches = [(item["source"], e, g) for item, e, g in zip(SEQUENCE, expected, got, strict=True) if e != g]
    assert not mismatches, "\n".join(f"{s}: expected {e}, got {g}" for s, e, g in mismatches)


def test_reingesting_the_sequence_adds_nothing(store: Store) -> None:
    pipeline = Pipeline(store, Config())
    for item in SEQUENCE:
        pipeline.ingest(_document(item), alerts=False)
    before = len(store.changes())
    again = [pipeline.ingest(_document(item), alerts=False) for item in SEQUENCE]
    assert all(not r.events and not r.new_article for r in again)
    assert len(store.changes()) == before


@pytest.mark.parametrize("metric", ["qwen.downloads", "alibaba_cloud.revenue_growth_yoy"])
def test_current_value_after_sequence(store: Store, metric: str) -> None:
    pipeline = Pipeline(store, Config())
    for item in SEQUENCE:
        pipeline.ingest(_document(item), alerts=False)
    current = {r.metric.id: r for r in standing_values(store, pipeline.catalog) if not r.claim.forecast}
    # the growth rate stays 36% in 2025-Q4: the later "40%" has no period, so it never replaces a dated value
    expected = {"qwen.downloads": 1_000_000_000, "alibaba_cloud.revenue_growth_yoy": 36}[metric]
    assert current[metric].claim.value == expected
