"""A real threaded HTTP server on 127.0.0.1:<free port> for tests that need the web.

Usage::

    with LocalServer() as server:
        server.add("/feed.xml", body, content_type="application/rss+xml", etag='"v1"')
        server.add_sequence("/flaky", [Reply(503, headers={"Retry-After": "1"}), Reply(200, b"ok")])
        server.redirect("/old", "/new")
        server.trickle("/slow", total=100, delay=0.1)
        server.slow_headers("/loris", delay=1.0)   # one header byte a second, never a blank line
        server.gzip_bomb("/bomb", decoded_size=50 * 2**20)
        server.huge("/big", size=50 * 2**20)
        server.robots("User-agent: *\\nDisallow: /private")
        server.serve_wayback(WAYBACK_DIR)          # CDX + mementos replayed from the corpus;
                                                   # reach it with sources.archive.make_wayback_client(server.base)
        url = server.url("/feed.xml")
        server.hits("/feed.xml"); server.requests   # what clients sent (a POST's body too)

Routes match on the full path with query first, then on the path alone. ``add`` with
``etag``/``last_modified`` answers conditional requests with 304 when the validators match.
``handle(path, fn)`` registers any ``fn(Request) -> Reply`` for cases not covered here
(``prefix=True`` matches every path below it). Unknown paths answer 404.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

WAYBACK_ORIGIN = "https://web.archive.org"
_HOP_HEADERS = {"connection", "content-encoding", "transfer-encoding", "content-length", "keep-alive"}


@dataclass(frozen=True)
class Request:
    """What a client sent."""

    method: str
    path: str  # with query
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""  # what a POST sent

    @property
    def query(self) -> dict[str, list[str]]:
        """The parsed query string."""
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)


@dataclass
class Reply:
    """What the server answers; ``chunks`` streams a body (with ``delay`` seconds between chunks)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None
    delay: float = 0.0
    header_trickle: float = 0.0  # > 0: after the status line, one header byte per this many seconds, forever


Handler = Callable[[Request], Reply]


class LocalServer:
    """A threaded HTTP/1.0 server with registered routes; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, Handler] = {}
        self._prefixes: list[tuple[str, Handler]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base + path

    def hits(self, path: str) -> int:
        """How many requests asked for ``path`` (with or without query)."""
        return sum(1 for r in self.requests if r.path == path or urlsplit(r.path).path == path)

    # -- registering routes -------------------------------------------------

    def handle(self, path: str, handler: Handler, *, prefix: bool = False) -> None:
        """Answer ``path`` (or every path under it) with ``handler``."""
        with self._lock:
            if prefix:
                self._prefixes.append((path, handler))
            else:
                self._routes[path] = handler

    def add(self, path: str, body: bytes | str = b"", *, status: int = 200,
            content_type: str | None = "text/html; charset=utf-8", headers: dict[str, str] | None = None,
            etag: str | None = None, last_modified: str | None = None) -> None:
        """Static bytes; with validators, conditional requests that match get a 304."""
        data = body.encode() if isinstance(body, str) else body
        fixed = dict(headers or {})
        if content_type:
            fixed.setdefault("Content-Type", content_type)
        if etag:
            fixed["ETag"] = etag
        if last_modified:
            fixed["Last-Modified"] = last_modified
        self.handle(path, lambda req: _static(req, status, data, fixed, etag, last_modified))

    def add_sequence(self, path: str, replies: list[Reply]) -> None:
        """Successive replies to successive requests; the last one repeats."""
        feed = itertools.chain(replies, itertools.repeat(replies[-1]))
        lock = threading.Lock()

        def next_reply(_: Request) -> Reply:
            with lock:
                return next(feed)

        self.handle(path, next_reply)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """A redirect to ``to`` (absolute, or a path on this server)."""
        self.handle(path, lambda _: Reply(status, headers={"Location": to}))

    def trickle(self, path: str, *, total: int = 100, delay: float = 0.1, chunk: int = 1) -> None:
        """A 200 that sends ``chunk`` bytes every ``delay`` seconds."""
        def reply(_: Request) -> Reply:
            pieces = (b"x" * chunk for _ in range(0, total, chunk))
            return Reply(200, headers={"Content-Type": "text/html"}, chunks=pieces, delay=delay)

        self.handle(path, reply)

    def slow_headers(self, path: str, *, delay: float = 1.0) -> None:
        """A slow-loris answer: a status line, then one header byte every ``delay`` seconds until the client
        hangs up (each byte comes well inside any read timeout)."""
        self.handle(path, lambda _: Reply(200, header_trickle=delay))

    def gzip_bomb(self, path: str, *, decoded_size: int = 50 * 2**20) -> None:
        """A small gzip body that inflates to ``decoded_size`` bytes of zeros."""
        body = gzip_zeros(decoded_size)
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": str(len(body))}
        self.handle(path, lambda _: Reply(200, body, headers))

    def huge(self, path: str, *, size: int = 50 * 2**20, declare_length: bool = False) -> None:
        """A body of ``size`` bytes generated while sending (never held in memory)."""
        headers = {"Content-Type": "text/html"}
        if declare_length:
            headers["Content-Length"] = str(size)
        block = b"<p>" + b"a" * 65530 + b"</p>"

        def reply(_: Request) -> Reply:
            count = size // len(block) + 1
            return Reply(200, headers=headers, chunks=(block for _ in range(count)))

        self.handle(path, reply)

    def robots(self, text: str, status: int = 200) -> None:
        """Serve ``/robots.txt``."""
        self.add("/robots.txt", text, status=status, content_type="text/plain")

    def serve_wayback(self, corpus: Path) -> None:
        """Replay the recorded CDX and memento answers of ``corpus`` (the ``wayback/`` folder).

        Clients reach it by sending ``https://web.archive.org/...`` requests here instead
        (``Location`` and ``Link`` headers are rewritten to this server). CDX queries match a
        recording when their parameters are equal; mementos match on the path.
        """
        replay = WaybackReplay(corpus / "decoded", self.base)
        self.handle("/cdx/", replay.cdx, prefix=True)
        self.handle("/web/", replay.memento, prefix=True)

    # -- serving ------------------------------------------------------------

    def _dispatch(self, request: Request) -> Reply:
        """Find the handler for a request."""
        with self._lock:
            self.requests.append(request)
            handler = self._routes.get(request.path) or self._routes.get(urlsplit(request.path).path)
            if handler is None:
                handler = next((h for p, h in self._prefixes if request.path.startswith(p)), None)
        if handler is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        return handler(request)


def _static(req: Request, status: int, body: bytes, headers: dict[str, str],
            etag: str | None, last_modified: str | None) -> Reply:
    """A static reply, or a 304 when the request's validators match."""
    if etag and req.headers.get("if-none-match") == etag:
        return Reply(304, headers={"ETag": etag})
    if last_modified and not etag and req.headers.get("if-modified-since") == last_modified:
        return Reply(304, headers={"Last-Modified": last_modified})
    return Reply(status, body, headers)


