"""Google News links resolved to the publisher's URL.

Google News RSS items link to ``news.google.com/rss/articles/<id>``. Since mid-2024 that page no
longer redirects over HTTP: it is an interstitial whose script asks Google for the target. The same two
steps are taken here, through the guarded HttpClient (SSRF guard, robots.txt, politeness, size caps):

1. GET the article page; its ``c-wiz > div[jscontroller]`` carries a signature (``data-n-a-sg``) and a
   timestamp (``data-n-a-ts``);
2. POST them with the id to ``/_/DotsSplashUi/data/batchexecute`` (remote call ``Fbv4je``, a
   ``garturlreq``); the ``)]}'``-prefixed JSON answer holds ``["garturlres", "<publisher URL>", ...]``.

Older ids are a base64 protobuf that holds the URL itself and resolve without a request. A link that
cannot be resolved raises FetchError: the caller skips the entry with a warning, and Google's
interstitial is never extracted as if it were the article.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import lxml.html
from lxml.etree import ParserError

from core.config import HttpConfig
from core.errors import FetchError
from sources.feeds import FeedEntry
from sources.guard import AddressPolicy, check_url, literal_ip, vet_address
from sources.http import HttpClient
from sources.links import canonical_url
from sources.pages import HTML_TYPES

GOOGLE_NEWS = "https://news.google.com"
ARTICLE_PATH = re.compile(r"^/(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]{16,})/?$")
BATCH_PATH = "/_/DotsSplashUi/data/batchexecute"
RPC_ID = "Fbv4je"  # Google's name for the remote call that answers an article's URL
# the request's fixed client context, as Google's own page sends it (only the id, time and signature vary)
CLIENT_CONTEXT = [
    ["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None, None, 0, 1],
    "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0,
]
SIGNED_ELEMENT = "//c-wiz/div[@jscontroller]"
COMPACT = (",", ":")  # JSON as Google's page writes it, without spaces
XSSI_PREFIX = ")]}'"  # Google's guard against JSON hijacking, before every batchexecute answer
ID_PROTOBUF_HEAD = b"\x08\x13\x22"  # field 1 = 19, then field 4 (the payload) as length-delimited bytes
ANSWER_MAX_BYTES = 256 * 1024  # a real answer is under 1 KB; a bigger one is not an answer
MEMORY_SIZE = 4096  # ids kept in memory: four search feeds of 100 items, many times over


class LinkCache(Protocol):
    """Where resolved ids are remembered."""

    def get(self, article_id: str) -> str | None:
        """The publisher URL of an id resolved before, else None."""
        ...

    def put(self, article_id: str, url: str) -> None:
        """Remember an id's publisher URL."""
        ...


class MemoryLinkCache:
    """A bounded in-process cache of resolved ids, least recently used out first."""

    def __init__(self, size: int = MEMORY_SIZE) -> None:
        self._size, self._urls = size, OrderedDict[str, str]()

    def get(self, article_id: str) -> str | None:
        """The remembered URL, marked as recently used."""
        url = self._urls.get(article_id)
        if url is not None:
            self._urls.move_to_end(article_id)
        return url

    def put(self, article_id: str, url: str) -> None:
        """Remember a URL, forgetting the least recently used past the size."""
        self._urls[article_id] = url
        self._urls.move_to_end(article_id)
        while len(self._urls) > self._size:
            self._urls.popitem(last=False)


@dataclass
class GoogleNewsLinks:
    """Recognises Google News article links and resolves them through ``client``, remembering each id."""

    client: HttpClient
    cache: LinkCache = field(default_factory=MemoryLinkCache)
    base: str = GOOGLE_NEWS  # Google News itself; a test points it at a local server
    # the first overload or network failure: Google is not asked again by this resolver (one run), since each
    # further link would wait out the same retries and Retry-After for the same answer
    unavailable: FetchError | None = None

    def article_id(self, url: str) -> str | None:
        """The article id of a Google News article link on ``base``, else None."""
        parts, home = urlsplit(url), urlsplit(self.base)
        if (parts.hostname, parts.port) != (home.hostname, home.port):
            return None
        found = ARTICLE_PATH.match(parts.path)
        return found.group(1) if found else None

    def resolve(self, url: str) -> str:
        """The publisher's URL behind a Google News link; FetchError (BlockedError) when it cannot be had."""
        article_id = self.article_id(url)
        if article_id is None:
            return url
        known = self.cache.get(article_id)
        if known is not None:
            return known
        target = offline_target(article_id) or self._ask(article_id, url)
        vet_target(target, self.client.config, url)
        self.cache.put(article_id, target)
        return target

    def _ask(self, article_id: str, url: str) -> str:
        """Ask Google, unless it already failed in a way that the next link would meet too."""
        if self.unavailable is not None:
            raise FetchError(f"{url}: Google News not asked again in this run ({self.unavailable})", url=url)
        try:
            return self._ask_google(article_id, url)
        except FetchError as exc:
            if exc.transient:
                self.unavailable = exc
            raise

    def _ask_google(self, article_id: str, url: str) -> str:
        """The article page's signed parameters, then the batchexecute answer."""
        page = self.client.fetch(f"{self.base}/rss/articles/{article_id}", accept=HTML_TYPES)
        signature, timestamp = signed_params(page.body, url)
        form = batch_form(article_id, timestamp, signature)
        answer = self.client.post(self.base + BATCH_PATH, form, max_bytes=ANSWER_MAX_BYTES)
        return publisher_url(answer.body, url)


