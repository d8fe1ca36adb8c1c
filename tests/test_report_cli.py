"""`claimwatch report` on a seeded database writes one self-contained page with a chart per metric."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']https?://[^"']*["'][^>]*>""")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CLAIMWATCH_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("CLAIMWATCH_DATABASE_URL", None)
    env.pop("CLAIMWATCH_CONFIG", None)
    result = subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def test_report_after_seeding(tmp_path: Path) -> None:
    _run(tmp_path, "baseline", "seed")
    out = tmp_path / "report.html"
    printed = _run(tmp_path, "report", "--out", str(out)).stdout
    html = out.read_text(encoding="utf-8")
    assert f"wrote {out}" in printed
    charts, cards = html.count("<svg"), html.count('<div class="card"')
    assert charts >= 5 and charts + cards >= 10  # a chart per seeded metric with two points or more, else a card
    assert "Qwen downloads" in html and "over 1 billion" in html
    assert "<script" not in html and not REMOTE.search(html.replace('<a ', '<x '))


def test_report_for_one_metric_and_empty_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    _run(tmp_path, "report", "--out", str(empty))
    assert "No data yet" in empty.read_text(encoding="utf-8")
    _run(tmp_path, "baseline", "seed")
    one = tmp_path / "one.html"
    _run(tmp_path, "report", "--out", str(one), "--metric", "qwen.downloads")
    html = one.read_text(encoding="utf-8")
    assert html.count("<svg") == 1 and "Qwen downloads" in html


def test_report_names_seeds_shows_how_conflicts_ended_and_writes_to_the_data_directory(tmp_path: Path) -> None:
    """Was: seeds shown as `000_8e63…`, a superseded conflict never shown as ended, the page written to the cwd."""
    _run(tmp_path, "baseline", "seed")
    for day, text in (("2026-03-01", "Qwen models have 900 million downloads, Alibaba Cloud said."),
                      ("2026-04-01", "Qwen models have passed 1.5 billion downloads, Alibaba Cloud said.")):
        path = tmp_path / f"{day}.txt"
        path.write_text(text, encoding="utf-8")
        _run(tmp_path, "ingest", "--no-alerts", "--published", day, str(path))
    printed = _run(tmp_path, "report").stdout
    written = tmp_path / "data" / "report.html"
    assert f"wrote {written}" in printed
    html = written.read_text(encoding="utf-8")
    assert "AInvest: Alibaba&#39;s Qwen: A Catalyst for Global AI Ecosystem Leadership" in html
    assert not re.search(r">\s*00\d_[0-9a-f]{16}\s*<", html)  # no seed id stands for its document
    closed = html.split('<table class="closed-conflicts">')[1].split("</table>")[0]
    assert "superseded" in closed and "900 million" in closed and "over 1.5 billion" in closed
    assert _run(tmp_path, "report", "--out", "-").stdout.startswith("<!DOCTYPE html>")
