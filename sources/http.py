"""The one shared HTTP client: guarded, capped, polite and patient.

``HttpClient.fetch(url)`` returns a ``RawPage`` or raises:

* ``BlockedError`` — refused by policy: SSRF guard, scheme, robots.txt, size cap;
* ``HttpStatusError`` (a ``FetchError``) — the server answered an error status;
* ``FetchError`` — network trouble; ``.transient`` says whether a later retry may help.

Redirects are followed here, one hop at a time, so every hop passes the guard and robots.txt.
Addresses are vetted inside the connection backend (``GuardedBackend``): the socket is opened
to the vetted IP itself, so DNS cannot hand a different answer to the connection.

Every request has one deadline (``total_timeout``) for connecting, the headers and the body: the
backend's streams cut every wait at it, so a server trickling header bytes (slow loris) cannot hold a
fetch past it. A ``stop`` event, when set, ends every wait of the client within ``STOP_CHECK`` seconds.
"""

from __future__ import annotations

import functools
import random
import ssl
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urljoin

import httpcore
import httpx

from core.config import HttpConfig
from core.errors import BlockedError, FetchError
from core.types import RawPage
from sources.decoding import ACCEPT_ENCODING, decode_errors, decoder_for
from sources.guard import AddressPolicy, Resolver, canonical_host, check_url, resolve_vetted, system_resolver
from sources.robots import ROBOTS_MAX_BYTES, RobotsCache

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # overload or hiccup: worth another try
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
BACKOFF_CAP = 60.0  # a poll should not stall longer than this between tries
RETRY_AFTER_CAP = 120.0  # a server asking for more than this is not coming back soon: give up now
MAX_CONNECTIONS = 50  # whole pool; the per-host limit is the HostLimiter's job
FORM_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"
STOP_CHECK = 0.5  # seconds: a blocked read wakes this often to see whether the run is stopping

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class HttpStatusError(FetchError):
    """The server answered with an error status (4xx, 5xx)."""

    def __init__(self, message: str, *, url: str, status: int, transient: bool) -> None:
        super().__init__(message, url=url, transient=transient)
        self.status = status


class HostLimiter(Protocol):
    """Grants a turn to talk to a host; swap in a cross-process one for many workers."""

    def slot(self, host: str) -> AbstractContextManager[None]:
        """Hold a request slot for ``host`` while the context is open."""
        ...


