"""Where ``claimwatch serve`` leaves the address of the Prefect server it started, so ``run`` can use it.

While ``serve`` runs, its server is the one to use: ``serve`` records its API URL in PREFECT_HOME, and
``run`` and ``backfill`` use it when it still answers, before starting or reusing a temporary one
(flows/temporary_server.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

SERVER_FILE = "claimwatch-server.url"
HEALTH_TIMEOUT = 1.0  # seconds: a local server answers in milliseconds; one that does not is gone
WAIT_STEP = 0.05  # seconds between health checks while a server starts


def prefect_home(env: Mapping[str, str] | None = None) -> Path:
    """PREFECT_HOME as Prefect reads it (default ~/.prefect)."""
    env = os.environ if env is None else env
    return Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def record_server(api_url: str) -> Path:
    """Note a running server's API URL for other commands; the file written."""
    path = prefect_home() / SERVER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(api_url + "\n", encoding="utf-8")
    return path


def forget_server(api_url: str) -> None:
    """Remove the note, if it is still this server's."""
    path = prefect_home() / SERVER_FILE
    try:
        if path.read_text(encoding="utf-8").strip() == api_url:
            path.unlink()
    except OSError:
        pass  # never written, or already gone


def running_server() -> str | None:
    """The API URL of a server ``serve`` started that answers now, else None."""
    try:
        url = (prefect_home() / SERVER_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return url if answers(url) else None


def answers(url: str, timeout: float = HEALTH_TIMEOUT) -> bool:
    """Whether the Prefect API at ``url`` answers its health check."""
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def wait_answering(url: str, alive: Callable[[], bool], timeout: float) -> bool:
    """Whether the server at ``url`` answered within ``timeout`` seconds, waiting only while ``alive()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        if answers(url):
            return True
        time.sleep(WAIT_STEP)
    return False
