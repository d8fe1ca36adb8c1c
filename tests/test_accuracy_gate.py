"""The accuracy gate: the corpus's precision, recall and F1 stay at their pins (tests/support/gate.py)."""

from __future__ import annotations

import pytest

from support.gate import GATE, Pins, measure, pinned, problems


@pytest.fixture(scope="module")
def measured() -> Pins:
    return measure()


@pytest.mark.timeout(300)
def test_the_corpus_meets_its_pinned_accuracy(measured: Pins) -> None:
    assert GATE.exists(), "no accuracy gate pinned: run `make gate`"
    found = problems(measured, pinned())
    assert not found, "\n".join(found)


def test_a_drop_below_the_floor_is_refused(measured: Pins) -> None:
    lower = Pins(**{**measured.__dict__, "f1": round(measured.f1 - 0.01, 4)})
    higher = Pins(**{**measured.__dict__, "f1": round(measured.f1 + 0.01, 4)})
    assert problems(measured, lower) == []
    assert any("f1 fell" in p for p in problems(measured, higher))


def test_changed_output_needs_a_new_extractor_version(measured: Pins) -> None:
    stale = Pins(**{**measured.__dict__, "output_sha256": "0" * 64})
    assert any("bump it" in p for p in problems(measured, stale))
    bumped = Pins(**{**stale.__dict__, "extractor_version": "an older version"})
    assert any("re-pin" in p for p in problems(measured, bumped))


def test_new_articles_need_a_new_pin_not_a_new_version(measured: Pins) -> None:
    grown = Pins(**{**measured.__dict__, "corpus_sha256": "1" * 64, "output_sha256": "0" * 64})
    found = problems(measured, grown)
    assert any("corpus changed" in p for p in found) and not any("bump it" in p for p in found)
