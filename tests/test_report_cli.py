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
    assert html.count("<svg") >= 10  # one chart per seeded metric
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
