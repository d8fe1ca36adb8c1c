"""The backfill flow with real parts: a local Wayback (CDX + mementos), saved pages, SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support.flows import SHARED, Article, harness_url, hook_channel, write_config
from support.http_server import LocalServer, Reply, Request
from support.servers import receiver

from flows.backfill import backfill
from storage import Store

pytestmark = pytest.mark.timeout(180)

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# (capture timestamp, path, figure sentence): Qwen's downloads as the archive saw them grow, after the baseline
# (seeded into the empty database first: over 1 billion in 2026-02), so each capture is an update of it
CAPTURES = [
    ("20260315090000", "/qwen-1-1b", "2026-03-15", "Qwen has passed 1.1 billion downloads, Alibaba Cloud said."),
    ("20260410090000", "/qwen-1-3b", "2026-04-10", "Qwen has passed 1.3 billion downloads, Alibaba Cloud said."),
    ("20260702090000", "/qwen-1-6b", "2026-07-02", "Qwen has passed 1.6 billion downloads, Alibaba Cloud said."),
    ("20260920090000", "/qwen-1-9b", "2026-09-20", "Qwen has passed 1.9 billion downloads, Alibaba Cloud said."),
    ("20261118090000", "/qwen-2-5b", "2026-11-18", "Qwen has passed 2.5 billion downloads, Alibaba Cloud said."),
]
AFTER_BASELINE = date(2026, 3, 1)
BACKFILLED = [1_100_000_000, 1_300_000_000, 1_600_000_000, 1_900_000_000, 2_500_000_000]
ORIGIN = "https://news.example.com"


@pytest.fixture(scope="module")
def prefect() -> str:
    return harness_url()


def article(path: str, day: str, sentence: str) -> Article:
    return Article(
        path,
        f"Qwen downloads {day}",
        day,
        f"{sentence}\n\nDevelopers keep building on the open models, the company added.",
    )


def snapshot_urls() -> list[str]:
    return [f"https://web.archive.org/web/{ts}/{ORIGIN}{path}" for ts, path, _, _ in CAPTURES]


def serve_archive(server: LocalServer) -> None:
    """Mementos of the captures (``/web/<ts>id_/<original>``) and a one-page CDX answer listing them."""
    pages = {f"{ORIGIN}{path}": (ts, article(path, day, text).html()) for ts, path, day, text in CAPTURES}

    def memento(request: Request) -> Reply:
        original = request.path.split("id_/", 1)[-1]
        if original not in pages:
            return Reply(404, b"not archived", {"Content-Type": "text/plain"})
        ts, html = pages[original]
        when = format_datetime(datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC), usegmt=True)
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Memento-Datetime": when,
        }
        return Reply(200, html.encode(), headers)

    def cdx(request: Request) -> Reply:
        """The captures within the query's from/to, as the CDX server reads them (partial stamps padded)."""
        query = parse_qs(urlsplit(request.path).query)
        low = query.get("from", [""])[0].ljust(14, "0")
        high = query.get("to", [""])[0].ljust(14, "9")
        rows = "".join(f"com,example,news){path} {ts} {ORIGIN}{path} text/html 200 D{n} 1\n"
                       for n, (ts, path, _, _) in enumerate(CAPTURES) if low <= ts <= high)
        return Reply(200, rows.encode(), {"Content-Type": "text/plain"})

    server.handle("/web/", memento, prefix=True)
    server.handle("/cdx/search/cdx", cdx)


def history(database_url: str) -> tuple[list, list]:
    """The backfilled part of the downloads series as stored, and its change events, in the engine's order."""
    with Store.open(database_url) as store:
        claims = [(c.value, c.qualifier, c.published) for c in store.claims("qwen.downloads")
                  if c.published.day >= AFTER_BASELINE]
        events = [(s.event.kind, s.event.claim.value) for s in store.history("qwen.downloads")
                  if s.event.claim.published.day >= AFTER_BASELINE]
    return claims, events


