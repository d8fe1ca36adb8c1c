"""The ``page`` kind: a newsroom or listing page whose article links are followed."""

from __future__ import annotations

from core.types import SourceState
from sources.feeds import FeedEntry
from sources.http import HttpClient
from sources.kinds.base import PollKind, PollResult
from sources.pages import fetch_page, listing_links
from sources.spec import SourceSpec


class PageKind(PollKind):
    """A listing page: its links become entries with no text, so each page proves its own relevance."""

    kind = "page"
    description = "a newsroom or listing page whose links are followed"
    location = "the listing page's http(s) URL"

    def poll(self, client: HttpClient, spec: SourceSpec, state: SourceState) -> PollResult:
        """The page's article links (a conditional GET: a 304 lists nothing)."""
        page = fetch_page(client, spec.url, etag=state.etag, last_modified=state.last_modified)
        etag = page.headers.get("etag", state.etag)
        modified = page.headers.get("last-modified", state.last_modified)
        if page.status == 304:
            return PollResult(spec.name, etag=etag, last_modified=modified, not_modified=True)
        entries = [FeedEntry(link, link, link, "", "") for link in listing_links(page) if link != spec.url]
        return PollResult(spec.name, entries, etag=etag, last_modified=modified)