class LocalHostLimiter:
    """In-process per-host limiter: a concurrency cap plus a delay between request starts."""

    def __init__(self, concurrency: int, delay: float, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        self._concurrency, self._delay = max(1, concurrency), delay
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Wait for a free slot and for the host's politeness delay, then hold the slot."""
        with self._semaphore(host):
            self._wait_turn(host)
            yield

    def _semaphore(self, host: str) -> threading.Semaphore:
        """The host's semaphore, created on first use."""
        with self._lock:
            return self._semaphores.setdefault(host, threading.Semaphore(self._concurrency))

    def _wait_turn(self, host: str) -> None:
        """Reserve the host's next start time and sleep until it comes."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + self._delay
        if start > now:
            self._sleep(start - now)


class Stopped(Exception):
    """Internal: the client's stop event was set while it waited on the network."""


class RequestDeadline(threading.local):
    """The deadline (a clock reading) of the request this thread is making; None between requests."""

    at: float | None = None


@dataclass(frozen=True)
class Waits:
    """What bounds every network wait of a client: the running request's deadline and the stop event."""

    deadline: RequestDeadline
    stop: threading.Event
    clock: Clock

    def bound(self, timeout: float | None, started: float | None = None) -> float | None:
        """``timeout`` (counted from ``started``) cut at the request's deadline; ReadTimeout once it has passed."""
        now = self.clock()
        limit = None if timeout is None else (now if started is None else started) + timeout
        ends = [t for t in (self.deadline.at, limit) if t is not None]
        if not ends:
            return None
        if min(ends) <= now:
            raise httpcore.ReadTimeout("no complete response within the request's deadline")
        return min(ends) - now

    def check_stop(self) -> None:
        """Raise Stopped when the run is stopping."""
        if self.stop.is_set():
            raise Stopped()


class DeadlineStream(httpcore.NetworkStream):
    """A connection's stream whose every read and write ends at the request's deadline or on a stop."""

    def __init__(self, inner: httpcore.NetworkStream, waits: Waits) -> None:
        self._inner, self._waits = inner, waits

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, waking every STOP_CHECK seconds to check the stop event, until the data or the timeout."""
        started = self._waits.clock()
        while True:
            left = self._waits.bound(timeout, started)
            try:
                return self._inner.read(max_bytes, STOP_CHECK if left is None else min(left, STOP_CHECK))
            except httpcore.ReadTimeout:
                self._waits.check_stop()  # then the loop raises ReadTimeout if the real limit has come

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write within the timeout and the request's deadline."""
        self._waits.check_stop()
        self._inner.write(buffer, self._waits.bound(timeout))

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        """TLS over this stream, the handshake within the request's deadline."""
        inner = self._inner.start_tls(ssl_context, server_hostname, self._waits.bound(timeout))
        return DeadlineStream(inner, self._waits)

    def get_extra_info(self, info: str) -> object:
        """What the inner stream knows (the TLS object, the peer address)."""
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """A network backend that resolves names itself, connects only to vetted addresses, and bounds waits."""

    def __init__(self, resolver: Resolver, policy: AddressPolicy, waits: Waits) -> None:
        self._resolver, self._policy, self._waits = resolver, policy, waits
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: object = None) -> httpcore.NetworkStream:
        """Vet every address of ``host``, then connect to the first that answers."""
        addresses = resolve_vetted(host, port, self._resolver, self._policy)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, self._waits.bound(timeout), local_address, socket_options)  # type: ignore[arg-type]
            except httpcore.ConnectError as exc:
                failure = exc
            else:
                return DeadlineStream(stream, self._waits)
        assert failure is not None
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: object = None) -> httpcore.NetworkStream:
        """Unix sockets are never a web address."""
        raise BlockedError(f"unix socket {path}: refused", url=path)

    def sleep(self, seconds: float) -> None:
        """Sleep as the default backend does."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool built on a GuardedBackend."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        # trust_env off: an environment proxy would bypass the guard.
        super().__init__(verify=_ssl_context(), trust_env=False)
        # httpx offers no public hook for the network backend, so the pool is rebuilt here.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=MAX_CONNECTIONS,
            network_backend=backend,
        )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: loading the CA bundle costs ~20 ms a time."""
    return httpx.create_ssl_context(trust_env=False)


@dataclass(frozen=True)
class Cap:
    """How many decoded body bytes a fetch takes: past ``size`` it is refused, or cut (``keep_head``)."""

    size: int
    keep_head: bool = False  # robots.txt: the first ROBOTS_MAX_BYTES are parsed, the rest ignored

    def refuse(self, url: str, what: str) -> None:
        """BlockedError for a body past the cap, unless the head is kept."""
        if not self.keep_head:
            raise BlockedError(f"{url}: {what} exceeds the cap of {self.size} bytes", url=url)

    def fit(self, url: str, held: int, piece: bytes) -> bytes:
        """The part of ``piece`` within the cap, after ``held`` bytes; BlockedError past it (unless keeping)."""
        if held + len(piece) <= self.size:
            return piece
        self.refuse(url, "response")
        return piece[: self.size - held]


@dataclass(frozen=True)
class _Hop:
    """One answered request: status, headers, body, and where it pointed next."""

    status: int
    headers: dict[str, str]
    body: bytes
    location: str | None


