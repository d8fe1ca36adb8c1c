"""One mechanism per class of wording (tests/data/wording_classes.yaml): several wordings in two languages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from core.periods import LooseDate
from core.types import Document
from extractors.claims import extract_claims

DATA = Path(__file__).parent / "data" / "wording_classes.yaml"
CLASSES = yaml.safe_load(DATA.read_text(encoding="utf-8"))["classes"]
CASES = [(name, case) for name, cases in CLASSES.items() for case in cases]


def _tracked(text: str, published: str) -> set[tuple]:
    doc = Document(source="case", text=text, published=LooseDate.parse(str(published)))
    return {
        (c.metric, c.value, c.unit, c.period.label if c.period else None, c.forecast)
        for c in extract_claims(doc)
        if c.metric is not None
    }


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}:{c['text'][:40]}" for n, c in CASES])
def test_wording(name: str, case: dict) -> None:
    expected = {(m, Decimal(str(v)), u, str(p) if p else None, f) for m, v, u, p, f in case["claims"]}
    assert _tracked(case["text"], case["published"]) == expected


def test_every_class_has_several_wordings_in_both_languages() -> None:
    for name, cases in CLASSES.items():
        chinese = [c for c in cases if any("\u4e00" <= ch <= "\u9fff" for ch in c["text"])]
        assert len(cases) >= 3 and (chinese or name in ENGLISH_ONLY), name


ENGLISH_ONLY = {"revenue_in_other_words"}  # the wordings are English idioms ("took in", "per cent", "pc")
