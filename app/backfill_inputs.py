"""What a backfill reads: its inputs, checked before any flow starts, and the items they stream.

Prefect-free, so the CLI can refuse a bad input in a blink instead of after a flow run has started.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.config import Config
from core.errors import ClaimwatchError, InputError
from core.periods import LooseDate
from sources.archive import (
    WAYBACK_BASE,
    ArchiveItem,
    CdxQuery,
    cdx_items,
    items_from_dir,
    items_from_url_file,
    items_from_urls,
    make_wayback_client,
)
from sources.kinds import archive_kind, kinds_of
from sources.kinds.cdx import last_second
from sources.registry import SourceSpec, load_sources


@dataclass(frozen=True)
class Inputs:
    """Where a backfill's items come from."""

    urls: tuple[str, ...] = ()  # snapshot URLs or live URLs
    urls_file: str | None = None
    folder: str | None = None
    cdx_url: str | None = None
    cdx_match: str | None = None  # exact, prefix, host or domain
    cdx_from: str | None = None  # YYYY-MM-DD
    cdx_to: str | None = None
    wayback_base: str = WAYBACK_BASE
    from_sources: bool = False  # also every enabled archive-kind entry of the sources file

    def parameters(self) -> dict[str, Any]:
        """The backfill flow's parameters for these inputs."""
        return {
            "urls": list(self.urls),
            "urls_file": self.urls_file,
            "folder": self.folder,
            "cdx_url": self.cdx_url,
            "cdx_match": self.cdx_match,
            "cdx_from": self.cdx_from,
            "cdx_to": self.cdx_to,
            "wayback_base": self.wayback_base,
            "from_sources": self.from_sources,
        }


def stream(inputs: Inputs, config: Config, errors: list[str] | None = None) -> Iterator[ArchiveItem]:
    """Every input's items, lazily, in order; ``errors`` collects the sources file's unreadable ones."""
    base = inputs.wayback_base
    yield from items_from_urls(inputs.urls, base)
    if inputs.urls_file:
        yield from items_from_url_file(Path(inputs.urls_file), base)
    if inputs.folder:
        yield from items_from_dir(Path(inputs.folder))
    if inputs.cdx_url:
        client = make_wayback_client(base, user_agent=config.http.user_agent)
        yield from cdx_items(cdx_query(inputs), client, base)
    if inputs.from_sources:
        yield from _source_items(config, base, errors)


def _source_items(config: Config, base: str, errors: list[str] | None) -> Iterator[ArchiveItem]:
    """The archive sources' items; with ``errors``, a source that cannot be read is one line there."""
    for spec in archive_sources(config):
        try:
            yield from archive_kind(spec.kind).items(spec, base, config.http.user_agent)
        except ClaimwatchError as exc:  # one unreachable CDX search must not cost the other sources
            if errors is None:
                raise
            errors.append(f"source {spec.name}: {exc}")


def archive_sources(config: Config) -> list[SourceSpec]:
    """The enabled entries of the sources file whose kind is replayed, not polled."""
    return [s for s in load_sources(config.sources_file) if s.enabled and s.kind in kinds_of("archive")]


def check_sources(config: Config) -> list[SourceSpec]:
    """The archive sources, each checked by its kind (a missing folder); InputError when there are none."""
    specs = archive_sources(config)
    if not specs:
        where = config.sources_file or "the bundled sources file"
        raise InputError(f"--sources: {where} has no enabled source of an archive kind "
                         f"({', '.join(kinds_of('archive'))})")
    for spec in specs:
        try:
            archive_kind(spec.kind).check(spec)
        except InputError as exc:
            raise InputError(f"source {spec.name}: {exc}") from None
    return specs


def check_inputs(inputs: Inputs) -> None:
    """Every input checked before a flow starts; InputError naming the first bad one (file:line for a URL)."""
    for url in inputs.urls:
        list(items_from_urls([url], inputs.wayback_base))
    if inputs.urls_file:
        _check_url_file(Path(inputs.urls_file), inputs.wayback_base)
    if inputs.folder and not Path(inputs.folder).is_dir():
        raise InputError(f"--dir: {inputs.folder}: no such folder")
    if inputs.cdx_url or inputs.cdx_match or inputs.cdx_from or inputs.cdx_to:
        cdx_query(inputs)


def _check_url_file(path: Path, base: str) -> None:
    """Every line of a URL file readable and a URL; InputError naming --urls and file:line otherwise."""
    try:
        for _ in items_from_url_file(path, base):
            pass
    except InputError as exc:
        raise InputError(f"--urls: {exc}") from None


def cdx_query(inputs: Inputs) -> CdxQuery:
    """The CDX search the inputs describe; InputError for a bad match type or date."""
    if not inputs.cdx_url:
        raise InputError("--match, --from and --to: only with --cdx URL")
    if inputs.cdx_match not in (None, "exact", "prefix", "host", "domain"):
        raise InputError(f"--match: {inputs.cdx_match!r} is not one of exact, prefix, host, domain")
    return CdxQuery(
        inputs.cdx_url,
        match_type=inputs.cdx_match,  # type: ignore[arg-type]
        from_date=_day(inputs.cdx_from, "--from"),
        to_date=_end_of(inputs.cdx_to),
    )


def _day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD (or YYYY-MM) option as a date; InputError naming the option."""
    return _date_option(text, option).day if text else None


def _end_of(text: str | None) -> datetime | None:
    """--to as the last second of that day (or month): CDX reads a bare date as its midnight."""
    if not text:
        return None
    return last_second(_date_option(text, "--to"))


def _date_option(text: str, option: str) -> LooseDate:
    """A DATE option, parsed; InputError naming it."""
    try:
        return LooseDate.parse(text)
    except InputError as exc:
        raise InputError(f"{option}: {exc}") from None
