"""``claimwatch reextract``: read stored articles again with the current extractor; record what changed.

Articles are read again in publication order. In each, the figures the current extractor reads are
compared with those stored from it:

* a figure that **appeared** is stored and diffed like any new claim (eval/CHANGES.md), against everything
  known: one older than the current value is ``historical``, a metric's first figure ``new``;
* a figure that **vanished** is withdrawn: its citation goes, and a fact no article states any more goes
  with its change events (a conflict that loses a side is closed as withdrawn);
* a figure read differently in the same sentence is one **changed** revision (old and new side by side).

Every difference is stored as a revision, and the summary gives each touched series' value before and
after. Nothing is alerted unless asked, and then only the last alerting event of each series: a better
extractor corrects the record, it does not send an alert storm. ``dry_run`` does all of it in a
transaction that is rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.pipeline import Pipeline
from core.diff import current
from core.errors import ClaimwatchError
from core.types import ALERTING_KINDS, ChangeEvent, Claim, Document
from extractors.claims import EXTRACTOR_VERSION, extract_claims
from storage import ArticleInfo, EventRef, Transaction

log = logging.getLogger(__name__)

Series = tuple[str, bool]  # (metric id, forecast)
_LAST = date.max  # articles without a date are read after every dated one


@dataclass(frozen=True)
class Revision:
    """One figure of one article that the current extractor reads differently from the stored one."""

    source: str
    old: Claim | None  # None: the figure appeared
    new: Claim | None  # None: the figure vanished
    event: ChangeEvent | None = None  # the event an appeared or changed figure made
    event_id: int | None = None

    @property
    def change(self) -> str:
        """ "appeared", "vanished" or "changed"."""
        return "appeared" if self.old is None else "vanished" if self.new is None else "changed"

    @property
    def series(self) -> Series:
        """The metric and forecast flag the figure belongs to."""
        claim = self.new or self.old
        assert claim is not None and claim.metric is not None  # a revision always has a tracked side
        return claim.metric, claim.forecast


@dataclass(frozen=True)
class SeriesChange:
    """What a re-extraction did to one series: its revisions counted, its value before and after."""

    metric: str
    forecast: bool
    appeared: int
    vanished: int
    changed: int
    before: Claim | None
    after: Claim | None


@dataclass(frozen=True)
class Reextraction:
    """The outcome of one ``reextract``."""

    run: str  # when it began, UTC: the revisions' run id
    version: str  # the extractor that read the articles
    dry_run: bool
    articles: int  # read again
    without_text: int  # stored before article texts were kept: cannot be read again
    revised: int  # articles whose figures changed
    revisions: tuple[Revision, ...]
    series: tuple[SeriesChange, ...]
    errors: tuple[str, ...]  # one line per article that could not be read again
    queued: int = 0  # alerts queued (only when asked)


@dataclass(frozen=True)
class _Reading:
    """An article read again: its tracked figures (normalised) and the untracked numbers."""

    info: ArticleInfo
    tracked: tuple[Claim, ...]
    untracked: tuple[Claim, ...]


def reextract(pipeline: Pipeline, *, since: date | None = None, dry_run: bool = False, alert: bool = False,
              now: datetime | None = None) -> Reextraction:
    """Read stored articles (published on or after ``since``) again, oldest first, and store what changed."""
    run = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    infos = [a for a in pipeline.store.article_infos() if _in_range(a, since)]
    wanted = sorted(infos, key=_publication_order)
    readings, errors, without_text = _read_all(pipeline, wanted)
    before = _values(pipeline, pipeline.store.claims)
    with pipeline.store.transaction(dry_run=dry_run) as tx:
        revisions = [r for reading in readings for r in _apply(pipeline, tx, reading, run)]
        after = _values(pipeline, tx.claims, {r.series[0] for r in revisions})
        queued = _alert_last(pipeline, tx, revisions) if alert and not dry_run else 0
    pipeline.histories.forget()  # a dry run's claims were rolled back; a real one's withdrawn claims are gone
    return Reextraction(
        run=run, version=EXTRACTOR_VERSION, dry_run=dry_run, articles=len(readings), errors=tuple(errors),
        without_text=without_text, revised=len({r.source for r in revisions}),
        revisions=tuple(revisions), series=_summary(revisions, before, after), queued=queued,
    )  # fmt: skip


def _in_range(article: ArticleInfo, since: date | None) -> bool:
    """Whether an article was published on or after ``since`` (every article when no date is given)."""
    published = article.published
    return since is None or (published is not None and published.day >= since)


def _publication_order(article: ArticleInfo) -> tuple[date, int]:
    """Oldest first; undated articles last, in the order stored."""
    published = article.published
    return (published.day if published is not None else _LAST, article.id)


def _read_all(pipeline: Pipeline, articles: Sequence[ArticleInfo]) -> tuple[list[_Reading], list[str], int]:
    """Each article read again (its text fetched one at a time); one error line for each that cannot be (the
    others go on); and how many have no stored text."""
    readings, errors, without_text = [], [], 0
    for info in articles:
        text = pipeline.store.article_text(info.id)
        if text is None:
            without_text += 1
            continue
        try:
            readings.append(_read(pipeline, info, text))
        except ClaimwatchError as exc:
            errors.append(f"{info.source}: {exc}")
        except Exception as exc:  # a bug in the extractor must not stop the others being read
            log.exception("reextract: %s could not be read again", info.source)
            errors.append(f"{info.source}: {type(exc).__name__}: {exc}")
    return readings, errors, without_text


def _read(pipeline: Pipeline, info: ArticleInfo, text: str) -> _Reading:
    """The figures the current extractor reads in a stored article."""
    document = _document(info, text)
    claims = extract_claims(document, pipeline.catalog)
    tracked = pipeline.normalised(document, claims)
    untracked = [c for c in claims if c.metric is None or c.metric not in pipeline.catalog.metrics]
    return _Reading(info, tuple(tracked), tuple(untracked))


def _document(info: ArticleInfo, text: str) -> Document:
    """The document an article was stored from."""
    return Document(source=info.source, text=text, url=info.url, title=info.title,
                    publisher=info.publisher, published=info.published, language=info.language,
                    fetched_at=info.fetched_at, published_source=info.published_source)


def _apply(pipeline: Pipeline, tx: Transaction, reading: _Reading, run: str) -> list[Revision]:
    """Bring one article's stored claims in line with its reading; the revisions it made."""
    article_id = reading.info.id
    stored = tx.article_claims(article_id)
    old = {_figure(c): (claim_id, c) for claim_id, c in stored if c.metric is not None}
    new = {_figure(c): c for c in reading.tracked}
    vanished = [pair for key, pair in old.items() if key not in new]
    appeared = [c for key, c in new.items() if key not in old]
    stale_untracked = _stale_untracked(stored, reading.untracked)
    if vanished or appeared or stale_untracked is not None:
        tx.lock_series(sorted({c.metric for _, c in vanished} | {c.metric for c in appeared}))
        tx.withdraw_claims([i for i, _ in vanished] + (stale_untracked or []))
        pipeline.histories.forget()  # the histories may have learned the withdrawn claims
        events = _store_appeared(pipeline, tx, article_id, appeared)
        if stale_untracked is not None:
            tx.save_claims(article_id, list(reading.untracked))
    else:
        events = {}
    tx.mark_read_by(article_id, EXTRACTOR_VERSION)
    revisions = _pair(reading.info.source, [c for _, c in vanished], appeared, events)
    for revision in revisions:
        tx.record_revision(run, article_id, revision.old, revision.new, revision.event_id)
    return revisions


