"""`claimwatch extract --explain`: every number in the text, with the decision taken on it and why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.periods import LooseDate
from core.types import Document
from extractors.claims import extract_claims
from extractors.explain import Trace

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
TEXT = (
    "Alibaba Cloud revenue rose 34% to RMB39.8 billion (US$5.6 billion) in the September quarter of 2025, "
    "while AWS grew 20%.\n"
    "The question is whether Alibaba Cloud growth can stay above 30%.\n"
    "Alibaba Cloud will open 3 new data centers.\n"
    "Published 2025-11-25 | 1,024 views\n"
)


def _decisions(text: str) -> dict[str, tuple[str, str]]:
    trace = Trace()
    extract_claims(Document(source="t", text=text, published=LooseDate.parse("2025-11-26")), trace=trace)
    return {d.number: (d.outcome, d.reason) for d in trace.ordered()}


@pytest.mark.parametrize(
    ("number", "outcome", "says"),
    [
        ("34%", "claim", "alibaba_cloud.revenue_growth_yoy = 34 percent (exact), 2025-Q3, actual"),
        ("RMB39.8 billion", "claim", "alibaba_cloud.revenue"),
        ("US$5.6 billion", "dropped", "restated in another currency"),
        ("20%", "dropped", "rival"),
        ("30%", "dropped", "condition, question or supposition"),
        ("3", "untracked", "no metric's cue words"),
        ("1,024", "dropped", "not a quantity"),
    ],
)
def test_each_number_has_its_decision(number: str, outcome: str, says: str) -> None:
    got_outcome, reason = _decisions(TEXT)[number]
    assert (got_outcome, says in reason) == (outcome, True), reason


def test_an_implausible_figure_is_dropped_with_the_metric_named() -> None:
    outcome, reason = _decisions("Qwen models have been downloaded 120 billion times.")["120 billion"]
    assert outcome == "dropped" and "plausible range of qwen.downloads" in reason


def test_cli_explain_as_json(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(TEXT, encoding="utf-8")
    result = subprocess.run(
        [CLAIMWATCH, "extract", "--explain", "--json", "--published", "2025-11-26", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["number"] for r in rows} >= {"34%", "20%", "30%", "1,024"}
    claimed = next(r for r in rows if r["number"] == "34%")
    assert claimed["claim"]["metric"] == "alibaba_cloud.revenue_growth_yoy"
    assert TEXT[claimed["start"] : claimed["end"]] == "34%"
