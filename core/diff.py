"""The change engine: what one claim means against what was known before it (eval/CHANGES.md).

``diff(history, claim, kind)`` is a pure function. It keeps only the claims of the claim's own
series (same metric, same forecast flag), replays them in publication order to learn the current
value, the known periods and the open conflicts, then applies one rule family per metric kind:

* cumulative, level, target (``_point_in_time``): compare with the latest known claim;
  not later -> historical; a bound the known figure already passed -> historical;
  agree -> confirmed; a cumulative total that falls -> conflict; else updated.
* flow (``_flow``): a period that has a claim -> confirmed / conflict; a new period later than
  every known one -> updated; an earlier new period -> historical; no period -> confirmed when it
  agrees with the latest known value, else updated with period unknown. A figure with no period
  never becomes the value shown in place of one that has a period (CHANGES.md): the shown value
  stays with the latest dated period.

Decisions the table leaves open, taken here:

* A claim with no as-of (no period, no publication date) cannot be placed in time. Against a
  dated latest claim (flow: a series with publication dates) it is ``confirmed`` when it agrees
  and ``historical`` otherwise (never an alert); when the series is undated too, ingestion
  order stands in for time.
* A flow claim for a new latest period that agrees with the latest known value, when that value
  had no period ("34% growth", then "34% in the September quarter"), is ``confirmed``: it dates
  the figure already reported instead of changing it.
* A flow claim with no period published before the newest claim of its series is a backfill:
  ``historical``. Once a flow claim with no period is accepted, it is the latest known value
  that the next claim with no period is compared with (so outlets repeating it do not re-alert),
  though never the value shown while a period has one.
* A lower bound ("over 700M") that the latest known figure already exceeds beyond tolerance is
  ``historical`` even when it is consistent with it; symmetrically for an upper bound ("under").
* A re-ingested claim (same fact from the same source) is never ``new``, ``updated`` or
  ``conflict``, and never closes a conflict: it was already counted.
* A conflict closes when a later claim (not published before either side, not earlier in
  as-of) agrees with exactly one side; the event is ``confirmed`` and lists the conflict's key
  in ``resolves``. While open, the current value is the side from the most recently published
  source.
* The replay is in publication order (then as-of, source and figure: a total order), so the value shown
  (``current``) and the conflicts open or closed depend only on which claims are stored, never on the
  order they were ingested in (a backfill, a re-extraction, two writers). Each event is decided when its
  claim arrives, against every claim known then: it says what was news when it was learned.
* A conflict of a cumulative, level or target series is superseded (CHANGES.md) by a claim whose
  as-of is later than both sides and that is not ``historical``: the event lists the conflict's key
  in ``supersedes``. A flow conflict is about one period, and a later period does not settle it.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from core.errors import InputError
from core.periods import Period
from core.types import ALERTING_KINDS, ChangeEvent, ChangeKind, Claim, MetricKind, Qualifier

AGREE_TOLERANCE = Decimal("0.01")  # CHANGES.md: within 1% is the same figure (press rounding)
APPROX_TOLERANCE = Decimal("0.05")  # CHANGES.md: 5% when either side says "approx."/"about"
BOUND_HEADROOM = Decimal("0.10")  # a bound is a rounded figure: "over 700M" restates up to 770M;
#                                   a value further beyond it says more than the bound did
LOWER_BOUNDS = frozenset({Qualifier.OVER, Qualifier.AT_LEAST})
UPPER_BOUNDS = frozenset({Qualifier.UNDER})
HUNDRED = Decimal(100)
_EARLIEST = date.min  # sorts undated claims before every dated one


@dataclass(frozen=True)
class Conflict:
    """Two claims of one series (and period) that cannot both be true; open until one side is confirmed."""

    older: Claim
    newer: Claim

    @property
    def sides(self) -> tuple[Claim, Claim]:
        """Both claims, older first."""
        return (self.older, self.newer)

    @property
    def period(self) -> Period | None:
        """The period the conflict is about (flow metrics), else None."""
        return self.newer.period

    @property
    def key(self) -> str:
        """A stable id, so an event can say which conflict it closes."""
        parts = (self.newer.metric, self.newer.forecast, _fact(self.older), _fact(self.newer))
        return "cf_" + hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


RESOLVED = "resolved"  # a later claim agreed with one side
SUPERSEDED = "superseded"  # a claim as of later than both sides moved the figure on
WITHDRAWN = "withdrawn"  # re-read by a newer extractor, no article states one side any more


@dataclass(frozen=True)
class ClosedConflict:
    """A conflict that is over: how it ended, and the claim that ended it."""

    conflict: Conflict
    outcome: str  # RESOLVED or SUPERSEDED
    by: Claim


@dataclass
class _Series:
    """What the replay of one series has learned so far (private, mutated only by ``_advance``)."""

    kind: MetricKind
    size: int = 0  # claims replayed
    current: Claim | None = None  # the value shown; flow: the latest period's (period-less only if none)
    periods: dict[str, Claim] = field(default_factory=dict)  # flow: current claim per period label
    latest_period: Claim | None = None  # flow: current claim of the latest known period
    loose: Claim | None = None  # flow: the period-less figure accepted since the latest period, if any
    conflicts: list[Conflict] = field(default_factory=list)
    closed: list[ClosedConflict] = field(default_factory=list)
    seen: set[tuple] = field(default_factory=set)  # (fact, source) of every claim replayed
    last_published: date | None = None  # the newest publication day among the claims


# ---------------------------------------------------------------- public API


class Tracker:
    """One metric's replay state, kept between claims: replay the history once, then step claim by claim.

    ``Tracker(kind, history).decide(claim)`` is ``diff(history, claim, kind)``; ``add`` learns a claim
    (as ``replay`` would) so the next decision costs one step instead of a replay of the whole history.
    The state is that of the learned claims in publication order (``chronological``): a claim published
    before the newest one learned is put in its place and the claims after it replayed from a checkpoint.
    """

    def __init__(self, kind: MetricKind | str, history: Iterable[Claim] = ()) -> None:
        self.kind = _kind(kind)
        self.count = 0  # claims learned, every series together
        self._states: dict[tuple, _Series] = {}
        self._learned: dict[tuple, list[Claim]] = {}  # each series' claims, in chronological order
        self._marks: dict[tuple, tuple[int, _Series]] = {}  # each series' state after its first n claims
        for claim in history:
            self.add(claim)

    def decide(self, claim: Claim) -> ChangeEvent:
        """The event ``claim`` makes against every claim learned so far (learns nothing)."""
        state = self._states.get(series_key(claim))
        return _decide(state if state is not None else _Series(self.kind), claim)

    def add(self, claim: Claim) -> ChangeEvent:
        """Learn one claim; the event it made against every claim learned before it."""
        self.count += 1
        key = series_key(claim)
        learned = self._learned.setdefault(key, [])
        state = self._states.setdefault(key, _Series(self.kind))
        if not learned or _chronology(claim) >= _chronology(learned[-1]):
            learned.append(claim)
            return _step(state, claim)
        event = _decide(state, claim)
        at = bisect.bisect_right(learned, _chronology(claim), key=_chronology)
        learned.insert(at, claim)
        self._states[key] = self._replayed_from(key, at)
        return event

    def _replayed_from(self, key: tuple, at: int) -> _Series:
        """A series' state after a claim was put in at ``at``: its checkpoint moved up to ``at``, copied, and
        the claims from ``at`` on stepped.

        A backfill puts claim after claim before the same few newer ones (the seeded baseline), in order: the
        checkpoint follows it, so each costs a copy and those few steps, not a replay of the whole series
        (which made a 10,000-page backfill quadratic: 1,198 replays of 200 claims each at 400 pages).
        """
        learned = self._learned[key]
        done, mark = self._marks.get(key, (0, None))
        if mark is None or done > at:  # none yet, or the claim went in before it: start from nothing
            done, mark = 0, _Series(self.kind)
        for claim in learned[done:at]:
            _step(mark, claim)
        self._marks[key] = (at, mark)
        state = _copy(mark)
        for claim in learned[at:]:
            _step(state, claim)
        return state


def diff(history: Sequence[Claim], claim: Claim, kind: MetricKind | str) -> ChangeEvent:
    """The one change event ``claim`` makes against every earlier claim of its metric."""
    key = series_key(claim)
    return Tracker(kind, (c for c in history if series_key(c) == key)).decide(claim)


def replay(history: Sequence[Claim], kind: MetricKind | str) -> list[ChangeEvent]:
    """The events of a metric's claims ingested one by one, in order (each series on its own)."""
    tracker = Tracker(kind)
    return [tracker.add(c) for c in history]


