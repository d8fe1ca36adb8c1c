"""Google News links of polled feeds resolved to the publishers' URLs, remembered in the store.

Each id costs two requests to Google once; afterwards every poll reads it from memory or the database,
so a search feed's hundred items, polled every half hour, ask Google only about the new ones.
"""

from __future__ import annotations

from app.runtime import Runtime
from sources.googlenews import GoogleNewsLinks, MemoryLinkCache
from sources.http import HttpClient
from storage import Store


class StoredLinkCache:
    """The store's google_news_links table, with the ids of this process kept in memory in front of it."""

    def __init__(self, store: Store) -> None:
        self._store, self._memory = store, MemoryLinkCache()

    def get(self, article_id: str) -> str | None:
        """The remembered URL: from memory, else from the store."""
        url = self._memory.get(article_id)
        if url is None:
            url = self._store.google_news_link(article_id)
            if url is not None:
                self._memory.put(article_id, url)
        return url

    def put(self, article_id: str, url: str) -> None:
        """Remember an id in the store and in memory."""
        self._store.save_google_news_link(article_id, url)
        self._memory.put(article_id, url)


def google_news_links(runtime: Runtime, client: HttpClient) -> GoogleNewsLinks:
    """The resolver of this run: the configured Google News, the run's client, the store as the cache."""
    return GoogleNewsLinks(client, StoredLinkCache(runtime.store), runtime.config.google_news_url.rstrip("/"))

