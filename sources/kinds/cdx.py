"""The ``cdx`` kind: a Wayback CDX search (a site's captures over a window), replayed by the backfill."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time

from core.errors import ConfigError, InputError
from core.periods import LooseDate, Period
from sources.archive import WAYBACK_BASE, ArchiveItem, CdxQuery, cdx_items, make_wayback_client
from sources.kinds.base import ArchiveKind
from sources.spec import SourceSpec

MATCH_TYPES = ("exact", "prefix", "host", "domain")


class CdxKind(ArchiveKind):
    """Every capture a CDX search finds (HTML served fine, identical captures once), in capture order."""

    kind = "cdx"
    description = "a Wayback CDX search; url is the pattern, e.g. qwenlm.github.io/blog/"
    location = "a URL pattern; match: exact, prefix, host or domain; from, to: YYYY-MM-DD or YYYY-MM"
    options = frozenset({"match", "from", "to"})

    def parse_options(self, item: Mapping[str, object], where: str) -> tuple[tuple[str, str], ...]:
        """match one of MATCH_TYPES; from and to dates (YAML may have read them as dates already)."""
        found = {key: _text(item[key]) for key in sorted(self.options) if item.get(key) is not None}
        if found.get("match", "exact") not in MATCH_TYPES:
            raise ConfigError(f"{where}.match: {found['match']!r} is not one of {', '.join(MATCH_TYPES)}")
        for key in ("from", "to"):
            if key in found:
                try:
                    LooseDate.parse(found[key])
                except InputError as exc:
                    raise ConfigError(f"{where}.{key}: {exc}") from None
        return tuple(found.items())

    def query(self, spec: SourceSpec) -> CdxQuery:
        """The CDX search the entry describes (``to`` includes that whole day or month)."""
        since, until = spec.option("from"), spec.option("to")
        return CdxQuery(spec.url, match_type=spec.option("match"),  # type: ignore[arg-type]
                        from_date=LooseDate.parse(since).day if since else None,
                        to_date=last_second(LooseDate.parse(until)) if until else None)

    def items(self, spec: SourceSpec, base: str = WAYBACK_BASE,
              user_agent: str | None = None) -> Iterator[ArchiveItem]:
        """The captures, page after page, from the CDX server at ``base``."""
        yield from cdx_items(self.query(spec), make_wayback_client(base, user_agent=user_agent), base)


def last_second(found: LooseDate) -> datetime:
    """The last second of the day (or month) given: CDX reads a bare date as its midnight."""
    last = Period.month(found.day.year, found.day.month).end if found.precision == "month" else found.day
    return datetime.combine(last, time(23, 59, 59), UTC)


def _text(value: object) -> str:
    """An option's value as text; a date YAML read unquoted back to its ISO form."""
    return value.isoformat() if isinstance(value, date) else str(value)
