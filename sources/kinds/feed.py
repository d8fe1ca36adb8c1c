"""The ``feed`` kind: an RSS, Atom or JSON Feed, polled with a conditional GET."""

from __future__ import annotations

from core.types import SourceState
from sources.feeds import fetch_feed
from sources.http import HttpClient
from sources.kinds.base import PollKind, PollResult
from sources.spec import SourceSpec


class FeedKind(PollKind):
    """RSS, Atom or JSON Feed."""

    kind = "feed"
    description = "RSS, Atom or JSON Feed, polled with conditional GET"
    location = "the feed's http(s) URL"

    def poll(self, client: HttpClient, spec: SourceSpec, state: SourceState) -> PollResult:
        """A conditional GET of the feed."""
        feed = fetch_feed(client, spec.url, state)
        return PollResult(
            spec.name, feed.entries, feed.warnings, feed.etag, feed.last_modified, feed.not_modified
        )
