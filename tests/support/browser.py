"""Headless Chromium (Debian's package) driven over the DevTools protocol by playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_TIMEOUT_S = 1800  # apt-get update + chromium and its libraries: minutes on a slow mirror
LAUNCH_TIMEOUT_MS = 60_000  # a cold start on a busy 2-core machine can take several seconds
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1200, "height": 900}
LOCAL_SCHEMES = ("file:", "data:", "about:")  # anything else is the page reaching for the network

_CHARTS_JS = """() => [...document.querySelectorAll('figure.chart svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const drawn = svg.querySelector('g[id^="axes_"]').getBBox();
  return {id: svg.id, width: box.width, height: box.height, drawnWidth: drawn.width,
          drawnHeight: drawn.height, shapes: svg.querySelectorAll('path, use').length};
})"""
_LOAD_MS_JS = """() => { const n = performance.getEntriesByType('navigation')[0];
  return n.loadEventEnd - n.startTime; }"""


class ChromiumUnavailable(RuntimeError):
    """Chromium is missing and could not be installed; the message says why."""


@dataclass(frozen=True)
class Loaded:
    """A page opened in the browser: how long it took and what it requested."""

    page: Page
    load_ms: float  # navigation start to the end of the load event, measured by the browser
    requests: list[str]  # every URL the page requested, the page itself included


def ensure_chromium() -> Path:
    """The Chromium binary, installed with apt-get when missing; ChromiumUnavailable when impossible."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ChromiumUnavailable(f"{CHROMIUM} is missing and apt-get cannot run here as root")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        if done.returncode != 0:
            raise ChromiumUnavailable(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
    return CHROMIUM


@contextmanager
def browser_page() -> Iterator[Page]:
    """A page in a fresh headless Chromium with its own throwaway profile."""
    with tempfile.TemporaryDirectory(prefix="cw-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(ensure_chromium()), headless=True, args=LAUNCH_ARGS,
            viewport=VIEWPORT, timeout=LAUNCH_TIMEOUT_MS,
        )  # fmt: skip
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def open_file(page: Page, path: Path) -> Loaded:
    """Navigate to a local file, wait for the load event, and report the time and requests."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return Loaded(page, float(page.evaluate(_LOAD_MS_JS)), requests)


def remote_requests(loaded: Loaded) -> list[str]:
    """The requests that were not for local content."""
    return [u for u in loaded.requests if not u.startswith(LOCAL_SCHEMES)]


def chart_boxes(page: Page) -> list[dict[str, float | str]]:
    """Each chart's rendered size, the size of what it drew, and its number of shapes."""
    return list(page.evaluate(_CHARTS_JS))
