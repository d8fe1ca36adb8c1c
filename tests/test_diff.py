"""The change engine (core/diff.py) and currency normalisation (core/currency.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.diff import claim, claims

from core.currency import RateTable, implied_rate, is_currency, normalise, stated_rate
from core.diff import Conflict, agree, closed_conflicts, current, diff, open_conflicts, replay
from core.errors import ConfigError, InputError
from core.types import ChangeKind, FxRate, MetricKind

CASES_FILE = Path(__file__).parent / "data" / "change_cases.yaml"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
CHANGES_MD = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "CHANGES.md"
PCT_PLACES = Decimal("0.001")


# ---------------------------------------------------------------- the data-driven cases


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_change_case(case: dict[str, Any]) -> None:
    history = claims(case["history"])
    new = claim(case["claim"], default_source="new")
    event = diff(history, new, case["kind"])
    expect = case["expect"]
    assert event.kind == ChangeKind(expect["kind"])
    assert event.claim is new
    assert event.previous is (None if expect["previous"] is None else history[expect["previous"]])
    pct = None if event.change_pct is None else event.change_pct.quantize(PCT_PLACES)
    assert pct == (None if expect["change_pct"] is None else Decimal(expect["change_pct"]))
    if "direction" in expect:
        assert event.direction == expect["direction"]
    resolved = [Conflict(history[i], history[j]).key for i, j in expect.get("resolves", [])]
    assert list(event.resolves) == resolved
    superseded = [Conflict(history[i], history[j]).key for i, j in expect.get("supersedes", [])]
    assert list(event.supersedes) == superseded


@pytest.mark.parametrize("sequence", CASES["sequences"], ids=lambda s: s["name"])
def test_change_sequence(sequence: dict[str, Any]) -> None:
    steps = sequence["steps"]
    ingested = claims([step["claim"] for step in steps])
    kinds = [diff(ingested[:i], c, sequence["kinds"][c.metric]).kind.value for i, c in enumerate(ingested)]
    assert kinds == [step["kind"] for step in steps]


def test_cases_cover_every_kind_for_every_metric_kind_family() -> None:
    seen = {(case["kind"], case["expect"]["kind"]) for case in CASES["cases"]}
    point = {"new", "updated", "conflict", "historical", "confirmed"}
    assert {kind for family, kind in seen if family == "cumulative"} == point
    assert {kind for family, kind in seen if family == "flow"} == point
    other = {kind for family, kind in seen if family in ("level", "target")}
    assert {"updated", "historical", "confirmed"} <= other


@pytest.mark.shared
def test_cases_cover_every_row_of_changes_md() -> None:
    if not CHANGES_MD.exists():
        pytest.skip(f"{CHANGES_MD} is absent: cannot check the table's rows")
    lines = [line for line in CHANGES_MD.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    for line in lines[2:]:  # below the header and its rule
        families, situation, kinds = (cell.strip() for cell in line.strip("|").split("|"))
        allowed = set(re.findall(r"`(\w+)`", kinds))
        for family in families.split(", "):
            expected = {c["expect"]["kind"] for c in CASES["cases"] if c["row"] == f"{family} | {situation}"}
            assert expected, f"no case for {family} | {situation}"
            assert expected <= allowed, (family, situation, expected)


# ---------------------------------------------------------------- agreement


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"value": "700M", "q": "over"}, {"value": "720M"}, True),
        ({"value": "700M", "q": "over"}, {"value": "694M"}, True),  # within 1% below the bound
        ({"value": "700M", "q": "over"}, {"value": "690M"}, False),
        ({"value": "700M", "q": "over"}, {"value": "1B", "q": "over"}, False),
        ({"value": "700M", "q": "over"}, {"value": "700M", "q": "at_least"}, True),
        ({"value": "100M", "q": "under"}, {"value": "95M"}, True),
        ({"value": "100M", "q": "under"}, {"value": "102M"}, False),
        ({"value": "53B", "q": "approx"}, {"value": "55B"}, True),
        ({"value": "53B"}, {"value": "55B"}, False),
        ({"value": "-5", "unit": "percent"}, {"value": "-5.04", "unit": "percent"}, True),
        ({"value": "0"}, {"value": "0"}, True),
        ({"value": "50B", "unit": "USD"}, {"value": "50B", "unit": "CNY"}, False),
    ],
)
def test_agree(a: dict[str, Any], b: dict[str, Any], expected: bool) -> None:
    assert agree(claim(a), claim(b)) is expected
    assert agree(claim(b), claim(a)) is expected


# ---------------------------------------------------------------- current value and open conflicts


def test_current_during_a_conflict_is_the_most_recently_published_side() -> None:
    history = claims([
        {"value": "39.8B", "unit": "CNY", "period": "2025-Q3", "published": "2025-11-27"},
        {"value": "42B", "unit": "CNY", "period": "2025-Q3", "published": "2025-11-25"},
    ])
    assert current(history, MetricKind.FLOW) is history[0]
    [conflict] = open_conflicts(history, MetricKind.FLOW)
    assert conflict.sides == (history[1], history[0])  # replayed in publication order: the older side first
    assert conflict.period is not None and conflict.period.label == "2025-Q3"


def test_conflict_closes_when_a_later_claim_agrees_with_one_side() -> None:
    history = claims([
        {"value": "1B", "published": "2026-02-01"},
        {"value": "900M", "published": "2026-03-01"},
    ])
    [conflict] = open_conflicts(history, "cumulative")
    settling = claim({"value": "1.002B", "published": "2026-04-01"}, default_source="later")
    event = diff(history, settling, "cumulative")
    assert event.kind is ChangeKind.CONFIRMED and event.resolves == (conflict.key,)
    assert open_conflicts([*history, settling], "cumulative") == []
    assert current([*history, settling], "cumulative") is settling


def test_a_superseded_conflict_is_closed_and_says_how() -> None:
    history = claims([
        {"value": "700M", "q": "over", "published": "2026-01-12"},
        {"value": "650M", "published": "2026-01-20"},
        {"value": "1B", "q": "over", "published": "2026-02-03"},
    ])
    assert open_conflicts(history, "cumulative") == []
    [ended] = closed_conflicts(history, "cumulative")
    assert (ended.outcome, ended.by, ended.conflict.sides) == ("superseded", history[2], (history[0], history[1]))
    assert current(history, "cumulative") is history[2]


def test_a_period_less_flow_figure_is_compared_but_never_shown_over_a_dated_one() -> None:
    history = claims([
        {"value": 34, "unit": "percent", "period": "2025-Q3", "published": "2025-11-25"},
        {"value": 40, "unit": "percent", "published": "2026-01-12"},
    ])
    assert [e.kind for e in replay(history, "flow")] == [ChangeKind.NEW, ChangeKind.UPDATED]
    assert current(history, "flow") is history[0]
    repeat = claim({"value": 40, "unit": "percent", "published": "2026-01-14"}, default_source="other")
    assert diff(history, repeat, "flow").kind is ChangeKind.CONFIRMED  # other outlets repeating it: no re-alert


def test_a_period_less_figure_settling_a_flow_conflict_fixes_the_period() -> None:
    history = claims([
        {"value": 34, "unit": "percent", "period": "2025-Q3", "published": "2025-11-25"},
        {"value": 30, "unit": "percent", "period": "2025-Q3", "published": "2025-11-27"},
        {"value": 34, "unit": "percent", "published": "2025-12-10"},
    ])
    assert open_conflicts(history, "flow") == []
    assert current(history, "flow") is history[0]  # the side it agreed with: a figure with no period is never shown
    again = claim({"value": 34, "unit": "percent", "period": "2025-Q3", "published": "2025-12-12"})
    assert diff(history, again, "flow").previous is history[0]


def test_current_and_conflicts_per_forecast_flag() -> None:
    history = claims([
        {"value": 60, "unit": "percent", "period": 2026, "forecast": True, "published": "2026-01-16"},
        {"value": "35.8", "unit": "percent", "period": "2025-H1", "published": "2026-01-16"},
    ])
    assert current(history, "level").value == Decimal("35.8")
    assert current(history, "level", forecast=True).value == 60
    assert current([], "level") is None


def test_current_skips_a_stale_lower_bound() -> None:
    history = claims([{"value": "1B", "q": "over", "published": "2026-02"},
                      {"value": "700M", "q": "over", "published": "2026-03-02"}])
    assert current(history, "cumulative") is history[0]


def test_one_series_helpers_refuse_mixed_metrics() -> None:
    history = claims([{"metric": "a", "value": 1}, {"metric": "b", "value": 2}])
    with pytest.raises(InputError, match="mixes metrics"):
        current(history, "level")


def test_unknown_metric_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="metric kind 'stock'"):
        diff([], claim({"value": 1}), "stock")


def test_replay_matches_diff_one_by_one() -> None:
    steps = CASES["sequences"][0]["steps"]
    ingested = [c for c in claims([s["claim"] for s in steps]) if c.metric == "qwen.downloads"]
    events = replay(ingested, "cumulative")
    assert events == [diff(ingested[:i], c, "cumulative") for i, c in enumerate(ingested)]


def test_diff_does_not_touch_history() -> None:
    history = claims([{"value": "1B", "published": "2026-02-01"},
                      {"value": "900M", "published": "2026-03-01"}])
    before = list(history)
    diff(history, claim({"value": "1B", "published": "2026-04-01"}, default_source="x"), "cumulative")
    assert history == before


def test_event_key_differs_between_kinds_but_not_between_runs() -> None:
    history = claims([{"value": "700M", "q": "over", "published": "2026-01-12"}])
    new = claim({"value": "1B", "q": "over", "published": "2026-02"}, default_source="x")
    assert diff(history, new, "cumulative").key == diff(history, new, "cumulative").key
    assert diff(history, new, "cumulative").key != diff([], new, "cumulative").key


# ---------------------------------------------------------------- currency


TABLE = RateTable.from_mapping({"rates": {
    "USD/CNY": {"2025-01": 7.30, "2025-09": 7.12, "2026-01-15": 7.00},
    "EUR/USD": {"2025-01": 1.04},
}})


@pytest.mark.parametrize(
    ("base", "quote", "on", "expected"),
    [
        ("USD", "CNY", date(2025, 9, 15), "7.12"),
        ("USD", "CNY", date(2025, 8, 31), "7.30"),  # nearest earlier date
        ("USD", "CNY", date(2026, 1, 15), "7.00"),
        ("USD", "CNY", None, "7.00"),  # latest
        ("CNY", "USD", date(2025, 9, 1), str(Decimal(1) / Decimal("7.12"))),  # inverse derived
        ("EUR", "CNY", date(2025, 9, 1), str(Decimal("1.04") * Decimal("7.12"))),  # through USD
        ("CNY", "CNY", date(2025, 9, 1), "1"),
    ],
)
def test_rate_lookup(base: str, quote: str, on: date | None, expected: str) -> None:
    assert TABLE.rate(base, quote, on) == Decimal(expected)


def test_rate_refuses_unknown_pairs_dates_and_codes() -> None:
    with pytest.raises(ConfigError, match="no exchange rate for USD/JPY"):
        TABLE.rate("USD", "JPY", date(2025, 9, 1))
    with pytest.raises(ConfigError, match="no rate on or before 2024-12-31"):
        TABLE.rate("USD", "CNY", date(2024, 12, 31))
    with pytest.raises(InputError, match="not a currency code"):
        TABLE.rate("count", "CNY", date(2025, 9, 1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "rates: expected a mapping"),
        ({"rates": {"USDCNY": {"2025-01": 7.3}}}, "rates.USDCNY: expected a pair"),
        ({"rates": {"USD/CNY": {"2025-13": 7.3}}}, "rates.USD/CNY.2025-13: expected a date key"),
        ({"rates": {"USD/CNY": {"2025-01": "seven"}}}, "expected a date key and a numeric rate"),
        ({"rates": {"USD/CNY": {"2025-01": -7.3}}}, "must be a positive number"),
        ({"rates": {"USD/CNY": []}}, "expected a mapping of dates"),
    ],
)
def test_bad_rate_tables_name_the_key(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RateTable.from_mapping(data, "rates.yaml")


def test_load_reads_a_file_and_names_it_when_broken(tmp_path: Path) -> None:
    good = tmp_path / "rates.yaml"
    good.write_text('rates:\n  USD/CNY:\n    "2025-01": 7.3\n    2025-06-15: 7.2\n', encoding="utf-8")
    assert RateTable.load(good).rate("USD", "CNY", date(2025, 7, 1)) == Decimal("7.2")
    bad = tmp_path / "broken.yaml"
    bad.write_text("rates: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.yaml: cannot read rates"):
        RateTable.load(bad)


def test_bundled_table_covers_2023_to_2026_monthly() -> None:
    table = RateTable.bundled()
    for year in (2023, 2024, 2025):
        for month in range(1, 13):
            rate = table.rate("USD", "CNY", date(year, month, 15))
            assert Decimal("6.5") < rate < Decimal("7.5"), (year, month, rate)
    assert Decimal("6.5") < table.rate("USD", "CNY", date(2026, 6, 1)) < Decimal("7.5")
    # The 2025-02 announcement stated RMB 380 billion as about US$53 billion (a rounder 7.17);
    # the month's average gives about US$52 billion, within the 5% that "approx." allows.
    usd = Decimal(380_000_000_000) / table.rate("USD", "CNY", date(2025, 2, 24))
    assert abs(usd - Decimal(53_000_000_000)) / Decimal(53_000_000_000) < Decimal("0.05")


def test_normalise_prefers_the_rate_the_article_states() -> None:
    usd = claim({"value": "53B", "unit": "USD", "q": "approx", "published": "2025-02-24"})
    stated = [FxRate("CNY", "USD", Decimal(53) / Decimal(380), source="article")]
    converted = normalise(usd, "CNY", stated, TABLE)
    assert (converted.value, converted.unit) == (Decimal(380_000_000_000), "CNY")
    assert (converted.stated_value, converted.stated_unit) == (Decimal(53_000_000_000), "USD")
    assert replace(converted, value=usd.value, unit="USD", stated_value=None, stated_unit=None) == usd


def test_normalise_falls_back_to_the_table_at_the_as_of() -> None:
    usd = claim({"value": "50B", "unit": "USD", "period": "2025-Q3", "published": "2026-01-16"})
    converted = normalise(usd, "CNY", [FxRate("EUR", "USD", Decimal("1.1"))], TABLE)
    assert converted.value == Decimal(356_000_000_000)  # 50B x 7.12 (2025-09)
    assert converted.stated_unit == "USD"


def test_normalise_passes_other_units_through() -> None:
    count = claim({"value": "700M"})
    assert normalise(count, "count", [], TABLE) is count
    assert normalise(count, "CNY", [], TABLE) is count
    cny = claim({"value": "39.8B", "unit": "CNY"})
    assert normalise(cny, "CNY", [], TABLE) is cny


def test_normalised_claims_compare_in_one_unit() -> None:
    cny = claim({"value": "380B", "unit": "CNY", "q": "over", "forecast": True, "published": "2025-02-24"})
    usd = claim({"value": "53B", "unit": "USD", "q": "approx", "forecast": True, "published": "2025-03-01"},
                default_source="other")
    event = diff([cny], normalise(usd, "CNY", [FxRate("USD", "CNY", Decimal("7.17"))], TABLE), "target")
    assert event.kind is ChangeKind.CONFIRMED and event.change_pct is not None


def test_stated_and_implied_rates() -> None:
    cny = claim({"value": "380B", "unit": "CNY", "published": "2025-02-24"})
    usd = claim({"value": "53B", "unit": "USD", "published": "2025-02-24"})
    fx = implied_rate(cny, usd)
    assert (fx.base, fx.quote, fx.as_of) == ("CNY", "USD", date(2025, 2, 24))
    assert stated_rate([fx], "USD", "CNY") == Decimal(1) / fx.rate
    assert stated_rate([fx], "USD", "EUR") is None
    on = date(2025, 9, 2)
    assert TABLE.fx("USD", "CNY", on) == FxRate("USD", "CNY", Decimal("7.12"), on, source="table")
    with pytest.raises(InputError, match="two different currencies"):
        implied_rate(cny, cny)
    assert is_currency("CNY") and not is_currency("count")
