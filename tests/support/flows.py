"""Helpers for flow tests: one Prefect test harness per process, configs, feeds and article pages.

The harness (a temporary Prefect server) takes ~10 s to start, so it is started once per test
process, on first use, and stopped at exit: ``harness_url()`` starts it and returns its API URL.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
_lock = threading.Lock()
_stack: ExitStack | None = None
_url: str | None = None


def harness_url() -> str:
    """Start the Prefect test harness once for this process; its API URL."""
    global _stack, _url
    with _lock:
        if _stack is None:
            from prefect.settings import PREFECT_API_URL
            from prefect.testing.utilities import prefect_test_harness

            os.environ.setdefault(
                "PREFECT_SERVER_ANALYTICS_ENABLED", "false"
            )  # no telemetry: no internet here
            _stack = ExitStack()
            _stack.enter_context(prefect_test_harness(server_startup_timeout=60))
            _url = PREFECT_API_URL.value()
            atexit.register(_stop, _stack)
    assert _url is not None
    return _url


def _stop(stack: ExitStack) -> None:
    """Stop the harness quietly: at exit pytest has closed the streams Prefect would log to."""
    logging.disable(logging.CRITICAL)
    stack.close()


@dataclass(frozen=True)
class Article:
    """A small news page for the local server."""

    path: str
    title: str
    day: str  # YYYY-MM-DD, stated in the page
    body: str  # the paragraphs' text
    summary: str = ""  # the feed entry's summary

    def html(self) -> str:
        """The page's HTML, dated in its metadata."""
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in self.body.split("\n\n"))
        return (
            f'<html><head><title>{escape(self.title)}</title><meta name="date" content="{self.day}">'
            f"</head><body><article><h1>{escape(self.title)}</h1>{paragraphs}</article></body></html>"
        )


def rss(base: str, articles: Sequence[Article], *, link_suffix: str = "") -> str:
    """An RSS 2.0 feed listing the articles on ``base``."""
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{escape(base + a.path + link_suffix)}</link>"
        f"<guid>{escape(base + a.path)}</guid><description>{escape(a.summary)}</description></item>"
        for a in articles
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def write_config(
    folder: Path,
    database_url: str,
    sources: Sequence[dict[str, Any]],
    channels: Sequence[dict[str, Any]] = (),
    **extra: Any,
) -> Path:
    """A config file (and its sources file) for the local servers: loopback allowed, no delays."""
    sources_file = folder / "sources.yaml"
    sources_file.write_text(yaml.safe_dump({"sources": list(sources)}), encoding="utf-8")
    config = {
        "data_dir": str(folder / "data"),
        "database_url": database_url,
        "sources_file": str(sources_file),
        "channels": list(channels),
        "http": {
            "allow_private": True,
            "allow_networks": ["127.0.0.1/32"],
            "politeness_delay": 0,
            "retries": 0,
            "read_timeout": 5,
            "total_timeout": 10,
            "connect_timeout": 5,
        },
        **extra,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def feed_source(name: str, url: str, interval: int = 30) -> dict[str, Any]:
    """One feed entry of a sources file."""
    return {"name": name, "kind": "feed", "url": url, "interval": interval}


def hook_channel(name: str, url: str, **extra: object) -> dict[str, object]:
    """A webhook channel signed with the secret in CW_TEST_HOOK_SECRET."""
    return {"name": name, "kind": "webhook", "url": url, "secret": {"env": "CW_TEST_HOOK_SECRET"}, **extra}


def mail_channel(port: int, **extra: object) -> dict[str, object]:
    """An email channel to the local SMTP server, one message per change unless ``mode`` says otherwise."""
    return {"name": "mail", "kind": "email", "host": "127.0.0.1", "port": port, "security": "none",
            "sender": "cw@example.org", "recipients": ["analyst@example.org"], **extra}
