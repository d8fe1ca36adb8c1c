"""The command line as a good Unix tool (issue 12): one-line errors before any flow, options anywhere, listings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import HOOK_SECRET, Cli, one_line_error
from support.flows import harness_url, hook_channel
from support.servers import closed_port, receiver


pytestmark = pytest.mark.timeout(300)

HEAVY = ("sqlalchemy", "prefect", "trafilatura", "matplotlib", "alembic", "apprise", "httpx")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI on a SQLite file, with its Prefect home in the test's folder (to see whether Prefect ran)."""
    found = Cli(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}")
    found.env["PREFECT_HOME"] = str(tmp_path / "prefect")
    return found


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--dir", "missing-folder"], "--dir: missing-folder"),
        (["--urls", "missing.txt"], "--urls: missing.txt"),
        (["--urls", "latin1.txt"], "latin1.txt:2: not UTF-8"),
        (["--urls", "bad-line.txt"], "bad-line.txt:3: 'news.example/qwen'"),
        (["--cdx", "example.com", "--to", "2026-99-01"], "--to: date '2026-99-01'"),
        (["--cdx", "example.com", "--match", "all"], "--match: 'all'"),
        (["--dir", ".", "--from", "2026-01-01"], "only with --cdx"),
        (["web.archive.org/qwen"], "'web.archive.org/qwen': not an http(s) URL"),
    ],
    ids=["dir", "urls-missing", "urls-encoding", "urls-line", "to-date", "match", "from-alone", "url"],
)
def test_backfill_input_errors_are_one_line_before_any_flow(cli: Cli, args: list[str], named: str) -> None:
    """Was: Prefect's 30-line traceback after 10-20 s."""
    (cli.folder / "latin1.txt").write_bytes(b"https://news.example/a\nhttps://news.example/caf\xe9\n")
    cli.write("bad-line.txt", "# saved links\nhttps://news.example/a\nnews.example/qwen\n")
    error = one_line_error(cli.run("backfill", *args))
    assert named in error
    assert not (cli.folder / "prefect").exists()  # refused before Prefect was even imported


def test_backfill_from_an_unreachable_cdx_is_one_short_sentence(cli: Cli) -> None:
    """Was: 700 characters of urllib3."""
    cli.env["PREFECT_API_URL"] = harness_url()
    done = cli.run("backfill", "--cdx", "example.com", "--wayback", f"http://127.0.0.1:{closed_port()}")
    error = one_line_error(done)
    assert "CDX search for example.com" in error and "Connection refused" in error and len(error) < 200


def test_backfill_without_input_says_what_it_accepts(cli: Cli) -> None:
    """Was: "0 items" and exit status 0."""
    done = cli.run("backfill")
    assert done.returncode == 2 and done.stdout == ""
    assert all(option in done.stderr for option in ("--urls FILE", "--dir DIR", "--cdx URL", "URL..."))


def test_config_and_json_work_before_or_after_the_command(cli: Cli) -> None:
    """Was: `claimwatch claims --config x.yaml` was refused, though the README promises it."""
    config = str(cli.config)
    env = {k: v for k, v in cli.env.items() if k != "CLAIMWATCH_CONFIG"}
    cli.env = env
    assert cli.run("--config", config, "baseline", "seed").returncode == 0
    outputs = [
        cli.run(*args)
        for args in (
            ["--config", config, "claims", "--json"],
            ["claims", "--config", config, "--json"],
            ["claims", "--json", f"--config={config}"],
            ["--json", "claims", "--config", config],
            ["--json", "--config", config, "claims"],
        )
    ]
    assert all(o.returncode == 0 for o in outputs), [o.stderr for o in outputs]
    assert len({o.stdout for o in outputs}) == 1 and json.loads(outputs[0].stdout)
    moved = cli.run("alerts", "pending", "--config", config, "--json")
    assert moved.returncode == 0 and json.loads(moved.stdout) == []


