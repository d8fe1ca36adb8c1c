"""The incremental change engine (core.diff.Tracker) gives exactly the events of diff() and replay()."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.diff import Tracker, diff, replay
from core.errors import InputError
from core.periods import LooseDate, Period
from core.types import Claim, MetricKind, Qualifier
from support.diff import claims as claims_from_specs

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PERIODS = [Period.parse(p) for p in ("2025-Q1", "2025-Q2", "2025-H1", "2025-Q3", "2026")]
DAYS = [date(2025, 6, 1), date(2025, 9, 30), date(2026, 1, 12), date(2026, 2, 1)]
VALUES = [Decimal(v) for v in ("0", "100", "101", "95", "110", "200", "700", "1000")]


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    """A claim of two metrics whose values, qualifiers, periods and dates often collide."""
    day = draw(st.one_of(st.none(), st.sampled_from(DAYS)))
    return Claim(
        metric=draw(st.sampled_from(["qwen.downloads", "alibaba_cloud.revenue"])),
        entity="qwen",
        value=draw(st.sampled_from(VALUES)),
        unit=draw(st.sampled_from(["count", "count", "USD"])),
        qualifier=draw(st.sampled_from(list(Qualifier))),
        period=draw(st.one_of(st.none(), st.sampled_from(PERIODS))),
        forecast=draw(st.booleans()),
        evidence="",
        start=0,
        end=0,
        source=draw(st.sampled_from(["a", "b", "c"])),
        published=None if day is None else LooseDate(day, "day"),
    )


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
