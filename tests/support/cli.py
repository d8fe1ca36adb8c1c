"""Running the installed ``claimwatch`` command in a subprocess, as a user would, against one database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
HOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes; a test-only key


class Cli:
    """The command line with its own config file, data directory and database."""

    def __init__(self, folder: Path, database_url: str, channels: Sequence[dict[str, Any]] = ()) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "config.yaml"
        self.config.write_text(
            yaml.safe_dump({"data_dir": str(folder / "data"), "channels": list(channels)}), encoding="utf-8"
        )
        self.env = os.environ | {
            "CLAIMWATCH_DATABASE_URL": database_url,
            "CLAIMWATCH_CONFIG": str(self.config),
            "XDG_CONFIG_HOME": str(folder / "xdg"),
            "CW_TEST_HOOK_SECRET": HOOK_SECRET,
            "COLUMNS": "200",
        }

    def run(
        self, *args: str, stdin: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """One command; its exit status and output."""
        return subprocess.run(
            [CLAIMWATCH, *args],
            capture_output=True,
            text=True,
            env=self.env,
            input=stdin,
            timeout=timeout,
            cwd=self.folder,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """One command started in the background."""
        return subprocess.Popen(
            [CLAIMWATCH, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.folder,
        )

    def json(self, *args: str) -> Any:
        """A command's --json output, parsed; fails on a non-zero exit."""
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def write(self, name: str, text: str) -> Path:
        """A document file in the test's folder."""
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (asserting there is exactly one and no traceback)."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    return done.stderr.strip()
