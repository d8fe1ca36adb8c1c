"""Documents from files and fetched pages: plain text as it is, HTML through trafilatura."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import trafilatura
from htmldate import find_date

from core.errors import ExtractionError, InputError
from core.periods import LooseDate
from core.types import Document

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
BOM = "\ufeff"


def load_document(path: Path, published: LooseDate | None = None) -> Document:
    """Read a .txt or .html file into a Document; raise InputError when it is unusable."""
    raw = _read_bytes(path)
    text = _decode(raw, path)
    if path.suffix.lower() in HTML_SUFFIXES:
        try:
            return _from_html(text, source=path.stem, url=None, published=published, fetched_at=None)
        except ExtractionError as exc:
            raise InputError(f"{path}: {exc}") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    return Document(source=path.stem, text=text, published=published)


def document_from_html(
    html: bytes | str, url: str, *, published: LooseDate | None = None, fetched_at: datetime | None = None
) -> Document:
    """Build a Document from a fetched page; raise ExtractionError when no text can be had."""
    # bytes go to trafilatura as they are: it reads the page's declared charset (GBK, Big5, ...)
    return _from_html(html, source=url, url=url, published=published, fetched_at=fetched_at)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, or InputError naming the file and the problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise InputError(f"{path}: the file is empty")
    if b"\x00" in raw:
        raise InputError(f"{path}: binary content (NUL bytes), not a text document")
    return raw


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 text without a leading BOM, or InputError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (bad byte at offset {exc.start})") from None
    return text.removeprefix(BOM)


def _from_html(
    html: str | bytes,
    *,
    source: str,
    url: str | None,
    published: LooseDate | None,
    fetched_at: datetime | None,
) -> Document:
    """Main text and metadata of an HTML page."""
    result = trafilatura.bare_extraction(html, url=url, include_tables=True, with_metadata=True)
    text = (getattr(result, "text", None) or "").strip() if result is not None else ""
    if not text:
        raise ExtractionError(f"{source}: no main text could be extracted from the HTML")
    return Document(
        source=source,
        text=text,
        url=url,
        title=getattr(result, "title", None) or None,
        publisher=getattr(result, "sitename", None) or None,
        published=published or _page_date(getattr(result, "date", None), html),
        language=getattr(result, "language", None) or None,
        fetched_at=fetched_at,
    )


def _page_date(found: str | None, html: str | bytes) -> LooseDate | None:
    """The page's own date: trafilatura's, else htmldate's; None when the page states none."""
    candidate = found or find_date(html, extensive_search=False)
    if not candidate:
        return None
    try:
        return LooseDate.parse(candidate[:10])
    except InputError:
        return None
