"""The shared scorer on the seeds' gold, run against the installed `claimwatch extract` command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import trafilatura
import yaml

from core.types import Document
from extractors.catalog import load_catalog
from extractors.claims import extract_claims

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLI = Path(sys.executable).parent / "claimwatch"
# The baseline's own gold is met exactly: a slip here (one claim) would seed a wrong or missing figure.
MIN_PRECISION = 1.0
MIN_RECALL = 1.0


@pytest.mark.timeout(300)
def test_seed_gold_precision_and_recall() -> None:
    if not (SHARED / "eval" / "score_claims.py").exists():
        pytest.skip(f"shared evaluation material not found at {SHARED}")
    if not CLI.exists():
        pytest.skip(f"the claimwatch script is not installed next to {sys.executable}")
    command = [
        sys.executable,
        str(SHARED / "eval" / "score_claims.py"),
        str(SHARED / "eval" / "gold" / "seeds.yaml"),
        str(SHARED / "seeds"),
        "--",
        str(CLI),
        "extract",
        "--json",
        "--published",
        "{published}",
        "{path}",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    match = re.search(r"precision=([\d.]+) recall=([\d.]+)", last)
    assert match, f"scorer printed no score: {last}"
    precision, recall = float(match.group(1)), float(match.group(2))
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, proc.stdout


def test_catalog_keeps_the_shared_ids_units_and_kinds() -> None:
    shared = SHARED / "eval" / "metrics.yaml"
    if not shared.exists():
        pytest.skip(f"shared metric list not found at {shared}")
    expected = yaml.safe_load(shared.read_text(encoding="utf-8"))["metrics"]
    catalog = load_catalog()
    for metric_id, entry in expected.items():
        metric = catalog.get(metric_id)
        assert (metric.entity, metric.unit, str(metric.kind)) == (
            entry["entity"],
            entry["unit"],
            entry["kind"],
        )


def test_unrelated_business_news_yields_no_tracked_claims() -> None:
    pages = sorted((SHARED / "corpora" / "html").glob("*.html"))
    if not pages:
        pytest.skip(f"shared HTML corpus not found under {SHARED}")
    tracked = []
    for page in pages:
        text = trafilatura.extract(page.read_text(encoding="utf-8", errors="replace"), include_tables=True)
        claims = extract_claims(Document(source=page.stem, text=text or " "))
        tracked += [(page.name, c.metric, c.evidence[:80]) for c in claims if c.metric]
    assert tracked == []
