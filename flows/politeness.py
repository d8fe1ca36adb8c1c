"""Per-host politeness that holds across processes and machines: Prefect global concurrency limits.

``sources.http.LocalHostLimiter`` keeps one process polite; with Dask workers (or several Prefect
workers) each process would keep its own count and a site would see N times the traffic. This
limiter keeps the count on the Prefect server instead: per host, a concurrency limit of
``per_host_concurrency`` slots, and a rate limit of one request start per ``politeness_delay``
seconds (a slot that decays), created on first use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.concurrency.sync import concurrency, rate_limit
from prefect.exceptions import ObjectAlreadyExists

from core.config import HttpConfig

LIMIT_PREFIX = "claimwatch-host"  # global limits are shared by every flow on the server: make ours obvious
SLOT_LEASE = (
    300.0  # seconds; a worker that dies frees its slot after this, so a host is never locked for good
)
_UNSAFE = re.compile(r"[^a-z0-9]+")


def limit_names(host: str) -> tuple[str, str]:
    """The (concurrency, rate) limit names for a host, e.g. ``claimwatch-host-example-com-8080``."""
    slug = _UNSAFE.sub("-", host.lower()).strip("-")
    return f"{LIMIT_PREFIX}-{slug}", f"{LIMIT_PREFIX}-{slug}-rate"


class GlobalHostLimiter:
    """A HostLimiter (see sources.http) whose counts live on the Prefect server."""

    def __init__(self, config: HttpConfig) -> None:
        self._concurrency = max(1, config.per_host_concurrency)
        self._delay = config.politeness_delay
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's slots, after waiting for its politeness delay."""
        held, rate = limit_names(host)
        self._ensure(host, held, rate)
        with concurrency(held, lease_duration=SLOT_LEASE, strict=True):
            if self._delay > 0:
                rate_limit(rate, strict=True)
            yield

    def _ensure(self, host: str, held: str, rate: str) -> None:
        """Create (or align) the host's two limits once per process."""
        with self._lock:
            if host in self._ready:
                return
            with get_client(sync_client=True) as client:
                _upsert(client, held, self._concurrency, None)
                if self._delay > 0:
                    _upsert(client, rate, 1, 1 / self._delay)
            self._ready.add(host)


def _upsert(client: SyncPrefectClient, name: str, limit: int, decay: float | None) -> None:
    """Create or align one limit; another process creating it at the same moment is fine."""
    try:
        client.upsert_global_concurrency_limit_by_name(name, limit, slot_decay_per_second=decay)
    except ObjectAlreadyExists:
        client.upsert_global_concurrency_limit_by_name(name, limit, slot_decay_per_second=decay)  # exists now
