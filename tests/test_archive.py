"""Archive inputs: snapshot URLs, CDX paging replayed from the corpus, mementos, URL files, folders."""

from __future__ import annotations

import itertools
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import HttpConfig
from core.errors import BlockedError, ClaimwatchError, FetchError, InputError
from sources.archive import (
    ArchiveItem, CdxQuery, cdx_items, fetch_memento, items_from_dir, items_from_url_file, items_from_urls,
    make_wayback_client, parse_link_header, parse_snapshot_url, raw_memento_url,
)
from sources.http import HttpClient, HttpStatusError
from support.http_server import LocalServer, Reply

pytestmark = pytest.mark.timeout(60)

WAYBACK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wayback"
needs_corpus = pytest.mark.skipif(not (WAYBACK / "decoded").is_dir(), reason=f"wayback corpus not found at {WAYBACK}")


@pytest.fixture(scope="module")
def archive():
    if not (WAYBACK / "decoded").is_dir():
        pytest.skip(f"wayback corpus not found at {WAYBACK}")
    with LocalServer() as server:
        server.serve_wayback(WAYBACK)
        yield server


def wayback_client(server: LocalServer):
    return make_wayback_client(server.base, cdx_limit=0, retries=0)


def http_client() -> HttpClient:
    config = HttpConfig(allow_networks=("127.0.0.1/32",), politeness_delay=0.0, retries=2)
    return HttpClient(config, sleep=lambda _: None)


# -- snapshot URLs ----------------------------------------------------------------------------

SNAPSHOT_CASES = [
    ("https://web.archive.org/web/20171124151315id_/https://www.fws.gov/birds/",
     "https://www.fws.gov/birds/", datetime(2017, 11, 24, 15, 13, 15, tzinfo=UTC), "id_"),
    ("http://web.archive.org/web/20180808094144/https://www.epa.gov/x?a=1&b=2",
     "https://www.epa.gov/x?a=1&b=2", datetime(2018, 8, 8, 9, 41, 44, tzinfo=UTC), ""),
    ("https://web.archive.org/web/2019if_/http://example.com/",
     "http://example.com/", datetime(2019, 1, 1, tzinfo=UTC), "if_"),
    ("https://web.archive.org/web/20200102im_/https:/example.com/img.png",
     "https://example.com/img.png", datetime(2020, 1, 2, tzinfo=UTC), "im_"),
    ("https://web.archive.org/web/20010101000000cs_/example.com/style.css",
     "http://example.com/style.css", datetime(2001, 1, 1, tzinfo=UTC), "cs_"),
]


@pytest.mark.parametrize(("url", "original", "when", "mod"), SNAPSHOT_CASES)
def test_parse_snapshot_url(url: str, original: str, when: datetime, mod: str) -> None:
    snap = parse_snapshot_url(url)
    assert (snap.original_url, snap.capture_time, snap.modifier) == (original, when, mod)
    assert raw_memento_url(original, when) == f"https://web.archive.org/web/{snap.timestamp}id_/{original}"


@pytest.mark.parametrize("url", ["https://example.com/", "https://web.archive.org/web/",
                                 "https://web.archive.org/web/20171399000000/https://x.com/",
                                 "https://web.archive.org/web/abc/https://x.com/", ""])
def test_not_a_snapshot_url(url: str) -> None:
    with pytest.raises(InputError):
        parse_snapshot_url(url)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.builds(lambda ts, tail: f"https://web.archive.org/web/{ts}/{tail}",
                                         st.text("0123456789", max_size=16), st.text(max_size=40)))
def test_snapshot_parser_raises_only_our_errors(url: str) -> None:
    try:
        snap = parse_snapshot_url(url)
    except ClaimwatchError:
        return
    assert snap.capture_time.tzinfo is UTC and snap.original_url.startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)),
    st.from_regex(r"https?://[a-z]{1,10}\.(com|cn)/[a-z0-9/]{0,20}(\?[a-z]=[0-9])?", fullmatch=True))
def test_snapshot_round_trip(when: datetime, original: str) -> None:
    snap = parse_snapshot_url(raw_memento_url(original, when))
    assert (snap.original_url, snap.capture_time, snap.modifier) == (original, when, "id_")


def test_link_header_with_commas_in_datetimes() -> None:
    value = ('<https://www.fws.gov/birds/>; rel="original", <https://web.archive.org/web/timemap/link/x>; '
             'rel="timemap"; type="application/link-format", <https://web.archive.org/web/2005/x>; '
             'rel="first memento"; datetime="Wed, 23 Mar 2005 15:53:00 GMT", '
             '<https://web.archive.org/web/2017/x>; rel="memento"; datetime="Fri, 24 Nov 2017 15:13:15 GMT"')
    links = parse_link_header(value)
    assert links["original"] == "https://www.fws.gov/birds/"
    assert links["first memento"] == "https://web.archive.org/web/2005/x"
    assert links["memento"] == "https://web.archive.org/web/2017/x"