def gzip_zeros(size: int) -> bytes:
    """Gzip ``size`` zero bytes without holding them all in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(2**20)
    parts = [packer.compress(block[: min(len(block), size - done)]) for done in range(0, size, len(block))]
    return b"".join(parts) + packer.flush()


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to one LocalServer."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            request = Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
            _send(self, server._dispatch(request))

        def do_HEAD(self) -> None:  # noqa: N802
            self.do_GET()

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            _send(self, server._dispatch(request))

        def log_message(self, *args: object) -> None:
            """Quiet: tests read ``server.requests`` instead."""

    return _Handler


def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Write a reply; a client that hangs up early is normal in these tests."""
    try:
        if reply.header_trickle:
            _trickle_headers(handler, reply.header_trickle)
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunks is None and "content-length" not in {k.lower() for k in reply.headers}:
            handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        _write_body(handler, reply)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client stopped reading (size cap, timeout): exactly what the test wanted


def _trickle_headers(handler: BaseHTTPRequestHandler, delay: float) -> None:
    """A status line, then a header that never ends, a byte at a time."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Loris: ")
    handler.wfile.flush()
    while True:
        time.sleep(delay)
        handler.wfile.write(b"a")
        handler.wfile.flush()


def _write_body(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Write the body at once, or chunk by chunk with the reply's delay."""
    if reply.chunks is None:
        handler.wfile.write(reply.body)
        return
    for piece in reply.chunks:
        handler.wfile.write(piece)
        handler.wfile.flush()
        if reply.delay:
            time.sleep(reply.delay)


class WaybackReplay:
    """Answers CDX and memento requests from ``decoded/INDEX.json``."""

    def __init__(self, decoded: Path, base: str) -> None:
        self._dir, self._base = decoded, base
        self._entries = json.loads((decoded / "INDEX.json").read_text(encoding="utf-8"))

    def cdx(self, request: Request) -> Reply:
        """The recorded CDX answer whose query equals this one."""
        wanted = _canonical_query(request.query)
        for entry in self._entries:
            parts = urlsplit(entry["uri"])
            if parts.path.startswith("/cdx") and _canonical_query(parse_qs(parts.query)) == wanted:
                return self._reply(entry)
        return Reply(404, b"no recording for this CDX query", {"Content-Type": "text/plain"})

    def memento(self, request: Request) -> Reply:
        """The recorded memento (first recording) for this ``/web/...`` path."""
        for entry in self._entries:
            parts = urlsplit(entry["uri"])
            if not parts.path.startswith("/cdx") and _path_of(entry["uri"]) == request.path:
                return self._reply(entry)
        return Reply(404, b"no memento recorded", {"Content-Type": "text/plain"})

    def _reply(self, entry: dict) -> Reply:
        """A recorded interaction with hop headers dropped and archive links pointed here."""
        headers = {k: self._rebase(", ".join(v)) for k, v in entry["headers"].items()
                   if k.lower() not in _HOP_HEADERS}
        body = (self._dir / entry["body_file"]).read_bytes()
        return Reply(entry["status"]["code"], body, headers)

    def _rebase(self, value: str) -> str:
        """Point web.archive.org URLs in a header at this server."""
        return value.replace(WAYBACK_ORIGIN, self._base)


def _path_of(uri: str) -> str:
    """Everything after the origin of an absolute URI."""
    return re.sub(r"^https?://[^/]+", "", uri)


def _canonical_query(query: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """A comparable form of a parsed query string."""
    return {k: tuple(v) for k, v in query.items()}


def iter_lines(body: bytes) -> Iterator[str]:
    """Decoded lines of a body (a convenience for assertions)."""
    return iter(body.decode("utf-8", errors="replace").splitlines())