def _store_appeared(pipeline: Pipeline, tx: Transaction, article_id: int,
                    appeared: Iterable[Claim]) -> dict[int, tuple[ChangeEvent, EventRef]]:
    """Store each figure that appeared, oldest as-of first, with the event it makes; by the claim's id()."""
    events = {}
    for claim in sorted(appeared, key=lambda c: c.as_of or date.min):
        recorded = pipeline.record(tx, article_id, claim)
        if recorded is not None:
            events[id(claim)] = recorded
    return events


def _stale_untracked(stored: Sequence[tuple[int, Claim]], untracked: Sequence[Claim]) -> list[int] | None:
    """The ids of the stored untracked numbers when the reading differs from them; None when it agrees."""
    old = [(i, c) for i, c in stored if c.metric is None]
    if sorted(map(_number, (c for _, c in old))) == sorted(map(_number, untracked)):
        return None
    return [i for i, _ in old]


def _pair(source: str, vanished: list[Claim], appeared: list[Claim],
          events: dict[int, tuple[ChangeEvent, EventRef]]) -> list[Revision]:
    """Revisions: a vanished and an appeared figure of one series in the same sentence are one change."""
    revisions, unmatched = [], list(appeared)
    for old in vanished:
        new = next((c for c in unmatched if _same_place(old, c)), None)
        if new is not None:
            unmatched.remove(new)
        revisions.append(_revision(source, old, new, events))
    revisions += [_revision(source, None, new, events) for new in unmatched]
    return revisions


