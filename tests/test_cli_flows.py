"""The flow commands: run (in a real subprocess, no internet), backfill, sources; prefect.yaml vs serve."""

from __future__ import annotations

import inspect
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import pytest
import yaml
from support.flows import Article, harness_url, write_config
from typer.testing import CliRunner

from flows.cli import app
from flows.deploy import SCHEDULES, TIMEZONE, deployments

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[1]
CLAIMWATCH = Path(sys.executable).parent / "claimwatch"
RUNNER_SETTLE = 5.0  # seconds: Prefect's runner takes the signals over once its loop runs, after its banner
STOP_WAIT = 60  # seconds for serve to stop its runner and server: about 3 s alone, more on a loaded machine
UNREACHABLE = [
    {"name": "gone-feed", "kind": "feed", "url": "http://unreachable.invalid/feed", "interval": 30},
    {"name": "gone-page", "kind": "page", "url": "https://unreachable.invalid/newsroom", "interval": 60},
    {"name": "closed-port", "kind": "feed", "url": "http://127.0.0.1:9/feed.xml", "interval": 30},
]


@pytest.fixture(scope="module")
def prefect() -> str:
    return harness_url()


def test_run_without_internet_reports_each_source_in_one_line(prefect: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", UNREACHABLE)
    env = {**os.environ, "PREFECT_API_URL": prefect, "CLAIMWATCH_CONFIG": str(config)}
    env.pop("CLAIMWATCH_DATABASE_URL", None)
    done = subprocess.run(
        [str(CLAIMWATCH), "run"], env=env, capture_output=True, text=True, timeout=150, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for source in UNREACHABLE:
        mine = [line for line in lines if source["name"] in line]
        assert len(mine) == 1 and "unreachable" in mine[0] and source["url"] in mine[0]
    assert "baseline: seeded from" in done.stdout  # an empty database gets the baseline first
    assert (
        "Flow run" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    )  # Prefect kept quiet

    result = CliRunner().invoke(app, ["--config", str(config), "sources"], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "gone-feed" in line]
    assert rows and "never" in rows[0] and "failing" in result.output and " 1 " in rows[0]


def test_run_when_nothing_is_due_starts_no_flow(prefect: str, tmp_path: Path) -> None:
    """Was: 9-21 s for a flow run (a temporary Prefect server started and stopped) that polled nothing."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", UNREACHABLE[2:])
    env = {**os.environ, "PREFECT_API_URL": prefect, "CLAIMWATCH_CONFIG": str(config)}
    env.pop("CLAIMWATCH_DATABASE_URL", None)
    first = subprocess.run([str(CLAIMWATCH), "run"], env=env, capture_output=True, text=True, timeout=150)
    assert first.returncode == 0 and "1 sources polled" in first.stdout, first.stderr
    env.pop("PREFECT_API_URL")
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    again = subprocess.run([str(CLAIMWATCH), "run"], env=env, capture_output=True, text=True, timeout=150)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("monitor: nothing due (next poll at ") and "--all" in again.stdout
    assert not (tmp_path / "prefect").exists()  # Prefect was never imported, let alone a server started


def test_backfill_command_reads_a_folder_and_resumes(prefect: str, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    for n, (day, figure) in enumerate([("2025-06-01", "500 million"), ("2025-01-01", "300 million")]):
        page = Article(
            f"/p{n}", f"Qwen at {figure}", day, f"Qwen has passed {figure} downloads, Alibaba Cloud said."
        )
        (folder / f"p{n}.html").write_text(page.html(), encoding="utf-8")
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [])
    runner = CliRunner()
    first = runner.invoke(app, ["--config", str(config), "backfill", "--dir", str(folder)])
    again = runner.invoke(app, ["--config", str(config), "backfill", "--dir", str(folder)])
    history = runner.invoke(app, ["--config", str(config), "history", "qwen.downloads", "--json"])
    assert first.exit_code == 0, first.output
    assert "2 items, 0 already stored, 2 pages ingested" in first.output
    assert "2 items, 2 already stored, 0 pages ingested" in again.output
    values = [row["value"] for row in yaml.safe_load(history.output) if row["source"].startswith("file:")]
    assert values == ["300000000", "500000000"] or values == [300000000, 500000000]


def test_backfill_rejects_a_bad_match_type(prefect: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [])
    result = CliRunner().invoke(
        app, ["--config", str(config), "backfill", "--cdx", "example.com", "--match", "all"]
    )
    assert result.exit_code != 0 and "exact, prefix, host, domain" in str(result.exception)


def test_prefect_yaml_and_serve_have_the_same_schedules() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    declared = {d["name"]: d for d in spec["deployments"]}
    assert set(declared) == {s.name for s in SCHEDULES}
    for schedule in SCHEDULES:
        deployment = declared[schedule.name]
        crons = [(s["cron"], s["timezone"]) for s in deployment["schedules"]]
        assert crons == ([(schedule.cron, TIMEZONE)] if schedule.cron else [])
        assert deployment["work_pool"]["name"] == "claimwatch-pool"
        module, name = deployment["entrypoint"].split(":")
        assert getattr(schedule.flow, "name", None) == name
        assert (ROOT / module).is_file()
        accepted = set(inspect.signature(schedule.flow.fn).parameters)
        assert set(deployment["parameters"]) <= accepted and set(schedule.parameters) <= accepted
        assert all(deployment["parameters"][k] == v for k, v in schedule.parameters.items())
    assert any("set_working_directory" in str(step) for step in spec["pull"])


def test_serve_builds_one_deployment_per_schedule(prefect: str) -> None:
    built = {d.name: d for d in deployments("/etc/claimwatch.yaml")}
    assert set(built) == {"monitor", "digest", "backfill", "backfill-sources"}
    assert built["monitor"].schedules[0].schedule.cron == "*/30 * * * *"
    assert built["monitor"].schedules[0].schedule.timezone == TIMEZONE
    assert not built["backfill"].schedules
    assert all(d.parameters["config_path"] == "/etc/claimwatch.yaml" for d in built.values())


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_without_a_prefect_server_stops_cleanly(stop: signal.Signals, tmp_path: Path) -> None:
    """Ctrl-C (to the whole process group, as a terminal sends it) or SIGTERM: the runner, then its server."""
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PATH": "/usr/bin:/bin",  # as in a shell where the venv is not activated
    }
    env.pop("PREFECT_API_URL", None)
    serving = subprocess.Popen(
        [str(CLAIMWATCH), "serve"],
        env=env,
        cwd=tmp_path,
        text=True,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert serving.stdout is not None
        seen = "".join(_lines_until(serving.stdout, "being served"))
        seen += "".join(_lines_until(serving.stdout, "claimwatch serve --now"))
        ui = re.search(r"Prefect UI for these runs: (http://\S+)", seen)
        assert ui, seen
        first_run = r"monitor/monitor: cron \*/30 \* \* \* \* \(UTC\); first run at \S+ \S+ UTC, in \d+ min"
        assert re.search(first_run, seen)
        hint = re.search(r"from another shell: (PREFECT_API_URL=\S+) (\S+) (deployment run monitor/monitor)",
                         seen)
        assert hint and hint.group(2) == str(CLAIMWATCH.with_name("prefect")), seen  # the venv's, not PATH's
        assert (tmp_path / "prefect" / "claimwatch-server.url").read_text().strip() in hint.group(1)
        time.sleep(RUNNER_SETTLE)
        if stop is signal.SIGINT:  # the hint works as printed (from a shell without PREFECT_API_URL)
            done = subprocess.run(" ".join(hint.groups()), shell=True, env=env, capture_output=True,
                                  text=True, timeout=120, cwd=tmp_path)
            assert done.returncode == 0 and "Created flow run" in done.stdout, done.stdout + done.stderr
        if stop is signal.SIGINT:
            os.killpg(serving.pid, stop)
        else:
            serving.send_signal(stop)
        rest, _ = serving.communicate(timeout=STOP_WAIT)
        assert serving.returncode == 0, rest
        assert "Traceback" not in rest and "Warning" not in rest
        with pytest.raises(httpx.ConnectError):
            httpx.get(ui.group(1), timeout=5)  # the local server stopped with it
        assert not (tmp_path / "prefect" / "claimwatch-server.url").exists()  # and `run` no longer looks for it
    finally:  # a failed wait must not leave serve running for the rest of the suite
        if serving.poll() is None:
            os.killpg(serving.pid, signal.SIGKILL)


def test_serve_now_runs_the_monitor_before_the_schedules(prefect: str, tmp_path: Path) -> None:
    """Was: no way to see a first run without waiting up to 30 minutes for the schedule."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", UNREACHABLE[2:])
    env = {**os.environ, "PREFECT_API_URL": prefect, "CLAIMWATCH_CONFIG": str(config), "PATH": "/usr/bin:/bin"}
    env.pop("CLAIMWATCH_DATABASE_URL", None)
    serving = subprocess.Popen([str(CLAIMWATCH), "serve", "--now"], env=env, cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert serving.stdout is not None
    try:
        seen = "".join(_lines_until(serving.stdout, "deployment run monitor/monitor"))
    finally:
        serving.send_signal(signal.SIGTERM)
        serving.communicate(timeout=60)
    ran = seen.index("monitor: 1 sources polled (0 not modified, 1 unreachable)")
    assert seen.index("monitor: running once now") < ran < seen.index("being served")
    assert "from another shell: " + str(CLAIMWATCH.with_name("prefect")) in seen  # PREFECT_API_URL already set


def _lines_until(stream: IO[str], marker: str) -> list[str]:
    """Lines read from a text stream up to and including the first holding ``marker``."""
    lines: list[str] = []
    for line in stream:
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError("".join(lines))
