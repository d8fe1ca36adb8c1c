"""Publication dates that can be trusted (eval/CHANGES.md): where a date came from, first-seen, no future.

An untrusted date must never silence an alert: an article with no date takes the time it was first seen,
recorded as such, and a date after the moment of ingestion is refused instead of becoming the "latest"
figure that mutes every true one after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.errors import InputError
from core.periods import LooseDate

CLOCK_SKEW = timedelta(
    days=1
)  # CHANGES.md: a date up to a day ahead is a time zone or a clock, not the future


class PublishedSource(StrEnum):
    """Where an article's publication date came from."""

    PAGE = "page"  # the page's own metadata (htmldate)
    FEED = "feed"  # the feed entry that listed it
    GIVEN = "given"  # stated by whoever handed it in: --published, the seed manifest
    FIRST_SEEN = "first_seen"  # none was stated: the time it was first fetched or ingested


def first_seen(seen_at: datetime | None = None) -> LooseDate:
    """The publication date of an undated article: the day it was first seen (UTC), now when not known."""
    moment = seen_at or datetime.now(UTC)
    return LooseDate(moment.astimezone(UTC).date() if moment.tzinfo else moment.date())


def check_not_future(published: LooseDate, what: str, now: datetime | None = None) -> LooseDate:
    """The date itself; InputError naming ``what`` when it lies after now (beyond CLOCK_SKEW)."""
    limit = ((now or datetime.now(UTC)) + CLOCK_SKEW).date()
    if published.day > limit:
        raise InputError(f"{what}: publication date {published} is in the future (after {limit}); refused")
    return published