def _revision(source: str, old: Claim | None, new: Claim | None,
              events: dict[int, tuple[ChangeEvent, EventRef]]) -> Revision:
    """A revision with the event its new figure made, if it made one."""
    found = events.get(id(new)) if new is not None else None
    return Revision(source, old, new, found[0] if found else None, found[1].id if found else None)


def _same_place(old: Claim, new: Claim) -> bool:
    """One series, and evidence spans that overlap: the same statement read two ways."""
    overlap = old.start < new.end and new.start < old.end
    return (old.metric, old.forecast) == (new.metric, new.forecast) and overlap


def _figure(claim: Claim) -> tuple[object, ...]:
    """What makes two readings of an article the same figure."""
    period = claim.period.label if claim.period is not None else None
    return (claim.metric, claim.forecast, claim.unit, claim.value, str(claim.qualifier), period)


def _number(claim: Claim) -> tuple[object, ...]:
    """What makes two readings of an untracked number the same, in a sortable form."""
    return (claim.entity, claim.unit, str(claim.value), str(claim.qualifier),
            claim.period.label if claim.period else "", claim.forecast, claim.start, claim.end)


def _values(pipeline: Pipeline, claims_of: Callable[[str], list[Claim]],
            metrics: Iterable[str] | None = None) -> dict[Series, Claim]:
    """The value shown for each series of the metrics given (all in the catalog by default)."""
    wanted = pipeline.catalog.metrics if metrics is None else sorted(set(metrics))
    out: dict[Series, Claim] = {}
    for metric in wanted:
        history = claims_of(metric)  # Store.claims or Transaction.claims: one metric's citations
        kind = pipeline.catalog.get(metric).kind
        for forecast in (False, True):
            shown = current(history, kind, forecast=forecast)
            if shown is not None:
                out[(metric, forecast)] = shown
    return out


def _summary(revisions: Sequence[Revision], before: dict[Series, Claim],
             after: dict[Series, Claim]) -> tuple[SeriesChange, ...]:
    """One line per series a revision touched, in catalog-independent order (metric, then actuals first)."""
    out = []
    for series in sorted({r.series for r in revisions}):
        mine = [r.change for r in revisions if r.series == series]
        out.append(SeriesChange(series[0], series[1], mine.count("appeared"), mine.count("vanished"),
                                mine.count("changed"), before.get(series), after.get(series)))
    return tuple(out)


def _alert_last(pipeline: Pipeline, tx: Transaction, revisions: Sequence[Revision]) -> int:
    """Queue the last alerting event of each series (one alert per series at most); how many were queued."""
    last: dict[Series, tuple[ChangeEvent, int]] = {}
    for revision in revisions:
        event, event_id = revision.event, revision.event_id
        if event is not None and event_id is not None and event.kind in ALERTING_KINDS:
            last[revision.series] = (event, event_id)
    return sum(tx.enqueue(event_id, pipeline.channels_for(event)) for event, event_id in last.values())
