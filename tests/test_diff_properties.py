"""Properties of the change engine that must hold for any history (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.diff import METRICS, PERIODS
from support.diff import random_claims as claims

from core.diff import Tracker, agree, chronological, current, diff, open_conflicts, replay, series_key
from core.periods import LooseDate, Period
from core.types import ALERTING_KINDS, ChangeKind, Claim, MetricKind, Qualifier

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOT_REPEATABLE = {ChangeKind.NEW, ChangeKind.UPDATED, ChangeKind.CONFLICT}


kinds = st.sampled_from(list(MetricKind))
histories = st.lists(claims(), max_size=12)


@SETTINGS
@given(histories, kinds, st.data())
def test_reingesting_a_known_claim_is_never_news(
    history: list[Claim], kind: MetricKind, data: st.DataObject
) -> None:
    if not history:
        return
    again = data.draw(st.sampled_from(history))
    event = diff(history, again, kind)
    assert event.kind in {ChangeKind.CONFIRMED, ChangeKind.HISTORICAL}
    assert event.resolves == ()


@SETTINGS
@given(histories, claims(metric=METRICS[0]), claims(metric=METRICS[1]), kinds)
def test_order_of_two_claims_of_different_metrics_does_not_matter(
    history: list[Claim], a: Claim, b: Claim, kind: MetricKind
) -> None:
    assert diff([*history, a], b, kind) == diff(history, b, kind)
    assert diff([*history, b], a, kind) == diff(history, a, kind)
    ab, ba = replay([*history, a, b], kind), replay([*history, b, a], kind)
    assert ab[-2:] == ba[-2:][::-1]


@SETTINGS
@given(histories, claims(), kinds)
def test_an_update_always_disagrees_with_what_it_replaces(
    history: list[Claim], claim: Claim, kind: MetricKind
) -> None:
    event = diff(history, claim, kind)
    if event.kind is ChangeKind.UPDATED:
        assert event.previous is not None
        new_flow_period = kind is MetricKind.FLOW and claim.period is not None
        assert new_flow_period or not agree(event.previous, claim)  # CHANGES.md: a new period is an update


@SETTINGS
@given(st.lists(claims(metric=METRICS[0]), min_size=1, max_size=10), kinds, st.data())
def test_values_within_tolerance_never_produce_updated(
    history: list[Claim], kind: MetricKind, data: st.DataObject
) -> None:
    forecast = data.draw(st.booleans())
    shown = current(history, kind, forecast=forecast)
    if shown is None:
        return
    drift = data.draw(st.decimals(min_value=Decimal("-0.009"), max_value=Decimal("0.009"), places=4))
    any_period = st.one_of(st.none(), st.sampled_from(PERIODS))
    period = shown.period if kind is MetricKind.FLOW else data.draw(any_period)
    later = LooseDate(date(2026, 6, 1))
    close = replace(shown, value=shown.value * (1 + drift), source="new", period=period, published=later)
    assert diff(history, close, kind).kind is not ChangeKind.UPDATED


@SETTINGS
@given(histories, claims(), kinds)
def test_event_is_well_formed(history: list[Claim], claim: Claim, kind: MetricKind) -> None:
    event = diff(history, claim, kind)
    series = [c for c in history if series_key(c) == series_key(claim)]
    assert event.kind in set(ChangeKind)
    assert (event.kind is ChangeKind.NEW) == (not series)
    assert event.previous is None or any(event.previous is c for c in series)
    if event.kind is ChangeKind.CONFLICT:
        assert kind in {MetricKind.CUMULATIVE, MetricKind.FLOW}


@SETTINGS
@given(histories, claims(), kinds)
def test_change_pct_sign_matches_direction(history: list[Claim], claim: Claim, kind: MetricKind) -> None:
    event = diff(history, claim, kind)
    prev = event.previous
    comparable = prev is not None and prev.unit == claim.unit
    assert (event.change_pct is not None) == (comparable and prev.value != 0)
    if event.change_pct is not None:
        sign = {1: "up", -1: "down", 0: None}[(event.change_pct > 0) - (event.change_pct < 0)]
        assert event.direction == sign
    if not comparable:
        assert event.direction is None


@SETTINGS
@given(histories, kinds)
def test_replay_is_diff_one_claim_at_a_time(history: list[Claim], kind: MetricKind) -> None:
    assert replay(history, kind) == [diff(history[:i], c, kind) for i, c in enumerate(history)]


@SETTINGS
@given(histories, kinds)
def test_ingesting_everything_twice_alerts_only_the_first_time(
    history: list[Claim], kind: MetricKind
) -> None:
    second_pass = replay([*history, *history], kind)[len(history):]
    assert not [e for e in second_pass if e.kind in NOT_REPEATABLE]
    assert all(e.kind not in ALERTING_KINDS for e in second_pass)


@SETTINGS
@given(histories, claims(), st.sampled_from([MetricKind.CUMULATIVE, MetricKind.LEVEL, MetricKind.TARGET]))
def test_backfilled_older_figures_never_alert(history: list[Claim], claim: Claim, kind: MetricKind) -> None:
    series = [c for c in history if series_key(c) == series_key(claim)]
    dated = [c.as_of for c in series if c.as_of is not None]
    if not series or claim.as_of is None or len(dated) < len(series) or claim.as_of > min(dated):
        return
    assert diff(history, claim, kind).kind not in ALERTING_KINDS


@SETTINGS
@given(st.lists(claims(metric=METRICS[0]), max_size=12), kinds, st.randoms(use_true_random=False), st.booleans())
def test_the_value_shown_does_not_depend_on_the_order_of_ingestion(
    history: list[Claim], kind: MetricKind, rng: random.Random, forecast: bool
) -> None:
    shuffled = rng.sample(history, len(history))
    assert current(shuffled, kind, forecast=forecast) == current(history, kind, forecast=forecast)
    assert open_conflicts(shuffled, kind, forecast=forecast) == open_conflicts(history, kind, forecast=forecast)
    tracker = Tracker(kind)
    for claim in shuffled:
        tracker.add(claim)  # step by step, as a run learns them: the same state as one replay
    for claim in history:
        assert tracker.decide(claim) == diff(history, claim, kind)


@SETTINGS
@given(st.lists(claims(metric=METRICS[0]), min_size=1, max_size=14), kinds, st.randoms(use_true_random=False),
       st.integers(min_value=0, max_value=4))
def test_a_backfill_before_newer_claims_decides_as_a_replay_after_every_claim(
    history: list[Claim], kind: MetricKind, rng: random.Random, newer: int
) -> None:
    """The shape the checkpoint is for: a few newest claims learned first (the baseline), then the rest
    oldest first, now and then one out of order; after each, every decision is that of a replay."""
    ordered = chronological(history)  # the tracker's own order: the tail is really the newest
    tail, rest = ordered[len(ordered) - newer:] if newer else [], ordered[: len(ordered) - newer]
    if len(rest) > 2:
        i = rng.randrange(len(rest) - 1)
        rest[i], rest[i + 1] = rest[i + 1], rest[i]
    tracker, learned = Tracker(kind), []
    for claim in [*tail, *rest]:
        assert tracker.add(claim) == diff(learned, claim, kind)
        learned.append(claim)
        assert all(tracker.decide(c) == diff(learned, c, kind) for c in history)


@pytest.mark.parametrize("kind", list(MetricKind))
def test_a_long_backfill_before_a_seeded_baseline_decides_as_a_replay(kind: MetricKind) -> None:
    """One metric, its two newest claims learned first, then 30 older ones oldest first: each is put in
    before the baseline, from the checkpoint; every decision after every claim is that of a replay. Two
    claims a quarter, now agreeing, now not, so what the older claims left behind decides the later ones."""
    figures = [100, 100, 120, 90, 130, 130, 125, 140, 160, 155] * 3 + [170, 180]
    quarters = [Period.parse(f"{2025 + n // 8}-Q{n // 2 % 4 + 1}") for n in range(len(figures))]
    series = [Claim(metric=METRICS[0], entity="qwen", value=Decimal(v), unit="count", qualifier=Qualifier.EXACT,
                    period=quarters[n], forecast=False, evidence="", start=0, end=0, source=f"s{n % 3}",
                    published=LooseDate(date(2025, 1, 1) + timedelta(days=7 * n), "day"))
              for n, v in enumerate(figures)]
    probes = [replace(c, value=c.value + 7, source="probe") for c in series]  # another figure, each period
    tracker, learned = Tracker(kind), []
    for claim in [*series[-2:], *series[:-2]]:
        assert tracker.add(claim) == diff(learned, claim, kind)
        learned.append(claim)
        assert all(tracker.decide(c) == diff(learned, c, kind) for c in [*series, *probes])


def test_claims_alike_but_for_the_precision_of_their_date_replay_alike_in_any_order() -> None:
    """Found by the property above: the same figure dated 2026-01-12 and '2026-01' tied in publication
    order, so the value shown (and the previous figure of an event) followed the order of ingestion."""
    to_the_day = Claim(metric=METRICS[0], entity="qwen", value=Decimal(0), unit="count",
                       qualifier=Qualifier.OVER, period=None, forecast=False, evidence="", start=0, end=0,
                       source="a", published=LooseDate(date(2026, 1, 12), "day"))
    to_the_month = replace(to_the_day, published=LooseDate(date(2026, 1, 12), "month"))
    for kind in MetricKind:
        forward, backward = [to_the_day, to_the_month], [to_the_month, to_the_day]
        assert current(forward, kind) == current(backward, kind)
        tracker = Tracker(kind)
        for claim in backward:
            tracker.add(claim)
        assert all(tracker.decide(c) == diff(forward, c, kind) for c in forward)