def offline_target(article_id: str) -> str | None:
    """The URL an old-style id carries in itself, else None (a new id holds an opaque key: ask Google)."""
    try:
        raw = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(ID_PROTOBUF_HEAD):
        return None
    payload = _length_delimited(raw, len(ID_PROTOBUF_HEAD))
    text = payload.decode("utf-8", errors="replace") if payload else ""
    return text if text.startswith(("http://", "https://")) else None


def _length_delimited(raw: bytes, at: int) -> bytes | None:
    """The bytes of a protobuf length-delimited field whose varint length starts at ``at``."""
    length, shift = 0, 0
    while at < len(raw) and shift < 35:
        byte = raw[at]
        length |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80:
            return raw[at : at + length] if at + length <= len(raw) else None
    return None


def signed_params(body: bytes, url: str) -> tuple[str, int]:
    """The signature and timestamp of an article page; FetchError when the page carries none."""
    try:
        elements = lxml.html.fromstring(body).xpath(SIGNED_ELEMENT) if body.strip() else []
    except (ParserError, ValueError):
        elements = []
    for element in elements:
        signature, timestamp = element.get("data-n-a-sg", ""), element.get("data-n-a-ts", "")
        if signature and timestamp.isdigit():
            return signature, int(timestamp)
    raise FetchError(f"{url}: Google News page without its signed parameters (data-n-a-sg, data-n-a-ts)",
                     url=url)


def batch_form(article_id: str, timestamp: int, signature: str) -> bytes:
    """The url-encoded ``f.req`` form asking batchexecute for one article's URL."""
    request = json.dumps(["garturlreq", CLIENT_CONTEXT, article_id, timestamp, signature], separators=COMPACT)
    envelope = json.dumps([[[RPC_ID, request, None, "generic"]]], separators=COMPACT)
    return urlencode({"f.req": envelope}).encode("ascii")


def publisher_url(body: bytes, url: str) -> str:
    """The URL in a batchexecute answer's ``garturlres`` entry; FetchError naming what came instead."""
    text = body.decode("utf-8", errors="replace").lstrip()
    if not text.startswith(XSSI_PREFIX):
        raise FetchError(f"{url}: Google News answered something other than a batchexecute answer", url=url)
    for envelope in _envelopes(text[len(XSSI_PREFIX):]):
        target = _garturlres(envelope)
        if target is not None:
            return target
    raise FetchError(f"{url}: Google News answered without the article's URL", url=url)


def _envelopes(text: str) -> list[object]:
    """The entries of an answer: one JSON array, or (chunked answers) one array per line between lengths."""
    chunks = [text.strip()] + [line for line in text.splitlines() if line.startswith("[")]
    for chunk in chunks:
        try:
            parsed = json.loads(chunk)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(parsed, list):
            return parsed
    return []


def _garturlres(envelope: object) -> str | None:
    """The URL of a ``["wrb.fr", "Fbv4je", "[\\"garturlres\\", URL, …]", …]`` entry, else None."""
    if not (isinstance(envelope, list) and envelope[:2] == ["wrb.fr", RPC_ID] and len(envelope) > 2):
        return None
    try:
        inner = json.loads(envelope[2]) if isinstance(envelope[2], str) else None
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(inner, list) and len(inner) > 1 and inner[0] == "garturlres" and isinstance(inner[1], str):
        return inner[1] or None  # whatever it names, vet_target judges it
    return None


def vet_target(target: str, config: HttpConfig, url: str) -> None:
    """Refuse a publisher URL the fetcher may not reach (scheme, forbidden literal address) before keeping it.

    A host name is vetted again when the page is fetched, on the address it resolves to.
    """
    try:
        _, host, _ = check_url(target)
        literal = literal_ip(host)
        if literal is not None:
            vet_address(str(literal), AddressPolicy.build(config.allow_private, config.allow_networks), host)
    except FetchError as exc:
        raise type(exc)(f"{url}: resolved to {target}, refused ({exc})", url=url) from None


def resolve_entries(
    links: GoogleNewsLinks, entries: Sequence[FeedEntry]
) -> tuple[list[FeedEntry], list[str]]:
    """Entries with Google News links made the publishers'; unresolvable ones left out, with a warning."""
    kept: list[FeedEntry] = []
    warnings: list[str] = []
    for entry in entries:
        try:
            target = links.resolve(entry.url)
        except FetchError as exc:
            warnings.append(f"Google News link skipped, not resolved: {exc}")
            continue
        if target != entry.url:
            entry = dataclasses.replace(entry, url=target, canonical_url=canonical_url(target))
        kept.append(entry)
    return kept, warnings
