"""What the flow benchmarks share: a loopback server in a child process, and a scratch folder."""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER_START_TIMEOUT = 30  # seconds; generating thousands of pages takes a few


@contextmanager
def served(target: Callable[..., None], args: tuple[Any, ...], prefix: str) -> Iterator[tuple[str, Path]]:
    """Run ``target(*args, ready, stop)`` in a forked child; yield its base URL and a scratch folder.

    The child is forked before Prefect is imported here, so the flow's memory figures are its own.
    """
    context = multiprocessing.get_context("fork")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=target, args=(*args, ready, stop), daemon=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield ready.get(timeout=SERVER_START_TIMEOUT), Path(folder)
    finally:
        stop.set()
        server.join(timeout=10)


def timed(function: Any, spent: list[float]) -> Any:
    """``function`` that adds its wall time to ``spent`` on every call."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    return wrapper
