"""robots.txt, fetched once per host and cached (RFC 9309, parsed by protego)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from core.errors import BlockedError, FetchError
from core.types import RawPage

DEFAULT_TTL = 86400.0  # RFC 9309 §2.4: a cached robots.txt should not be used for more than 24 hours
FAILURE_TTL = 600.0  # an unreachable or failing robots.txt is asked again soon, so one outage does not stick
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least the first 500 KiB; the fetch keeps no more


@dataclass(frozen=True)
class RobotsRules:
    """What one host's robots.txt allows; ``parser`` None means a blanket rule."""

    allow_all: bool
    parser: Protego | None = None
    expires: float = 0.0  # clock time after which the file is fetched again

    def allows(self, url: str, agent: str) -> bool:
        """Whether ``agent`` may fetch ``url``."""
        if self.parser is None:
            return self.allow_all
        return bool(self.parser.can_fetch(url, agent))


def rules_from_failure(error: FetchError, now: float, ttl: float) -> RobotsRules:
    """RFC 9309 §2.3.1: 4xx means no rules; 5xx (and 429) means assume everything disallowed."""
    status = getattr(error, "status", None)
    if status is not None and (status >= 500 or status == 429):
        return RobotsRules(allow_all=False, expires=now + min(ttl, FAILURE_TTL))
    if status is not None:
        return RobotsRules(allow_all=True, expires=now + ttl)  # 4xx: the site has no robots.txt
    return RobotsRules(allow_all=True, expires=now + min(ttl, FAILURE_TTL))  # unreachable: crawl as if no file


def rules_from_page(page: RawPage, now: float, ttl: float) -> RobotsRules:
    """Parse a fetched robots.txt (its first ROBOTS_MAX_BYTES, whole lines); undecodable bytes read leniently."""
    body = page.body[:ROBOTS_MAX_BYTES]
    if len(body) == ROBOTS_MAX_BYTES:
        body = body[: body.rfind(b"\n") + 1]  # a line cut at the limit says nothing reliable
    text = body.decode("utf-8", errors="replace")
    return RobotsRules(allow_all=True, parser=Protego.parse(text), expires=now + ttl)


class RobotsCache:
    """Per-host robots.txt rules, fetched on first use and refreshed after ``ttl`` seconds."""

    def __init__(self, fetch: Callable[[str], RawPage], user_agent: str, *,
                 ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._clock, self._ttl = fetch, clock, ttl
        self.agent = user_agent.split("/", 1)[0].strip() or user_agent  # the product token
        self._rules: dict[str, RobotsRules] = {}
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        """Raise BlockedError when robots.txt disallows ``url``."""
        if not self.rules_for(url).allows(url, self.agent):
            raise BlockedError(f"{url}: disallowed by robots.txt for {self.agent!r}", url=url)

    def rules_for(self, url: str) -> RobotsRules:
        """The cached rules of ``url``'s host, fetching them when missing or stale."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._rules.get(origin)
        if cached is not None and self._clock() < cached.expires:
            return cached
        rules = self._load(origin)
        with self._lock:
            self._rules[origin] = rules
        return rules

    def _load(self, origin: str) -> RobotsRules:
        """Fetch and parse ``origin``/robots.txt; failures become blanket rules."""
        now = self._clock()
        try:
            page = self._fetch(f"{origin}/robots.txt")
        except BlockedError:
            # e.g. an oversized file, or a redirect the guard refused: the page itself is still vetted
            return RobotsRules(allow_all=True, expires=now + min(self._ttl, FAILURE_TTL))
        except FetchError as error:
            return rules_from_failure(error, now, self._ttl)
        return rules_from_page(page, now, self._ttl)