def test_shuffled_snapshots_build_the_same_history(prefect: str, database_url: str, tmp_path: Path) -> None:
    ordered_db = f"sqlite:///{tmp_path / 'ordered.db'}"
    with LocalServer() as server:
        serve_archive(server)
        shuffled = snapshot_urls()
        random.Random(7).shuffle(shuffled)
        assert shuffled != snapshot_urls()
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = backfill(
            urls=shuffled,
            config_path=str(write_config(tmp_path / "a", database_url, [])),
            wayback_base=server.base,
        )
        backfill(
            urls=snapshot_urls(),
            config_path=str(write_config(tmp_path / "b", ordered_db, [])),
            wayback_base=server.base,
        )
        hits = len(server.requests)
        again = backfill(
            urls=shuffled, config_path=str(tmp_path / "a" / "config.yaml"), wayback_base=server.base
        )
        assert len(server.requests) == hits  # resumable: nothing stored is fetched again
    assert (first.items, first.pages, first.errors) == (5, 5, [])
    assert (again.skipped_stored, again.pages) == (5, 0)
    shuffled_history, ordered_history = history(database_url), history(ordered_db)
    assert shuffled_history == ordered_history
    claims, events = shuffled_history
    assert [v for v, _, _ in claims] == BACKFILLED and events[-1][1] == 2_500_000_000
    assert {k.value for k, _ in events} == {"updated"}  # each one an update of the baseline or the one before


def test_cdx_search_and_alerts_as_one_digest(
    prefect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CW_TEST_HOOK_SECRET", SECRET)
    with LocalServer() as server, receiver(SECRET) as hook:
        serve_archive(server)
        config = write_config(
            tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [], [hook_channel("hook", hook.url)]
        )
        summary = backfill(
            cdx_url="news.example.com/",
            cdx_match="prefix",
            cdx_from="2026-01-01",
            cdx_to="2026-11-18",  # that day included
            alerts=True,
            config_path=str(config),
            wayback_base=server.base,
        )
    assert summary.pages == 5 and summary.events >= 5  # the capture on the --to day too
    payloads = hook.payloads()
    assert len(payloads) == 1 and payloads[0]["type"] == "claimwatch.digest"  # one digest, not one POST each
    assert summary.alerts_sent >= 5


def test_saved_pages_in_any_file_order_are_ingested_by_their_own_dates(prefect: str, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    names = ["zeta", "alpha", "mid", "beta", "omega"]  # name order is not date order
    for name, (_, path, day, text) in zip(names, CAPTURES, strict=True):
        (folder / f"{name}.html").write_text(article(path, day, text).html(), encoding="utf-8")
    (folder / "broken.html").write_bytes(b"\x00\x01binary")
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [])
    summary = backfill(folder=str(folder), config_path=str(config))
    assert summary.pages == 5 and len(summary.errors) == 1 and "broken.html" in summary.errors[0]
    _, events = history(f"sqlite:///{tmp_path / 'cw.db'}")
    assert [v for _, v in events] == BACKFILLED


def test_recorded_wayback_memento_replays(prefect: str, tmp_path: Path) -> None:
    wayback = SHARED / "corpora" / "wayback"
    if not (wayback / "decoded").is_dir():
        pytest.skip(f"wayback corpus not found at {wayback}")
    with LocalServer() as server:
        server.serve_wayback(wayback)
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [])
        summary = backfill(
            urls=[
                "https://web.archive.org/web/20171124151315/https://www.fws.gov/birds/",
                "https://web.archive.org/web/20170929002712/https://this-is-not-real-url.whatever/",
            ],
            config_path=str(config),
            wayback_base=server.base,
        )
    assert summary.items == 2 and summary.pages == 1
    assert len(summary.errors) == 1 and "404" in summary.errors[0]
    with Store.open(f"sqlite:///{tmp_path / 'cw.db'}") as store:
        assert set(store.article_info(["https://www.fws.gov/birds"])) or not store.is_empty()
