"""Article pages: fetched as HTML bytes, refused when they are empty or binary in disguise."""

from __future__ import annotations

import re

from courlan import extract_links

from core.errors import FetchError
from core.types import RawPage
from sources.http import HttpClient
from sources.links import canonical_url

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SNIFF_BYTES = 1024  # magic numbers and NUL bytes show in the first kilobyte
# Signatures of formats that are never an article page (images, archives, PDF, media, executables).
MAGIC_NUMBERS = {
    b"%PDF-": "PDF",
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF87a": "GIF image",
    b"GIF89a": "GIF image",
    b"PK\x03\x04": "ZIP archive",
    b"\x1f\x8b": "gzip data",
    b"BZh": "bzip2 data",
    b"\xfd7zXZ\x00": "xz data",
    b"7z\xbc\xaf\x27\x1c": "7z archive",
    b"\x7fELF": "ELF executable",
    b"MZ": "Windows executable",
    b"OggS": "Ogg media",
    b"ID3": "MP3 audio",
    b"\x00\x00\x00\x18ftyp": "MP4 video",
    b"\x00\x00\x00\x20ftyp": "MP4 video",
    b"RIFF": "RIFF media",
    b"wOFF": "web font",
}
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # UTF-16 text has NUL bytes but is still text


def fetch_page(client: HttpClient, url: str, *, etag: str | None = None,
               last_modified: str | None = None) -> RawPage:
    """Fetch an article page; a 304 passes through, anything unreadable raises FetchError."""
    page = client.fetch(url, accept=HTML_TYPES, etag=etag, last_modified=last_modified)
    if page.status != 304:
        check_body(page.final_url, page.body)
    return page


def check_body(url: str, body: bytes) -> None:
    """Raise FetchError when a body is empty or is binary data rather than markup."""
    if not body.strip():
        raise FetchError(f"{url}: empty body", url=url)
    kind = sniff_binary(body)
    if kind is not None:
        raise FetchError(f"{url}: served as HTML but the body is {kind}", url=url)


def sniff_binary(body: bytes) -> str | None:
    """What binary format the body is, or None when it looks like text."""
    head = body[:SNIFF_BYTES]
    for magic, name in MAGIC_NUMBERS.items():
        if head.startswith(magic):
            return name
    if b"\x00" in head and not head.startswith(TEXT_BOMS):
        return "binary data (NUL bytes)"
    return None


def listing_links(page: RawPage) -> list[str]:
    """Canonical same-site article links of a listing page (newsroom, blog index), in a stable order."""
    html = _decoded(page.body, _charset(page))
    found = extract_links(html, url=page.final_url, external_bool=False)  # drops navigation, tags, feeds
    return sorted({canonical_url(link) for link in found})


def _charset(page: RawPage) -> str:
    """The declared charset, else UTF-8."""
    match = _CHARSET.search(page.headers.get("content-type", ""))
    return match.group(1) if match else "utf-8"


def _decoded(body: bytes, charset: str) -> str:
    """The body in its charset with replacements; UTF-8 when Python lacks the charset or it is no text
    encoding that can replace (``charset=idna``, ``charset=punycode``)."""
    try:
        return body.decode(charset, errors="replace")
    except (LookupError, UnicodeError):
        return body.decode("utf-8", errors="replace")
