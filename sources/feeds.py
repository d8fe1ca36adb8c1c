"""Feeds: RSS 0.9x–2.0, RSS 1.0, Atom (via feedparser, always on bytes) and JSON Feed 1.0/1.1.

``fetch_feed`` sends a conditional GET and parses only when the feed changed; ``parse_feed``
never raises for a malformed feed: it returns what could be read plus warnings.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from core.types import RawPage, SourceState
from sources.http import HttpClient, media_type
from sources.links import canonical_url

JSON_FEED_TYPES = frozenset({"application/feed+json", "application/json"})
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
FEED_MAX_BYTES = 5 * 1024 * 1024  # the largest real feeds are a few hundred KB; a 5 MB "feed" is a mistake
EPOCH = datetime.min.replace(tzinfo=UTC)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, with its link already canonicalised."""

    url: str
    canonical_url: str
    guid: str
    title: str
    summary: str
    published: datetime | None = None


@dataclass(frozen=True)
class FeedResult:
    """What one poll of a feed gave: entries, warnings and the validators for the next poll."""

    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


def fetch_feed(client: HttpClient, url: str, state: SourceState | None = None) -> FeedResult:
    """Conditional GET of a feed; a 304 returns ``not_modified`` without parsing anything."""
    state = state or SourceState()
    page = client.fetch(url, etag=state.etag, last_modified=state.last_modified, max_bytes=FEED_MAX_BYTES)
    etag = page.headers.get("etag", state.etag)
    modified = page.headers.get("last-modified", state.last_modified)
    if page.status == 304:
        return FeedResult(etag=etag, last_modified=modified, not_modified=True)
    parsed = parse_page(page)
    return FeedResult(parsed.entries, parsed.warnings, etag, modified)


def parse_page(page: RawPage) -> FeedResult:
    """Parse a fetched feed, using its final URL as the base for relative links."""
    return parse_feed(page.body, base_url=page.final_url, content_type=page.headers.get("content-type", ""))


def parse_feed(body: bytes, *, base_url: str = "", content_type: str = "") -> FeedResult:
    """Entries and warnings from feed bytes of any supported format."""
    if _looks_like_json(body, content_type):
        return parse_json_feed(body, base_url=base_url)
    return parse_xml_feed(body, base_url=base_url, content_type=content_type)


def _looks_like_json(body: bytes, content_type: str) -> bool:
    """JSON Feed by declared type, or by a body that opens with ``{``."""
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return media_type(content_type) in JSON_FEED_TYPES or head.startswith(b"{")


# -- XML feeds (feedparser) -------------------------------------------------------------------

def parse_xml_feed(body: bytes, *, base_url: str = "", content_type: str = "") -> FeedResult:
    """RSS / Atom bytes through feedparser; bozo feeds keep what was read, with a warning."""
    headers = {"content-location": base_url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers)
    warnings = _bozo_warnings(parsed, base_url)
    entries: list[FeedEntry] = []
    for raw in parsed.entries:
        entry = _xml_entry(raw, base_url)
        if entry is None:
            warnings.append(f"{base_url or 'feed'}: entry without a link skipped ({raw.get('title', '')[:60]!r})")
        else:
            entries.append(entry)
    return FeedResult(entries, warnings)


def _bozo_warnings(parsed: Any, base_url: str) -> list[str]:
    """A warning for a malformed feed, and one for bytes that are no feed at all."""
    where = base_url or "feed"
    warnings = []
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        warnings.append(f"{where}: malformed feed ({type(exc).__name__}: {exc})")
    if not parsed.get("version") and not parsed.entries:
        warnings.append(f"{where}: no RSS, Atom or JSON feed found")
    return warnings


def _xml_entry(raw: Any, base_url: str) -> FeedEntry | None:
    """A FeedEntry from a feedparser entry, or None when it has no web link."""
    guid = str(raw.get("id") or "")
    candidates = [raw.get("link"), *_alternate_links(raw.get("links", ())), _absolute(guid)]
    url = next((u for u in (_web_url(base_url, c) for c in candidates) if u), None)
    if url is None:
        return None
    published = _struct_to_datetime(raw.get("published_parsed") or raw.get("updated_parsed"))
    return _entry(url, guid, raw.get("title", ""), raw.get("summary", ""), published)


