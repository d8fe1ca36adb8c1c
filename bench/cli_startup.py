"""How fast the command line answers: --help, a listing, and `run` when nothing is due.

    .venv/bin/python bench/cli_startup.py [--repeat N]

Each command runs N times in a fresh process (the way people and cron run it); the median wall time
is printed. Prints one line:
    bench=cli_startup help_s=.. command_help_s=.. claims_s=.. run_nothing_due_s=..
Targets (issue 12): --help and every command's --help under 0.3 s; `run` with nothing due in about a
second (it starts no flow; a flow run with Prefect's temporary server costs 9-21 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
DEFAULT_REPEAT = 5
CLOSED_PORT = 9  # discard: nothing listens, so the one source fails at once and is not due again soon


def wall(args: list[str], env: dict[str, str], repeat: int) -> float:
    """Median wall time of a command, in seconds; fails loudly if the command does."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([CLAIMWATCH, *args], env=env, check=True, capture_output=True, timeout=300)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def setup(folder: Path) -> dict[str, str]:
    """A config with one unreachable feed and a database already seeded and polled once."""
    sources = folder / "sources.yaml"
    sources.write_text(
        f"sources:\n  - {{name: gone, kind: feed, url: 'http://127.0.0.1:{CLOSED_PORT}/f', interval: 30}}\n",
        encoding="utf-8",
    )
    config = folder / "config.yaml"
    config.write_text(
        f"data_dir: {folder / 'data'}\nsources_file: {sources}\nhttp: {{allow_private: true, retries: 0}}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "CLAIMWATCH_CONFIG": str(config),
        "PREFECT_HOME": str(folder / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    for key in ("PREFECT_API_URL", "CLAIMWATCH_DATABASE_URL"):
        env.pop(key, None)
    subprocess.run([CLAIMWATCH, "run"], env=env, check=True, capture_output=True, timeout=600)
    return env


def main() -> None:
    """Set up once, time each command, print the line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cw-bench-cli-") as folder:
        env = setup(Path(folder))
        figures = {
            "help_s": wall(["--help"], env, args.repeat),
            "command_help_s": wall(["backfill", "--help"], env, args.repeat),
            "claims_s": wall(["claims"], env, args.repeat),
            "run_nothing_due_s": wall(["run"], env, args.repeat),
        }
    print("bench=cli_startup " + " ".join(f"{k}={v:.2f}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