def test_sources_json_lists_each_source(cli: Cli) -> None:
    """Was: `sources` had no --json, unlike every other listing."""
    rows = cli.json("sources")
    assert rows and {
        "source",
        "kind",
        "url",
        "last_success",
        "consecutive_failures",
        "next_poll",
        "status",
    } <= set(rows[0])
    assert {r["status"] for r in rows} == {"never polled"}


def test_ingest_names_a_document_by_its_canonical_url_or_full_path(cli: Cli) -> None:
    """Was: named by its file stem, so two `qwen.txt` in two folders were one source."""
    html = (
        '<html><head><link rel="canonical" href="https://news.example/qwen-2b?utm_source=feed">'
        "<title>Qwen</title></head><body><article><p>Qwen models have passed 2 billion downloads, "
        "Alibaba Cloud said.</p><p>Developers keep building on the models, the company added.</p>"
        "</article></body></html>"
    )
    page = cli.write("page.html", html)
    first = cli.write("a/qwen.txt", "Qwen models have passed 2.2 billion downloads, Alibaba Cloud said.\n")
    second = cli.write("b/qwen.txt", "Qwen models have passed 2.4 billion downloads, Alibaba Cloud said.\n")
    events = [
        e
        for day, path in (("2026-03-01", page), ("2026-03-02", first), ("2026-03-03", second))
        for e in cli.json("ingest", "--no-alerts", "--published", day, str(path))
    ]
    assert [e["source"] for e in events] == [
        "https://news.example/qwen-2b",
        str(first.resolve()),
        str(second.resolve()),
    ]
    assert [e["kind"] for e in events] == ["updated"] * 3
    bad = one_line_error(cli.run("ingest", "--url", "news.example/qwen", str(first)))
    assert "--url: 'news.example/qwen'" in bad


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ("http: {read_timeout: -5}\n", "http.read_timeout: Input should be greater than 0"),
        ("channels:\n  - {kind: pager, name: p}\n", "channels.0.kind: unknown channel kind 'pager'"),
        (
            "channels:\n  - {kind: webhook, name: h, url: 'http://x', timeout: 0}\n",
            "channels.0.webhook.timeout",
        ),
        ("data_dir: /proc/claimwatch\n", "data_dir: /proc/claimwatch: cannot create the data directory"),
        (
            "http: {allow_networks: [localhost]}\n",
            "http.allow_networks: Value error, 'localhost' is not an IP",
        ),
    ],
    ids=["timeout", "channel-kind", "channel-timeout", "data-dir", "networks"],
)
def test_settings_are_validated_naming_the_key(cli: Cli, config: str, named: str) -> None:
    cli.config.write_text(config, encoding="utf-8")
    cli.env.pop("CLAIMWATCH_DATABASE_URL")
    assert named in one_line_error(cli.run("claims"))


def test_pending_alerts_show_local_time_to_the_second(cli: Cli) -> None:
    """Was: the next attempt in UTC, to the microsecond, with no zone."""
    with receiver(HOOK_SECRET) as hook:
        cli.config.write_text(
            json.dumps({"data_dir": str(cli.folder / "data"), "channels": [hook_channel("hook", hook.url)]}),
            encoding="utf-8",
        )
        hook.behaviour.status = 503
        doc = cli.write("a.txt", "Qwen models have passed 2.5 billion downloads, Alibaba Cloud said.\n")
        assert cli.run("ingest", "--published", "2026-03-01", str(doc)).returncode == 0
    cli.env["TZ"] = "Asia/Shanghai"
    table = cli.run("alerts", "pending").stdout
    row = next(line for line in table.splitlines() if "qwen.downloads" in line)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CST", row), row


def test_help_loads_nothing_heavy() -> None:
    """`claimwatch --help` answered in 1.75 s: the CLI module loaded Prefect, SQLAlchemy, matplotlib, trafilatura.

    The time itself is measured by bench/cli_startup.py; here, what is loaded.
    """
    probe = f"import sys; from flows.cli import app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
