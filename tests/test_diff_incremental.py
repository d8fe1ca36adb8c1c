"""The incremental change engine (core.diff.Tracker) gives exactly the events of diff() and replay()."""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.diff import Tracker, diff, replay
from core.errors import InputError
from core.types import Claim, MetricKind
from support.diff import claims as claims_from_specs
from support.diff import random_claims as claims

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


histories = st.lists(claims(), max_size=16)
kinds = st.sampled_from(list(MetricKind))


@SETTINGS
@given(histories, kinds)
def test_stepping_gives_the_events_of_diff_and_replay(history: list[Claim], kind: MetricKind) -> None:
    tracker = Tracker(kind)
    stepped = []
    for i, claim in enumerate(history):
        assert tracker.decide(claim) == diff(history[:i], claim, kind)
        stepped.append(tracker.add(claim))
    assert stepped == replay(history, kind)
    assert tracker.count == len(history)


@SETTINGS
@given(histories, histories, claims(), kinds)
def test_a_tracker_built_from_history_then_stepped_equals_a_full_diff(
    older: list[Claim], newer: list[Claim], claim: Claim, kind: MetricKind
) -> None:
    tracker = Tracker(kind, older)
    for later in newer:
        tracker.add(later)
    assert tracker.decide(claim) == diff(older + newer, claim, kind)


@SETTINGS
@given(histories, claims(), kinds)
def test_deciding_learns_nothing(history: list[Claim], claim: Claim, kind: MetricKind) -> None:
    tracker = Tracker(kind, history)
    first = tracker.decide(claim)
    assert tracker.decide(claim) == first
    assert tracker.count == len(history)


def test_a_conflict_and_its_resolution_step_like_replay() -> None:
    history = claims_from_specs([
        {"value": "1B", "published": "2026-01-10"},
        {"value": "900M", "published": "2026-01-12"},
        {"value": "1B", "published": "2026-01-20"},
    ])
    tracker = Tracker("cumulative")
    kinds = [str(tracker.add(c).kind) for c in history]
    assert kinds == ["new", "conflict", "confirmed"]
    assert [str(e.kind) for e in replay(history, "cumulative")] == kinds


def test_an_unknown_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="metric kind"):
        Tracker("sideways")