def current(history: Sequence[Claim], kind: MetricKind | str, *, forecast: bool = False) -> Claim | None:
    """The value shown for one metric's actual (or forecast) series; None when it has no claim."""
    return _replay(chronological(_one_series(history, forecast)), _kind(kind)).current


def open_conflicts(
    history: Sequence[Claim], kind: MetricKind | str, *, forecast: bool = False
) -> list[Conflict]:
    """Conflicts of one metric's series that no later claim has settled, oldest first."""
    return list(_replay(chronological(_one_series(history, forecast)), _kind(kind)).conflicts)


def closed_conflicts(
    history: Sequence[Claim], kind: MetricKind | str, *, forecast: bool = False
) -> list[ClosedConflict]:
    """Conflicts of one metric's series that a later claim resolved or superseded, in the order closed."""
    return list(_replay(chronological(_one_series(history, forecast)), _kind(kind)).closed)


def chronological(claims: Iterable[Claim]) -> list[Claim]:
    """Claims in publication order (undated first), then as-of, source and figure: one order for any set."""
    return sorted(claims, key=_chronology)


def _chronology(claim: Claim) -> tuple:
    """The sort key of ``chronological``: a total order, so equal sets sort alike."""
    period = claim.period.label if claim.period is not None else ""
    precision = claim.published.precision if claim.published is not None else ""
    return (_published_day(claim), precision, claim.as_of or _EARLIEST, claim.source, claim.unit,
            claim.value, str(claim.qualifier), period, claim.start, claim.end, claim.published_source or "",
            claim.evidence, claim.stated_unit or "", str(claim.stated_value), claim.extractor_version)