def _alternate_links(links: Iterable[Any]) -> list[str]:
    """The ``rel=alternate`` (or rel-less) hrefs of an entry."""
    return [lk.get("href") for lk in links if lk.get("rel", "alternate") == "alternate" and lk.get("href")]


def _absolute(guid: str) -> str | None:
    """A GUID that is itself an absolute web address (RSS ``isPermaLink``), else None."""
    return guid if guid.startswith(("http://", "https://")) else None


def _web_url(base_url: str, link: object) -> str | None:
    """``link`` made absolute when it is an http(s) URL, else None (urn:uuid:…, mailto:…)."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        url = urljoin(base_url, link.strip())
        urlsplit(url).port  # "http://[::1/x", "http://h:99999/": no address to fetch
    except ValueError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _struct_to_datetime(value: struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None when absent or impossible."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


# -- JSON Feed ------------------------------------------------------------------------------

def parse_json_feed(body: bytes, *, base_url: str = "") -> FeedResult:
    """A JSON Feed (jsonfeed.org 1.0 / 1.1); malformed JSON gives no entries and a warning."""
    where = base_url or "feed"
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return FeedResult(warnings=[f"{where}: malformed JSON feed ({exc})"])
    except RecursionError:  # arrays in arrays, thousands deep: no feed, an attack on the parser
        return FeedResult(warnings=[f"{where}: malformed JSON feed (nested too deeply)"])
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return FeedResult(warnings=[f"{where}: JSON without an items list is not a JSON Feed"])
    warnings = [] if str(data.get("version", "")).rstrip("/") in JSON_FEED_VERSIONS else [
        f"{where}: unknown JSON Feed version {data.get('version')!r}"]
    base = str(data.get("home_page_url") or base_url or "")
    entries = []
    for item in data["items"]:
        entry = _json_entry(item, base) if isinstance(item, dict) else None
        if entry is None:
            warnings.append(f"{where}: JSON Feed item without a usable url skipped")
        else:
            entries.append(entry)
    return FeedResult(entries, warnings)


def _json_entry(item: dict[str, Any], base: str) -> FeedEntry | None:
    """A FeedEntry from one JSON Feed item."""
    guid = str(item.get("id") or "")
    candidates = (item.get("url"), item.get("external_url"), _absolute(guid))
    link = next((u for u in (_web_url(base, c) for c in candidates) if u), None)
    if link is None:
        return None
    summary = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
    published = _iso_datetime(item.get("date_published") or item.get("date_modified"))
    return _entry(link, guid, str(item.get("title") or ""), str(summary), published)


def _iso_datetime(value: object) -> datetime | None:
    """An RFC 3339 date as an aware datetime (UTC when no offset); None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # 9999-12-31T23:59:59-23:59 is past datetime.max in UTC
        return None


# -- shared ---------------------------------------------------------------------------------

def _entry(url: str, guid: str, title: str, summary: str, published: datetime | None) -> FeedEntry:
    """A FeedEntry with plain-text title and summary and a canonical URL."""
    return FeedEntry(url, canonical_url(url), guid or url, plain_text(title), plain_text(summary), published)


def plain_text(markup: str) -> str:
    """Tags dropped, entities decoded, whitespace collapsed (for titles and summaries)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup or ""))).strip()


def newest(entries: Sequence[FeedEntry], limit: int) -> list[FeedEntry]:
    """The ``limit`` newest entries: dated ones newest first, then undated ones in the feed's order."""
    if len(entries) <= limit:
        return list(entries)
    dated = sorted((e for e in entries if e.published), key=lambda e: e.published or EPOCH, reverse=True)
    return [*dated, *(e for e in entries if not e.published)][:limit]


def dedupe_entries(entries: Iterable[FeedEntry]) -> list[FeedEntry]:
    """Keep the first entry of each story, matching on canonical URL and on GUID."""
    seen_urls: set[str] = set()
    seen_guids: set[str] = set()
    unique = []
    for entry in entries:
        if entry.canonical_url in seen_urls or entry.guid in seen_guids:
            continue
        seen_urls.add(entry.canonical_url)
        seen_guids.add(entry.guid)
        unique.append(entry)
    return unique
