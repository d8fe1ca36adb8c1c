"""Archive backfill inputs: Wayback snapshot URLs, CDX searches, URL lists and saved-page folders.

Every input yields ``ArchiveItem``s lazily, so ten thousand captures stream through in
constant memory; sorting into publication order is the caller's job (``ArchiveItem.sort_key``).
CDX searches go through EDGI's ``wayback`` package (paging with resume keys, rate limits);
mementos are fetched with our own ``HttpClient`` so the guard, caps and robots apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import requests
import wayback
from wayback import exceptions as wb_errors

from core.errors import BlockedError, FetchError, InputError
from core.types import RawPage
from sources.http import HttpClient
from sources.pages import HTML_TYPES

WAYBACK_BASE = "https://web.archive.org"
CDX_CALLS_PER_SECOND = 0.4  # the CDX API allows about 24 requests a minute (2024 limits)
SHARED_CDX_LIMIT = wayback.RateLimit(CDX_CALLS_PER_SECOND)  # one budget for every client in this process
MEMENTO_CALLS_PER_SECOND = 8.0  # wayback's own default for playback, well under the archive's limit
CDX_PAGE_SIZE = 1000  # rows per CDX request; more pages cost more of the scarce CDX budget
CANONICAL_SNIFF_BYTES = 64 * 1024  # a <link rel=canonical> sits in the <head>
SAVED_PAGE_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

_SNAPSHOT_PATH = re.compile(r"^/web/(?P<ts>\d{4,14})(?P<mod>[a-z]{2}_)?/(?P<original>.+)$", re.DOTALL)
_STAMP_PADDING = "00000101000000"
_SCHEME_SLASH = re.compile(r"^(https?):/+", re.IGNORECASE)
_LINK_ENTRY = re.compile(r'<(?P<url>[^>]*)>(?P<params>(?:\s*;\s*[\w-]+\s*=\s*(?:"[^"]*"|[^;,]*))*)')
_REL_PARAM = re.compile(r'rel\s*=\s*"?(?P<rel>[^";]+)"?', re.IGNORECASE)
_CANONICAL = re.compile(rb'<link[^>]+rel=["\']?canonical["\']?[^>]*>', re.IGNORECASE)
_HREF = re.compile(rb'href=["\']?([^"\'\s>]+)', re.IGNORECASE)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\[\]]+)")  # "[Errno 111] Connection refused" in urllib3's text


@dataclass(frozen=True)
class ArchiveItem:
    """One archived page to ingest: where it came from, when it was captured, where to read it."""

    original_url: str
    capture_time: datetime | None = None
    fetch_url: str | None = None
    path: Path | None = None

    @property
    def sort_key(self) -> tuple[datetime, str]:
        """Capture order (unknown times first), then URL: a stable order for backfill."""
        return (self.capture_time or datetime.min.replace(tzinfo=UTC), self.original_url)


@dataclass(frozen=True)
class Snapshot:
    """A Wayback snapshot URL taken apart."""

    original_url: str
    capture_time: datetime
    timestamp: str  # 14 digits
    modifier: str  # "id_", "if_", "im_", … or "" for the framed view


@dataclass(frozen=True)
class Memento:
    """A fetched archived page and what the archive said about it."""

    page: RawPage
    original_url: str
    capture_time: datetime | None
    links: dict[str, str]


# -- snapshot URLs --------------------------------------------------------------------------

def parse_snapshot_url(url: str) -> Snapshot:
    """Take apart ``…/web/<timestamp>[mod_]/<original>``; raise InputError when it is not one."""
    parts = urlsplit(url.strip())
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    match = _SNAPSHOT_PATH.match(tail)
    if match is None:
        raise InputError(f"{url!r}: not a Wayback snapshot URL (expected /web/<timestamp>/<url>)")
    original = _SCHEME_SLASH.sub(lambda m: f"{m.group(1).lower()}://", match["original"])
    if not original.startswith(("http://", "https://")):
        original = "http://" + original
    stamp = match["ts"] + _STAMP_PADDING[len(match["ts"]):]  # "2017" means 2017-01-01, as Wayback reads it
    return Snapshot(original, parse_timestamp(stamp, url), stamp, match["mod"] or "")


def parse_timestamp(stamp: str, context: str = "") -> datetime:
    """A 14-digit Wayback timestamp as a UTC datetime; raise InputError when impossible."""
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"{context or stamp!r}: invalid Wayback timestamp {stamp!r}") from None


def raw_memento_url(original_url: str, when: datetime | str, base: str = WAYBACK_BASE) -> str:
    """The ``id_`` URL of a capture: the page as archived, without the Wayback toolbar."""
    stamp = when if isinstance(when, str) else when.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{base.rstrip('/')}/web/{stamp}id_/{original_url}"


def snapshot_item(url: str, base: str = WAYBACK_BASE) -> ArchiveItem:
    """An ArchiveItem for a snapshot URL, fetched in raw ``id_`` mode."""
    snap = parse_snapshot_url(url)
    return ArchiveItem(snap.original_url, snap.capture_time, raw_memento_url(snap.original_url, snap.timestamp, base))


# -- URL files and saved-page folders -------------------------------------------------------

def items_from_urls(lines: Iterable[str], base: str = WAYBACK_BASE) -> Iterator[ArchiveItem]:
    """Items from URLs, one a line: snapshot URLs become raw mementos, others live pages."""
    for raw in lines:
        line = "" if raw.lstrip().startswith("#") else raw.strip()  # "#" inside a URL is a fragment
        if not line:
            continue
        if "/web/" in line and _SNAPSHOT_PATH.match(urlsplit(line).path):
            yield snapshot_item(line, base)
        elif line.startswith(("http://", "https://")):
            yield ArchiveItem(line, None, line)
        else:
            raise InputError(f"{line!r}: not an http(s) URL")


def items_from_url_file(path: Path, base: str = WAYBACK_BASE) -> Iterator[ArchiveItem]:
    """Items from a file of URLs (one a line, ``#`` comments), read lazily; InputError naming file:line."""
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                yield from _line_items(raw, base, f"{path}:{number}")
    except OSError as exc:
        raise InputError(f"{path}: cannot read URL file ({exc.strerror})") from None


def _line_items(raw: bytes, base: str, where: str) -> Iterator[ArchiveItem]:
    """The item of one line of a URL file (none for a blank or comment line); InputError naming ``where``."""
    try:
        yield from items_from_urls([raw.decode("utf-8")], base)
    except UnicodeDecodeError:
        raise InputError(f"{where}: not UTF-8 text") from None
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def items_from_dir(folder: Path) -> Iterator[ArchiveItem]:
    """Items for saved HTML pages under ``folder`` (recursively, in name order)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of saved pages")
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in SAVED_PAGE_SUFFIXES and path.is_file():
            yield ArchiveItem(saved_page_url(path), None, None, path)


def saved_page_url(path: Path) -> str:
    """The page's own canonical URL when it names one, else its file URI."""
    with path.open("rb") as handle:
        head = handle.read(CANONICAL_SNIFF_BYTES)
    tag = _CANONICAL.search(head)
    href = _HREF.search(tag.group(0)) if tag else None
    if href:
        url = href.group(1).decode("utf-8", errors="replace")
        if url.startswith(("http://", "https://")):
            return url
    return path.resolve().as_uri()


# -- CDX search -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CdxQuery:
    """A CDX search: which captures of which URLs, in which window."""

    url: str
    match_type: Literal["exact", "prefix", "host", "domain"] | None = None
    from_date: date | datetime | None = None
    to_date: date | datetime | None = None
    status: str | None = "200"  # only pages that were served fine
    mime: str | None = "text/html"
    collapse_digest: bool = True  # identical content captured again is not news
    limit: int = CDX_PAGE_SIZE

    def filters(self) -> list[str]:
        """CDX ``filter`` values for status and MIME type."""
        pairs = (("statuscode", self.status), ("mimetype", self.mime))
        return [f"{field}:{value}" for field, value in pairs if value]


class _RebasedAdapter(requests.adapters.HTTPAdapter):
    """Sends requests meant for web.archive.org to another base URL (a mirror, a test server)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self._base = base.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
        """Rewrite the origin, then send as usual."""
        assert request.url is not None
        request.url = self._base + request.url[len(WAYBACK_BASE):]
        return super().send(request, **kwargs)  # type: ignore[arg-type]


def make_wayback_client(base: str = WAYBACK_BASE, *, cdx_limit: wayback.RateLimit | float = SHARED_CDX_LIMIT,
                        retries: int = 3, timeout: float = 60.0,
                        user_agent: str | None = None) -> wayback.WaybackClient:
    """A WaybackClient paced for the CDX API (0 disables pacing); ``base`` points it at another server."""
    session = wayback.WaybackSession(retries=retries, timeout=timeout, user_agent=user_agent,
                                     search_calls_per_second=cdx_limit,
                                     memento_calls_per_second=MEMENTO_CALLS_PER_SECOND)
    if base.rstrip("/") != WAYBACK_BASE:
        session.mount(WAYBACK_BASE + "/", _RebasedAdapter(base))
    return wayback.WaybackClient(session=session)


def cdx_items(query: CdxQuery, client: wayback.WaybackClient, base: str = WAYBACK_BASE) -> Iterator[ArchiveItem]:
    """Captures matching ``query``, page after page (resume keys), as raw-memento items."""
    records = client.search(
        query.url, match_type=query.match_type, from_date=query.from_date, to_date=query.to_date,
        filter_field=query.filters() or None, collapse="digest" if query.collapse_digest else None,
        limit=query.limit,
    )
    try:
        for record in records:
            yield ArchiveItem(record.original, record.timestamp,
                              raw_memento_url(record.original, record.timestamp, base))
    except wb_errors.WaybackException as exc:
        raise _cdx_error(query.url, exc) from None
    except requests.RequestException as exc:
        reason = short_reason(exc)
        raise FetchError(f"CDX search for {query.url}: cannot reach {base} ({reason})", url=query.url,
                         transient=True) from None


def short_reason(exc: Exception) -> str:
    """The cause of a network error in a few words ("Connection refused"), not urllib3's paragraph."""
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip()
    return "timed out" if "timed out" in text.lower() else type(exc).__name__


def _cdx_error(url: str, exc: Exception) -> FetchError:
    """The project's error for a failure reported by the wayback package."""
    where = f"CDX search for {url}"
    if isinstance(exc, wb_errors.BlockedSiteError | wb_errors.BlockedByRobotsError):
        return BlockedError(f"{where}: the Wayback Machine blocks this site ({type(exc).__name__})", url=url)
    if isinstance(exc, wb_errors.RateLimitError):
        wait = f"; retry after {exc.retry_after} s" if exc.retry_after else "; pause before the next query"
        return FetchError(f"{where}: rate limited by the Wayback Machine (HTTP 429){wait}", url=url, transient=True)
    if isinstance(exc, wb_errors.WaybackRetryError):
        return FetchError(f"{where}: gave up after {exc.retries} retries ({short_reason(exc)})", url=url,
                          transient=True)
    return FetchError(f"{where}: {type(exc).__name__}: {exc}", url=url)


# -- mementos -------------------------------------------------------------------------------

def fetch_memento(client: HttpClient, item: ArchiveItem) -> Memento:
    """Fetch an item's raw memento, following the archive's redirects to the nearest capture."""
    if item.fetch_url is None:
        raise InputError(f"{item.original_url}: no URL to fetch (a saved page is read from {item.path})")
    page = client.fetch(item.fetch_url, accept=HTML_TYPES)
    links = parse_link_header(page.headers.get("link", ""))
    return Memento(page, _memento_original(page, links, item), _memento_time(page, item), links)


def _memento_time(page: RawPage, item: ArchiveItem) -> datetime | None:
    """Memento-Datetime, else the final URL's timestamp, else what the item said."""
    header = page.headers.get("memento-datetime")
    if header:
        try:
            return parsedate_to_datetime(header).astimezone(UTC)
        except (TypeError, ValueError):
            pass  # a garbled header: fall back on the URL, which names the capture too
    try:
        return parse_snapshot_url(page.final_url).capture_time
    except InputError:
        return item.capture_time


def _memento_original(page: RawPage, links: Mapping[str, str], item: ArchiveItem) -> str:
    """The original URL after archive redirects: Link rel=original, else the final URL's tail."""
    if "original" in links:
        return links["original"]
    try:
        return parse_snapshot_url(page.final_url).original_url
    except InputError:
        return item.original_url


def parse_link_header(value: str) -> dict[str, str]:
    """RFC 8288 Link header as {rel: url}; datetime parameters may contain commas."""
    links: dict[str, str] = {}
    for entry in _LINK_ENTRY.finditer(value):
        rel = _REL_PARAM.search(entry["params"])
        if rel:
            links.setdefault(" ".join(rel["rel"].split()), entry["url"])
    return links
