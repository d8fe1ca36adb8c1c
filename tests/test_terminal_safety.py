"""What claimwatch prints is text, never markup or terminal control: a page cannot restyle, link or crash it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.faults import cli_env, run_cli
from support.flows import write_config

ESCAPES = "\x1b[2J\x1b]8;;https://evil.example/\x07here\x1b]8;;\x07\x9b31m\u202e"  # clear, hyperlink, CSI, RLO
PAGE = f"""<html><head><meta property="og:site_name" content="Evil [/] News {ESCAPES}">
<meta name="date" content="2026-04-01"><title>Qwen news</title></head><body><article>
<p>Qwen has passed 1.5 billion downloads, Alibaba Cloud said [link=https://evil.example/]today[/link]
[bold red]{ESCAPES}.</p></article></body></html>"""
TEXT = f"Qwen has passed 1.4 billion downloads, Alibaba Cloud said {ESCAPES} [link=https://evil.example/]x[/link].\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A config and one stored page whose publisher and text carry markup and escape sequences."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [])
    page = tmp_path / "evil.html"
    page.write_text(PAGE, encoding="utf-8")
    text = tmp_path / "evil.txt"
    text.write_text(TEXT, encoding="utf-8")  # a text file keeps its escape sequences, as a feed summary may
    for path, url, day in ((text, "https://evil.example/qwen-1", "2026-03-31"),
                           (page, "https://evil.example/qwen", "2026-04-01")):
        stored = run_cli(["ingest", "--no-alerts", "--url", url, "--published", day, str(path)], cli_env(config),
                         tmp_path)
        assert stored.returncode == 0, stored.stderr
    return {**cli_env(config), "COLUMNS": "400"}  # wide enough that no cell folds


@pytest.mark.parametrize("command", [["claims"], ["changes"], ["history", "qwen.downloads"],
                                     ["alerts", "pending"], ["sources"]])
def test_tables_print_markup_as_text_and_no_control_characters(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    for _ in range(2):  # the crash was on every later call, not only the first
        done = run_cli(command, env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        _no_control(done.stdout + done.stderr)
    if command == ["claims"]:
        assert "Evil [/] News" in done.stdout


def test_extract_prints_the_page_text_as_it_is_written(tmp_path: Path) -> None:
    page = tmp_path / "evil.html"
    page.write_text(PAGE, encoding="utf-8")
    done = run_cli(["extract", str(page)], cli_env(write_config(tmp_path, "sqlite:///:memory:", [])), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[link=https://evil.example/]today[/link]" in "".join(done.stdout.split("│"))  # shown, not obeyed
    _no_control(done.stdout)


def test_json_output_escapes_control_characters(env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(["changes", "--json"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    _no_control(done.stdout)
    rows = json.loads(done.stdout)
    assert any("\x1b" in row["evidence"] for row in rows)  # the data kept, only escaped in the output


def _no_control(printed: str) -> None:
    """No escape, CSI or other C0/C1 control character (line breaks aside), no bidi override."""
    bad = [c for c in printed if (ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) <= 0x9F or c == "\u202e"]
    assert not bad, sorted(set(bad))
