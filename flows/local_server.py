"""Where ``claimwatch serve`` leaves the address of the Prefect server it started, so ``run`` can use it.

While ``serve`` runs, its server is the one to use: ``serve`` records its API URL in PREFECT_HOME, and
``run`` and ``backfill`` use it when it still answers, before starting or reusing a temporary one
(flows/temporary_server.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx

SERVER_FILE = "claimwatch-server.url"
HEALTH_TIMEOUT = 1.0  # seconds: a local server answers in milliseconds; one that does not is gone


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
    try:
        healthy = httpx.get(f"{url}/health", timeout=HEALTH_TIMEOUT).status_code == 200
    except httpx.HTTPError:
        healthy = False
    return url if healthy else None