class _Retry(Exception):
    """Internal: this attempt failed in a way another attempt may fix."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error, self.retry_after = error, retry_after


class HttpClient:
    """Fetches URLs into RawPages under the limits of an HttpConfig."""

    def __init__(self, config: HttpConfig, *, resolver: Resolver = system_resolver,
                 limiter: HostLimiter | None = None, sleep: Sleep | None = None, clock: Clock = time.monotonic,
                 rng: Callable[[], float] = random.random, stop: threading.Event | None = None) -> None:
        self.config = config
        self._waits = Waits(RequestDeadline(), stop or threading.Event(), clock)
        # politeness and back-off waits end early when the client is stopped
        self._sleep: Sleep = sleep or self._waits.stop.wait
        self._clock, self._rng = clock, rng
        self._limiter = limiter or LocalHostLimiter(config.per_host_concurrency, config.politeness_delay,
                                                   clock=clock, sleep=self._sleep)
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        policy = AddressPolicy.build(config.allow_private, config.allow_networks)
        transport = GuardedTransport(GuardedBackend(resolver, policy, self._waits))
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                                    headers={"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING})
        self.robots = RobotsCache(self._fetch_robots, config.user_agent, ttl=config.robots_ttl, clock=clock)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def fetch(self, url: str, *, accept: Collection[str] | None = None, etag: str | None = None,
              last_modified: str | None = None, max_bytes: int | None = None) -> RawPage:
        """GET ``url`` with retries; a 304 comes back as a RawPage with status 304 and no body."""
        conditional = _conditional_headers(etag, last_modified)
        cap = Cap(max_bytes or self.config.max_bytes)
        robots = self.config.respect_robots
        return self._retrying(lambda: self._follow(url, conditional, accept, cap, robots=robots))

    def post(self, url: str, form: bytes, *, accept: Collection[str] | None = None,
             max_bytes: int | None = None) -> RawPage:
        """POST a url-encoded ``form`` under the same guard, robots.txt, caps and retries as ``fetch``."""
        cap = Cap(max_bytes or self.config.max_bytes)
        return self._retrying(lambda: self._follow(url, {}, accept, cap, robots=self.config.respect_robots,
                                                   form=form))

    def _retrying(self, request: Callable[[], RawPage]) -> RawPage:
        """``request()``, tried again after a retryable failure while retries and patience last."""
        for attempt in range(self.config.retries + 1):
            try:
                return request()
            except _Retry as retry:
                delay = self._retry_delay(attempt, retry)
                if attempt == self.config.retries or delay is None:
                    raise retry.error from None
                self._sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _retry_delay(self, attempt: int, retry: _Retry) -> float | None:
        """Seconds to wait before the next attempt, or None when waiting is pointless."""
        if retry.retry_after is not None:
            return retry.retry_after if retry.retry_after <= RETRY_AFTER_CAP else None
        backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        return backoff * (0.5 + self._rng() / 2)  # jitter spreads out clients that failed together

    def _follow(self, url: str, conditional: dict[str, str], accept: Collection[str] | None,
                cap: Cap, *, robots: bool, form: bytes | None = None) -> RawPage:
        """Request ``url`` (a POST of ``form`` when given) and follow redirects, checking every hop."""
        current, seen = url, {url}
        for _ in range(self.config.max_redirects + 1):
            check_url(current)
            if robots:
                self.robots.check(current)
            hop = self._request(current, conditional, accept, cap, form)
            if hop.location is None:
                return RawPage(url, current, hop.status, hop.headers, hop.body, datetime.now(UTC))
            current = urljoin(current, hop.location)
            form = form if hop.status in (307, 308) else None  # 301-303 after a POST: a GET, as browsers do
            if current in seen:
                raise FetchError(f"{url}: redirect loop at {current}", url=url)
            seen.add(current)
        raise FetchError(f"{url}: more than {self.config.max_redirects} redirects", url=url)

    def _request(self, url: str, conditional: dict[str, str], accept: Collection[str] | None,
                 cap: Cap, form: bytes | None = None) -> _Hop:
        """One GET (or POST of ``form``) under the host limiter and the request deadline, mapped onto the
        project's errors."""
        with self._limiter.slot(canonical_host(url)), self._deadline() as deadline:
            try:
                self._waits.check_stop()
                with self._stream(url, conditional, form) as response:
                    return self._read(url, response, accept, cap, deadline)
            except Stopped:
                raise FetchError(f"{url}: stopped, the run is ending", url=url) from None
            except httpx.TimeoutException as exc:
                raise _Retry(self._timeout_error(url, exc, deadline)) from None
            except httpx.TransportError as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}", url=url, transient=True) from None

    def _stream(self, url: str, headers: dict[str, str],
                form: bytes | None) -> AbstractContextManager[httpx.Response]:
        """The streamed GET, or the POST of a url-encoded form."""
        if form is None:
            return self._client.stream("GET", url, headers=headers)
        return self._client.stream("POST", url, content=form, headers={**headers, "Content-Type": FORM_TYPE})

    @contextmanager
    def _deadline(self) -> Iterator[float]:
        """Set this thread's request deadline, ``total_timeout`` from now, for the block."""
        deadline = self._clock() + self.config.total_timeout
        self._waits.deadline.at = deadline
        try:
            yield deadline
        finally:
            self._waits.deadline.at = None

    def _timeout_error(self, url: str, exc: httpx.TimeoutException, deadline: float) -> FetchError:
        """A retryable timeout naming what ran out: the whole request's deadline, or one wait."""
        if self._clock() >= deadline:
            return FetchError(f"{url}: response not received within {self.config.total_timeout:g} s", url=url,
                              transient=True)
        return FetchError(f"{url}: timed out ({type(exc).__name__})", url=url, transient=True)

    def _read(self, url: str, response: httpx.Response, accept: Collection[str] | None, cap: Cap,
              deadline: float) -> _Hop:
        """Turn a streamed response into a hop, or raise for error statuses."""
        headers = _flat_headers(response.headers)
        status = response.status_code
        if status in REDIRECT_STATUSES and "location" in headers:
            return _Hop(status, headers, b"", headers["location"])
        if status == 304:
            return _Hop(status, headers, b"", None)
        if status >= 400 or status < 200:
            raise self._status_error(url, status, headers)
        _check_content_type(url, headers, accept)
        body = self._read_capped(url, response, cap, deadline)
        kept = _decoded_headers(headers) if "content-encoding" in headers else headers
        return _Hop(status, kept, body, None)

    def _status_error(self, url: str, status: int, headers: dict[str, str]) -> Exception:
        """The error for an error status: retryable for overload and server trouble."""
        archived = "memento-datetime" in headers  # an archive replaying an old error: retrying cannot help
        transient = (status in RETRY_STATUSES or status == 408) and not archived
        label = "archived HTTP" if archived else "HTTP"
        error = HttpStatusError(f"{url}: {label} {status}", url=url, status=status, transient=transient)
        if not transient or status == 408:
            return error
        return _Retry(error, parse_retry_after(headers.get("retry-after"), datetime.now(UTC)))

    def _read_capped(self, url: str, response: httpx.Response, cap: Cap, deadline: float) -> bytes:
        """Read and decode the body, stopping at the cap's size of decoded bytes or at the request's deadline."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap.size and "content-encoding" not in response.headers:
            cap.refuse(url, f"body of {declared} bytes")
        decoder = decoder_for(response.headers.get("content-encoding"), url)
        chunks, size = [], 0
        try:
            for raw in response.iter_raw():  # as the network delivers: a chunk size would wait to fill it
                for piece in decoder.feed(raw):  # bounded pieces: a gzip bomb is counted as it inflates
                    kept = cap.fit(url, size, piece)
                    chunks.append(kept)
                    size += len(kept)
                    if len(kept) < len(piece):  # the head is full
                        return b"".join(chunks)
                self._check_deadline(url, deadline)
            chunks.extend(decoder.flush())
        except decode_errors() as exc:
            raise FetchError(f"{url}: corrupt {response.headers.get('content-encoding')} body ({exc})",
                             url=url) from None
        return b"".join(chunks)

    def _check_deadline(self, url: str, deadline: float) -> None:
        """A retryable timeout once the request's deadline has passed."""
        if self._clock() > deadline:
            message = f"{url}: body not received within {self.config.total_timeout:g} s"
            raise _Retry(FetchError(message, url=url, transient=True))

    def _fetch_robots(self, url: str) -> RawPage:
        """Fetch a robots.txt once, without robots checks or retries."""
        try:
            return self._follow(url, {}, None, Cap(ROBOTS_MAX_BYTES, keep_head=True), robots=False)
        except _Retry as retry:
            raise retry.error from None



def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from stored validators."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _flat_headers(headers: httpx.Headers) -> dict[str, str]:
    """Lower-cased header names; repeated headers joined with commas."""
    return {key: ", ".join(headers.get_list(key)) for key in headers.keys()}


def _decoded_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers describing the decoded body: the encoding and its length no longer apply."""
    return {k: v for k, v in headers.items() if k not in ("content-encoding", "content-length")}


def media_type(content_type: str) -> str:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    return content_type.split(";", 1)[0].strip().lower()


def _check_content_type(url: str, headers: dict[str, str], accept: Collection[str] | None) -> None:
    """Refuse a body whose declared media type the caller did not ask for."""
    declared = headers.get("content-type")
    if accept is None or not declared:
        return
    kind = media_type(declared)
    if kind not in accept:
        raise FetchError(f"{url}: content type {kind!r} not accepted (expected {', '.join(sorted(accept))})",
                         url=url)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None when absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