# -- CDX replayed from the corpus ----------------------------------------------------------------

def expected_rows(prefix: str) -> list[tuple[str, str]]:
    """(timestamp, original) of every row in the recorded pages, without consecutive repeats."""
    rows, previous = [], None
    for page in sorted((WAYBACK / "decoded").glob(f"{prefix}__*.txt")):
        for line in page.read_text().split("\n\n", 1)[0].splitlines():
            if line and line != previous:
                rows.append((line.split(" ")[1], line.split(" ")[2]))
            previous = line or previous
    return rows


@needs_corpus
def test_cdx_multipage_follows_resume_keys(archive: LocalServer) -> None:
    query = CdxQuery("cnn.com", from_date=date(2001, 4, 10), to_date=date(2001, 5, 10), status=None, mime=None,
                     collapse_digest=False, limit=25)
    before = archive.hits("/cdx/search/cdx")
    items = list(cdx_items(query, wayback_client(archive), base=archive.base))
    assert archive.hits("/cdx/search/cdx") - before == 15  # 15 recorded pages, the last one empty
    assert len(items) == len(expected_rows("edgi__test_search_multipage")) > 50
    assert all(i.fetch_url and i.fetch_url.startswith(archive.base + "/web/") for i in items)
    assert items[0].capture_time == datetime(2001, 4, 10, 21, 39, 30, tzinfo=UTC)
    assert sorted(items, key=lambda i: i.sort_key)[0] == items[0]
    resumed = [r for r in archive.requests if "resumeKey=" in r.path]
    assert len(resumed) == 14


@needs_corpus
def test_cdx_with_status_filter_and_prefix(archive: LocalServer) -> None:
    query = CdxQuery("nasa.gov/", match_type="prefix", from_date=date(2022, 1, 1), to_date=date(2022, 2, 1),
                     status="404", mime=None, collapse_digest=False, limit=10)
    items = list(itertools.islice(cdx_items(query, wayback_client(archive), base=archive.base), 10))  # page 1
    assert len(items) == 10
    assert all(i.original_url.startswith(("http://www.nasa.gov/", "https://www.nasa.gov/")) for i in items)
    assert "filter=statuscode%3A404" in archive.requests[-1].path


@needs_corpus
def test_cdx_blocked_site_is_a_blocked_error(archive: LocalServer) -> None:
    query = CdxQuery("https://nationalpost.com/health", from_date=date(2019, 10, 1), to_date=date(2019, 10, 2),
                     status=None, mime=None, collapse_digest=False)
    with pytest.raises(BlockedError, match="blocks this site"):
        list(cdx_items(query, wayback_client(archive), base=archive.base))


def test_cdx_rate_limit_is_a_transient_fetch_error() -> None:
    with LocalServer() as server:
        server.handle("/cdx/search/cdx", lambda _: Reply(429, b"Too Many Requests", {"Retry-After": "60"}))
        with pytest.raises(FetchError, match="rate limited") as info:
            next(cdx_items(CdxQuery("example.com"), wayback_client(server), base=server.base))
    assert info.value.transient and "60" in str(info.value)


def test_cdx_server_error_is_a_fetch_error() -> None:
    with LocalServer() as server:
        server.handle("/cdx/search/cdx", lambda _: Reply(502, b"bad gateway"))
        with pytest.raises(FetchError):
            list(cdx_items(CdxQuery("example.com"), wayback_client(server), base=server.base))


def test_cdx_streams_ten_thousand_captures_in_pages() -> None:
    """A synthetic CDX server with 10,000 rows, 1,000 a page: items arrive lazily, memory stays flat."""
    def page(request) -> Reply:
        start = int(request.query.get("resumeKey", ["0"])[0])
        rows = [f"com,example)/a{n} 2020{(n % 12) + 1:02d}01000000 https://example.com/a{n} text/html 200 D{n} 1"
                for n in range(start, min(start + 1000, 10_000))]
        tail = f"\n\n{start + 1000}\n" if start + 1000 < 10_000 else "\n"
        return Reply(200, ("\n".join(rows) + tail).encode(), {"Content-Type": "text/plain"})

    with LocalServer() as server:
        server.handle("/cdx/search/cdx", page)
        tracemalloc.start()
        count = sum(1 for _ in cdx_items(CdxQuery("example.com"), wayback_client(server), base=server.base))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count == 10_000 and server.hits("/cdx/search/cdx") == 10
    assert peak < 20 * 2**20


# -- mementos ----------------------------------------------------------------------------------