def agree(a: Claim, b: Claim) -> bool:
    """Whether two claims state the same figure (CHANGES.md: tolerance and bounds)."""
    if a.unit != b.unit:
        return False
    tolerance = tolerance_for(a, b)
    if _close(a.value, b.value, tolerance):
        return True
    if _is_bound(a) == _is_bound(b):
        return False  # two exact figures, or two bounds: only a near-equal figure agrees
    bound, other = (a, b) if _is_bound(a) else (b, a)
    return _satisfies(bound, other.value, tolerance)


def tolerance_for(a: Claim, b: Claim) -> Decimal:
    """Relative tolerance for comparing two claims."""
    if Qualifier.APPROX in (a.qualifier, b.qualifier):
        return APPROX_TOLERANCE
    return AGREE_TOLERANCE


def change_pct(previous: Claim, claim: Claim) -> Decimal | None:
    """Percent change from ``previous`` to ``claim``; None across units or from zero."""
    if previous.unit != claim.unit or previous.value == 0:
        return None
    return (claim.value - previous.value) / abs(previous.value) * HUNDRED


def series_key(claim: Claim) -> tuple:
    """Claims are compared only within one series: one metric, actuals or forecasts."""
    if claim.metric is None:
        return (None, claim.entity, claim.unit, claim.forecast)
    return (claim.metric, claim.forecast)


# ---------------------------------------------------------------- replay


def _replay(series: Sequence[Claim], kind: MetricKind) -> _Series:
    """What a series knows after its claims are ingested in order."""
    state = _Series(kind)
    for claim in series:
        _step(state, claim)
    return state


def _copy(state: _Series) -> _Series:
    """A state to step on without changing ``state`` (claims and conflicts are immutable; containers not)."""
    return replace(state, periods=dict(state.periods), conflicts=list(state.conflicts),
                               closed=list(state.closed), seen=set(state.seen))


def _step(state: _Series, claim: Claim) -> ChangeEvent:
    """Decide one claim's event, then learn from it."""
    event = _decide(state, claim)
    _advance(state, event)
    return event


def _one_series(history: Sequence[Claim], forecast: bool) -> list[Claim]:
    """The claims of one series; InputError when the history mixes metrics."""
    metrics = {c.metric for c in history}
    if len(metrics) > 1:
        raise InputError(f"history mixes metrics {sorted(map(str, metrics))}: pass one metric's claims")
    return [c for c in history if c.forecast == forecast]


