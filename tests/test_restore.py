"""``claimwatch import``: an export read back into another database loses nothing, or stores nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from app.current import standing_values
from app.export import export_lines
from app.pipeline import Pipeline
from app.restore import import_lines
from core.config import Config
from core.errors import InputError
from core.periods import LooseDate
from core.types import Document
from extractors.catalog import load_catalog
from storage import Store

TEXTS = [
    ("https://a.example/q3", "2025-11-26",
     "Alibaba Cloud revenue grew 34% to RMB39.8 billion in the September quarter of 2025."),
    ("https://b.example/q3", "2025-11-27",
     "Alibaba Cloud revenue was RMB 42 billion in the September quarter of 2025, a report said."),
    ("https://c.example/dl", "2026-01-10", "Qwen models have passed 1 billion downloads."),
]


def _shown(store: Store) -> list[tuple[str, bool, Decimal, str, int]]:
    rows = standing_values(store, load_catalog())
    return [(r.metric.id, r.claim.forecast, r.claim.value, r.claim.source, r.open_conflicts) for r in rows]


def _filled(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'from.db'}")
    pipeline = Pipeline(store, Config())
    for source, day, text in TEXTS:
        pipeline.ingest(Document(source=source, url=source, text=text, published=LooseDate.parse(day)),
                        alerts=False)
    return store


def test_an_export_imported_elsewhere_shows_the_same_values(tmp_path: Path, store: Store) -> None:
    with _filled(tmp_path) as source:
        lines = list(export_lines(source))
        expected = _shown(source)
        texts = sorted(a.text or "" for a in source.articles())
    restored = import_lines(Pipeline(store, Config()), lines, "backup.jsonl")
    assert (restored.articles, restored.claims) == (3, sum(1 for line in lines if '"type":"claim"' in line))
    assert _shown(store) == expected  # the conflict of the two September-quarter figures included
    assert any(row[4] for row in expected)
    assert sorted(a.text or "" for a in store.articles()) == texts
    again = import_lines(Pipeline(store, Config()), lines, "backup.jsonl")
    assert again.events == 0 and _shown(store) == expected  # importing twice stores nothing new


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", r"backup\.jsonl:2: not JSON"),
        ('{"type": "memo"}', r"backup\.jsonl:2: expected an object whose type is one of"),
        ('{"type": "claim", "source": "https://a.example/q3"}', r"jsonl:2: claim: a missing or bad field"),
        ('{"type": "article", "source": "x", "text": "t", "published": "2025-13-01"}', r"jsonl:2: article"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_stored(store: Store, line: str, message: str) -> None:
    good = json.dumps({"type": "article", "source": "https://a.example/q3", "text": TEXTS[0][2],
                       "published": "2025-11-26"})
    with pytest.raises(InputError, match=message):
        import_lines(Pipeline(store, Config()), [good, line], "backup.jsonl")
    assert store.is_empty()


def test_claims_of_an_article_the_file_lacks_are_refused(store: Store) -> None:
    claim = {"type": "claim", "source": "https://gone.example/x", "metric": None, "entity": "qwen",
             "value": "1", "unit": "count", "qualifier": "exact", "period": None, "forecast": False,
             "evidence": "1", "start": 0, "end": 1}
    with pytest.raises(InputError, match="an article the file does not hold: 'https://gone.example/x'"):
        import_lines(Pipeline(store, Config()), [json.dumps(claim)], "backup.jsonl")
    assert store.is_empty()


CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))


def test_export_then_import_through_the_command_line(tmp_path: Path, database_url: str) -> None:
    def run(home: str, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CLAIMWATCH_DATA_DIR": str(tmp_path / home),
               "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
        env.pop("CLAIMWATCH_CONFIG", None)
        env.pop("CLAIMWATCH_DATABASE_URL", None)
        if url:
            env["CLAIMWATCH_DATABASE_URL"] = url
        return subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, env=env, timeout=120,
                              check=False)

    page = tmp_path / "q3.txt"
    page.write_text(TEXTS[0][2], encoding="utf-8")
    assert run("old", "ingest", "--no-alerts", "--published", "2025-11-26", str(page)).returncode == 0
    backup = tmp_path / "backup.jsonl"
    assert run("old", "export", "--out", str(backup)).returncode == 0
    done = run("new", "import", str(backup), url=database_url)
    assert done.returncode == 0, done.stderr
    assert "import: " in done.stdout
    before, after = run("old", "claims", "--json"), run("new", "claims", "--json", url=database_url)
    assert json.loads(after.stdout) == json.loads(before.stdout)
    missing = run("new", "import", str(tmp_path / "nope.jsonl"), url=database_url)
    assert missing.returncode == 1 and missing.stderr.strip().endswith("nope.jsonl: no such file")