@needs_corpus
def test_memento_with_datetime_and_links(archive: LocalServer) -> None:
    item = ArchiveItem("https://www.fws.gov/birds/", None,
                       archive.url("/web/20171124151315id_/https://www.fws.gov/birds/"))
    memento = fetch_memento(http_client(), item)
    assert memento.capture_time == datetime(2017, 11, 24, 15, 13, 15, tzinfo=UTC)
    assert memento.original_url == "https://www.fws.gov/birds/"
    assert memento.links["prev memento"].startswith(archive.base + "/web/20170929002712/")
    assert len(memento.page.body) == 122756


@needs_corpus
def test_memento_redirects_are_followed_to_the_nearest_capture(archive: LocalServer) -> None:
    snapshot = "https://web.archive.org/web/20180808094144/https://www.epa.gov/ghgreporting/san5779-factsheet"
    item = next(items_from_urls([snapshot], base=archive.base))
    memento = fetch_memento(http_client(), item)
    assert memento.page.status == 200
    assert memento.page.final_url.startswith(archive.base + "/web/20180808104500id_/")
    assert memento.capture_time == datetime(2018, 8, 8, 10, 45, tzinfo=UTC)
    assert memento.original_url.endswith("proposed-rule-fact-sheet-greenhouse-gas-reporting-program-addition-"
                                         "global-warming")


@needs_corpus
def test_missing_memento_and_archived_rate_limit_page(archive: LocalServer) -> None:
    client = http_client()
    missing = ArchiveItem("x", None, archive.url("/web/20170929002712id_/https://this-is-not-real-url.whatever/"))
    archived_429 = ArchiveItem("x", None, archive.url("/web/20150129034904id_/http://www.reddit.com/r/PokemonGiveaway"))
    with pytest.raises(HttpStatusError) as gone:
        fetch_memento(client, missing)
    before = archive.hits(archived_429.fetch_url.removeprefix(archive.base))
    with pytest.raises(HttpStatusError, match="archived HTTP 429") as old:
        fetch_memento(client, archived_429)
    assert gone.value.status == 404 and not old.value.transient
    assert archive.hits(archived_429.fetch_url.removeprefix(archive.base)) - before == 1  # not retried


def test_saved_page_has_nothing_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        fetch_memento(http_client(), ArchiveItem("file:///x.html", None, None, tmp_path / "x.html"))


# -- URL files and folders -----------------------------------------------------------------------

def test_url_file_streams_and_skips_comments(tmp_path: Path) -> None:
    lines = ["# backfill list", "", "https://web.archive.org/web/20200101000000/https://a.example/1",
             "  https://b.example/2#section  ", "# done"]
    lines += [f"https://c.example/{n}" for n in range(10_000)]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    items = items_from_url_file(path)
    first, second = next(items), next(items)
    assert first.capture_time == datetime(2020, 1, 1, tzinfo=UTC)
    assert first.fetch_url == "https://web.archive.org/web/20200101000000id_/https://a.example/1"
    assert second == ArchiveItem("https://b.example/2#section", None, "https://b.example/2#section")
    assert sum(1 for _ in items) == 10_000


def test_bad_url_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        list(items_from_url_file(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("https://ok.example/\nftp://nope.example/\n")
    with pytest.raises(InputError, match="ftp://nope.example/"):
        list(items_from_url_file(bad))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        list(items_from_url_file(binary))


def test_a_bad_line_of_a_url_file_is_named_by_file_and_line(tmp_path: Path) -> None:
    """The same file:line whether the file comes from --urls or from a `urls` source of the sources file."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"# comment\nhttps://ok.example/\nnot a url\n\xff\n")
    with pytest.raises(InputError, match=r"bad\.txt:3: 'not a url': not an http\(s\) URL"):
        list(items_from_url_file(bad))
    bad.write_bytes(b"https://ok.example/\n\xff\n")
    with pytest.raises(InputError, match=r"bad\.txt:2: not UTF-8 text"):
        list(items_from_url_file(bad))


def test_folder_of_saved_pages(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.html").write_text('<html><head><link rel="canonical" href="https://news.example/a"></head></html>')
    (tmp_path / "sub" / "b.htm").write_text("<html><body>no canonical</body></html>")
    (tmp_path / "notes.txt").write_text("ignored")
    items = list(items_from_dir(tmp_path))
    assert [i.original_url for i in items] == ["https://news.example/a", (tmp_path / "sub" / "b.htm").as_uri()]
    assert all(i.path is not None and i.fetch_url is None for i in items)
    with pytest.raises(InputError):
        next(items_from_dir(tmp_path / "nope"))


def test_sort_key_orders_by_capture_time_unknown_first() -> None:
    later = ArchiveItem("https://a.example/", datetime(2024, 1, 1, tzinfo=UTC))
    earlier = ArchiveItem("https://b.example/", datetime(2020, 1, 1, tzinfo=UTC))
    unknown = ArchiveItem("https://c.example/")
    assert sorted([later, unknown, earlier], key=lambda i: i.sort_key) == [unknown, earlier, later]