def _kind(kind: MetricKind | str) -> MetricKind:
    """A MetricKind from its value; InputError naming an unknown one."""
    try:
        return MetricKind(kind)
    except ValueError:
        raise InputError(f"metric kind {kind!r}: expected one of {[k.value for k in MetricKind]}") from None


# ---------------------------------------------------------------- deciding


def _decide(state: _Series, claim: Claim) -> ChangeEvent:
    """The event for ``claim`` given what the series knows (does not change the state)."""
    if not state.size:
        return _event(ChangeKind.NEW, claim, None)
    repeat = (_fact(claim), claim.source) in state.seen
    settled = None if repeat else _resolution(state, claim)
    event = settled or _RULES[state.kind](state, claim)
    if repeat and event.kind in ALERTING_KINDS:
        return replace(event, kind=ChangeKind.HISTORICAL)  # already counted when first ingested
    return event if repeat else _superseding(state, event)


def _superseding(state: _Series, event: ChangeEvent) -> ChangeEvent:
    """The event, listing the open conflicts it supersedes: as of later than both sides (not flow)."""
    as_of = event.claim.as_of
    if state.kind is MetricKind.FLOW or event.kind is ChangeKind.HISTORICAL or as_of is None:
        return event
    passed = tuple(c.key for c in state.conflicts if c.key not in event.resolves
                   and all(side.as_of is not None and side.as_of < as_of for side in c.sides))
    return replace(event, supersedes=passed) if passed else event


def _point_in_time(state: _Series, claim: Claim) -> ChangeEvent:
    """cumulative, level, target: compare with the latest known claim."""
    latest = state.current
    assert latest is not None  # a non-empty series always has a current claim
    if not _later(claim, latest):
        undated_agreeing = claim.as_of is None and agree(latest, claim)
        return _event(ChangeKind.CONFIRMED if undated_agreeing else ChangeKind.HISTORICAL, claim, latest)
    if _bound_passed(claim, latest):
        return _event(ChangeKind.HISTORICAL, claim, latest)
    if agree(latest, claim):
        return _event(ChangeKind.CONFIRMED, claim, latest)
    if state.kind is MetricKind.CUMULATIVE and _falls(latest, claim):
        return _event(ChangeKind.CONFLICT, claim, latest)
    return _event(ChangeKind.UPDATED, claim, latest)


def _flow(state: _Series, claim: Claim) -> ChangeEvent:
    """flow: each period holds its own figure."""
    if claim.period is None:
        return _flow_without_period(state, claim)
    same = state.periods.get(claim.period.label)
    if same is not None:
        return _event(ChangeKind.CONFIRMED if agree(same, claim) else ChangeKind.CONFLICT, claim, same)
    latest = state.latest_period
    if latest is None or claim.period.end > _period_end(latest):
        return _new_period(state, claim)
    return _event(ChangeKind.HISTORICAL, claim, latest)


def _new_period(state: _Series, claim: Claim) -> ChangeEvent:
    """flow, a period later than every known one: updated, unless it dates the latest period-less figure."""
    loose = state.loose
    if loose is not None and agree(loose, claim):
        return _event(ChangeKind.CONFIRMED, claim, loose)  # "34%" then "34% in Q3": nothing changed
    return _event(ChangeKind.UPDATED, claim, state.latest_period or state.current)


def _flow_without_period(state: _Series, claim: Claim) -> ChangeEvent:
    """flow, no period: agrees with the latest known value -> confirmed, else updated (period unknown)."""
    latest = state.loose or state.current
    assert latest is not None
    if _published_before_series(state, claim):
        undated_agreeing = claim.published is None and agree(latest, claim)
        return _event(ChangeKind.CONFIRMED if undated_agreeing else ChangeKind.HISTORICAL, claim, latest)
    return _event(ChangeKind.CONFIRMED if agree(latest, claim) else ChangeKind.UPDATED, claim, latest)


_RULES: dict[MetricKind, Callable[[_Series, Claim], ChangeEvent]] = {
    MetricKind.CUMULATIVE: _point_in_time,
    MetricKind.LEVEL: _point_in_time,
    MetricKind.TARGET: _point_in_time,
    MetricKind.FLOW: _flow,
}


