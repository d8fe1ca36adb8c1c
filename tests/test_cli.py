"""The command line as people meet it: JSON shapes, dates, and one-line errors that touch nothing stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
CLAIM_FIELDS = {"metric", "entity", "value", "unit", "qualifier", "period", "forecast", "evidence", "start", "end"}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, timeout=120,
                          env=os.environ | (env or {}))


def test_extract_json_shape_and_offsets() -> None:
    path = SEEDS / "000_8e63201920052406.txt"
    result = _run("extract", "--json", "--published", "2026-02", str(path))
    assert result.returncode == 0, result.stderr
    claims = json.loads(result.stdout)
    assert claims and all(set(c) == CLAIM_FIELDS for c in claims)
    text = path.read_text(encoding="utf-8")
    assert all(text[c["start"]:c["end"]] == c["evidence"] for c in claims)
    assert all(c["metric"] is not None for c in claims)


def test_extract_all_adds_untracked_numbers() -> None:
    path = SEEDS / "001_e7d61b3f7f8b504f.txt"
    tracked = json.loads(_run("extract", "--json", str(path)).stdout)
    everything = json.loads(_run("extract", "--json", "--all", str(path)).stdout)
    assert len(everything) > len(tracked)
    assert any(c["metric"] is None for c in everything)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        ("Qwen 下载量".encode("gb18030"), "UTF-8"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes(content)
    result = _run("extract", "--json", str(path))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr and "Traceback" not in result.stderr
    assert problem.lower() in result.stderr.lower()


def test_missing_file_and_bad_date(tmp_path: Path) -> None:
    missing = _run("extract", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "nope.txt" in missing.stderr and missing.stderr.count("\n") == 1
    bad_date = _run("extract", "--published", "16/01/2026", str(SEEDS / "000_8e63201920052406.txt"))
    assert bad_date.returncode == 1 and "16/01/2026" in bad_date.stderr and "Traceback" not in bad_date.stderr


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("channels:\n  - {kind: email, name: m, host: x}\n")
    result = _run("--config", str(config), "claims")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"claimwatch: {config}: channels.0.email.sender: Field required"


def test_bad_ingest_touches_nothing_stored(tmp_path: Path) -> None:
    env = {"CLAIMWATCH_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    assert _run("baseline", "seed", env=env).returncode == 0
    before = _run("changes", "--json", env=env).stdout
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("Qwen has passed 2 billion downloads, Alibaba said.", encoding="utf-8")
    bad.write_bytes(b"\xff\xfe\x00binary")
    result = _run("ingest", "--no-alerts", "--published", "2026-08-01", str(good), str(bad), env=env)
    assert result.returncode == 1 and str(bad) in result.stderr
    assert _run("changes", "--json", env=env).stdout == before  # nothing of the batch was stored