def _resolution(state: _Series, claim: Claim) -> ChangeEvent | None:
    """A confirmed event when ``claim`` agrees with exactly one side of open conflicts, else None."""
    closed: list[tuple[Conflict, Claim]] = []
    for conflict in (c for c in state.conflicts if _may_settle(state, c, claim)):
        agreeing = [side for side in conflict.sides if agree(side, claim)]
        if len(agreeing) == 1:
            closed.append((conflict, agreeing[0]))
    if not closed:
        return None
    event = _event(ChangeKind.CONFIRMED, claim, closed[0][1])
    return replace(event, resolves=tuple(conflict.key for conflict, _ in closed))


def _may_settle(state: _Series, conflict: Conflict, claim: Claim) -> bool:
    """Only a later claim about the same thing settles a conflict."""
    newest = max(_published_day(side) for side in conflict.sides)
    if claim.published is not None and claim.published.day < newest:
        return False
    if state.kind is not MetricKind.FLOW:
        newer_as_of = max(side.as_of or _EARLIEST for side in conflict.sides)
        return claim.as_of is None or claim.as_of >= newer_as_of
    if claim.period is None:
        return state.latest_period is not None and conflict.period == state.latest_period.period
    return claim.period == conflict.period


# ---------------------------------------------------------------- comparisons


def _close(x: Decimal, y: Decimal, tolerance: Decimal) -> bool:
    """Within ``tolerance`` of the larger magnitude (symmetric)."""
    return abs(x - y) <= tolerance * max(abs(x), abs(y))


def _is_bound(claim: Claim) -> bool:
    """Whether the claim states a bound ("over", "at least", "under") rather than a figure."""
    return claim.qualifier in LOWER_BOUNDS or claim.qualifier in UPPER_BOUNDS


def _satisfies(bound: Claim, value: Decimal, tolerance: Decimal) -> bool:
    """Whether ``value`` fits the bound, and says no more than it ("over 700M" and 720M)."""
    slack, headroom = tolerance * abs(bound.value), BOUND_HEADROOM * abs(bound.value)
    if bound.qualifier in LOWER_BOUNDS:
        return bound.value - slack <= value <= bound.value + headroom
    return bound.value - headroom <= value <= bound.value + slack


def _bound_passed(claim: Claim, latest: Claim) -> bool:
    """A bound the known figure already lies beyond tells nothing new ("over 700M" after "over 1B")."""
    if claim.unit != latest.unit or _close(claim.value, latest.value, tolerance_for(claim, latest)):
        return False
    if claim.qualifier in LOWER_BOUNDS:
        return latest.value > claim.value and latest.qualifier not in UPPER_BOUNDS
    if claim.qualifier in UPPER_BOUNDS:
        return latest.value < claim.value and latest.qualifier not in LOWER_BOUNDS
    return False


def _falls(latest: Claim, claim: Claim) -> bool:
    """Whether ``claim`` says the figure is lower than ``latest`` says (a cumulative total falling)."""
    if claim.unit != latest.unit or claim.qualifier in LOWER_BOUNDS or latest.qualifier in UPPER_BOUNDS:
        return False
    return claim.value < latest.value


def _later(claim: Claim, latest: Claim) -> bool:
    """Whether ``claim`` is as of a later date; undated claims follow only undated ones."""
    if claim.as_of is None:
        return latest.as_of is None
    return latest.as_of is None or claim.as_of > latest.as_of


def _published_before_series(state: _Series, claim: Claim) -> bool:
    """A backfill (published before the newest claim the series has), or undated among dated claims."""
    if state.last_published is None:
        return False
    return claim.published is None or claim.published.day < state.last_published


# ---------------------------------------------------------------- events and state


def _event(kind: ChangeKind, claim: Claim, previous: Claim | None) -> ChangeEvent:
    """An event with the change measured against ``previous``."""
    pct = None if previous is None else change_pct(previous, claim)
    direction = _direction(previous, claim)
    return ChangeEvent(kind=kind, claim=claim, previous=previous, change_pct=pct, direction=direction)


def _direction(previous: Claim | None, claim: Claim) -> str | None:
    """Whether the value went "up" or "down"; None when equal or in different units."""
    if previous is None or previous.unit != claim.unit or previous.value == claim.value:
        return None
    return "up" if claim.value > previous.value else "down"


def _advance(state: _Series, event: ChangeEvent) -> None:
    """Learn from one decided event (the only place the replay state changes)."""
    claim = event.claim
    state.size += 1
    state.seen.add((_fact(claim), claim.source))
    if claim.published is not None:
        state.last_published = max(claim.published.day, state.last_published or claim.published.day)
    _end_conflicts(state, event.resolves, RESOLVED, claim)
    _end_conflicts(state, event.supersedes, SUPERSEDED, claim)
    if event.kind is ChangeKind.CONFLICT and event.previous is not None:
        state.conflicts.append(Conflict(event.previous, claim))
    _ADVANCE[state.kind](state, event)


def _end_conflicts(state: _Series, keys: tuple[str, ...], outcome: str, claim: Claim) -> None:
    """Move the conflicts with these keys from open to closed."""
    if keys:
        state.closed += [ClosedConflict(c, outcome, claim) for c in state.conflicts if c.key in keys]
        state.conflicts = [c for c in state.conflicts if c.key not in keys]


def _advance_point(state: _Series, event: ChangeEvent) -> None:
    """cumulative, level, target: the accepted claim becomes the latest known one."""
    claim, latest = event.claim, state.current
    if event.kind is ChangeKind.HISTORICAL:
        return
    if event.kind is ChangeKind.CONFLICT:
        state.current = _most_recently_published(event.previous, claim)
    elif latest is None or event.resolves or _later(claim, latest):
        state.current = claim


def _advance_flow(state: _Series, event: ChangeEvent) -> None:
    """flow: the period's figure, the latest period, and the latest known value."""
    claim = event.claim
    if event.kind is ChangeKind.HISTORICAL:
        if claim.period is not None:  # an older period now has a claim that later ones are checked against
            state.periods.setdefault(claim.period.label, claim)
        return
    if claim.period is None:
        _advance_flow_without_period(state, event)
        return
    was_shown = state.current is state.latest_period
    figure = _most_recently_published(event.previous, claim) if event.kind is ChangeKind.CONFLICT else claim
    state.periods[claim.period.label] = figure
    latest = state.latest_period
    if latest is None or claim.period.end > _period_end(latest):
        state.loose = None  # the newest figure now has a period
    if latest is None or claim.period.end > _period_end(latest) or latest.period == claim.period:
        state.latest_period = figure
        if was_shown or latest is None or latest.period != claim.period:
            state.current = figure


def _advance_flow_without_period(state: _Series, event: ChangeEvent) -> None:
    """flow, no period: the latest known value, shown only while no period has one (CHANGES.md).

    Settling the latest period's conflict fixes that period's figure, which is then the one shown.
    """
    state.loose = event.claim
    latest = state.latest_period
    if latest is None:
        state.current = event.claim
    elif event.resolves and latest.period is not None and event.previous is not None:
        state.periods[latest.period.label] = state.latest_period = state.current = event.previous


_ADVANCE: dict[MetricKind, Callable[[_Series, ChangeEvent], None]] = {
    MetricKind.CUMULATIVE: _advance_point,
    MetricKind.LEVEL: _advance_point,
    MetricKind.TARGET: _advance_point,
    MetricKind.FLOW: _advance_flow,
}


def _most_recently_published(previous: Claim | None, claim: Claim) -> Claim:
    """CHANGES.md: during a conflict the value shown is the most recently published one."""
    if previous is None or _published_day(claim) >= _published_day(previous):
        return claim
    return previous


def _published_day(claim: Claim) -> date:
    """The publication day, or the earliest date when unknown."""
    return claim.published.day if claim.published is not None else _EARLIEST


def _period_end(claim: Claim) -> date:
    """The end of the claim's period, or the earliest date when it has none."""
    return claim.period.end if claim.period is not None else _EARLIEST


def _fact(claim: Claim) -> tuple:
    """What makes two claims the same fact (as in ChangeEvent.key, without the kind)."""
    period = claim.period.label if claim.period is not None else None
    value = claim.value.normalize()
    return (claim.metric, claim.forecast, claim.unit, value, str(claim.qualifier), period, claim.as_of)

