"""Google News links: resolved to the publisher through the article page and batchexecute, recorded answers
served by a real local server; cached per id; skipped with a warning when they cannot be resolved."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest
from support.flows import Article, feed_source, harness_url, write_config
from support.http_server import LocalServer, Reply, Request

from app.googlenews import StoredLinkCache
from core.config import HttpConfig
from core.errors import BlockedError
from sources.feeds import FeedEntry
from sources.googlenews import (
    BATCH_PATH,
    GoogleNewsLinks,
    MemoryLinkCache,
    batch_form,
    offline_target,
    publisher_url,
    resolve_entries,
    signed_params,
)
from sources.http import HttpClient
from storage import Store

pytestmark = pytest.mark.timeout(180)

DATA = Path(__file__).parent / "data" / "googlenews"
# the public examples of googlenewsdecoder's README: a new id (an AU_yqL… key) and an old one (the URL inside)
NEW_ID = ("CBMiVkFVX3lxTE4zaGU2bTY2ZGkzdTRkSkJ0cFpsTGlDUjkxU2FBRURaTWU0c3QzVWZ1MHZZNkZ5Vzk1ZVBn"
          "TDFHY2R6ZmdCUkpUTUJsS1pqQTlCRzlzbHV3")
OLD_ID = ("CBMiLmh0dHBzOi8vd3d3LmJiYy5jb20vbmV3cy9hcnRpY2xlcy9jampqbnhkdjE4OG_SATJodHRwczovL3d3dy5iYmMuY29t"
          "L25ld3MvYXJ0aWNsZXMvY2pqam54ZHYxODhvLmFtcA")
PUBLISHER = "https://www.publisher.example/2024/12/05/alibaba-cloud-cuts-qwen-prices.html"
LOCAL = HttpConfig(allow_networks=("127.0.0.1/32",), politeness_delay=0.0, retries=0)


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def answer(target: str) -> bytes:
    """The recorded batchexecute answer, naming ``target`` instead of the recorded publisher."""
    return fixture("batchexecute_answer.txt").replace(PUBLISHER.encode(), target.encode())


def serve_google(server: LocalServer, page: bytes, reply: bytes, status: int = 200) -> None:
    """The article page of NEW_ID and the batchexecute endpoint on the local server."""
    server.add(f"/rss/articles/{NEW_ID}", page)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    server.handle(BATCH_PATH, lambda _: Reply(status, reply, headers))


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def links_on(
    server: LocalServer, config: HttpConfig = LOCAL, cache: MemoryLinkCache | None = None
) -> GoogleNewsLinks:
    return GoogleNewsLinks(HttpClient(config, sleep=lambda _: None), cache or MemoryLinkCache(), server.base)


def entry(url: str, title: str = "Alibaba Cloud cuts Qwen prices - Publisher") -> FeedEntry:
    return FeedEntry(url, url, NEW_ID, title, title)


def posts(server: LocalServer) -> list[Request]:
    return [r for r in server.requests if r.method == "POST"]


def asked(server: LocalServer) -> list[str]:
    """What was asked of the local Google, robots.txt aside."""
    return [f"{r.method} {r.path}" for r in server.requests if r.path != "/robots.txt"]


# -- recognising and decoding without the network --------------------------------------------------------


def test_google_news_article_links_are_recognised_and_others_are_not(server: LocalServer) -> None:
    links = links_on(server)
    for path in (f"/rss/articles/{NEW_ID}?oc=5", f"/articles/{NEW_ID}", f"/read/{NEW_ID}?hl=en-US"):
        assert links.article_id(server.base + path) == NEW_ID
    real = GoogleNewsLinks(links.client)
    assert real.article_id(f"https://news.google.com/rss/articles/{NEW_ID}?oc=5") == NEW_ID
    for url in (f"https://news.google.com/rss/search?q={NEW_ID}", "https://news.google.com/rss/articles/x",
                f"https://evil.example/rss/articles/{NEW_ID}", server.url("/news/qwen.html")):
        assert real.article_id(url) is None


def test_an_old_id_carries_its_url_and_resolves_without_a_request(server: LocalServer) -> None:
    assert offline_target(OLD_ID) == "https://www.bbc.com/news/articles/cjjjnxdv188o"
    assert offline_target(NEW_ID) is None  # an AU_yqL… key: only Google knows where it leads
    assert offline_target("!!not base64!!") is None and offline_target("CBMi") is None
    links = links_on(server)
    assert links.resolve(server.url(f"/rss/articles/{OLD_ID}?oc=5")) == "https://www.bbc.com/news/articles/cjjjnxdv188o"
    assert server.requests == []


def test_the_recorded_page_and_answer_are_read() -> None:
    signature, timestamp = signed_params(fixture("article_page.html"), "u")
    assert signature.startswith("AZ5r3eQn") and timestamp == 1733412345
    assert publisher_url(fixture("batchexecute_answer.txt"), "u") == PUBLISHER
    body = fixture("batchexecute_answer.txt").split(b"\n\n", 1)[1]
    chunked = b")]}'\n\n152\n" + body + b"25\n[[\"e\",4,null,null,189]]\n"
    assert publisher_url(chunked, "u") == PUBLISHER  # the length-prefixed form of the same answer


def test_the_request_is_the_form_google_expects() -> None:
    form = parse_qs(batch_form(NEW_ID, 1733412345, "SIG").decode())
    [[[rpc, request, nothing, generic]]] = json.loads(form["f.req"][0])
    assert (rpc, nothing, generic) == ("Fbv4je", None, "generic")
    inner = json.loads(request)
    assert inner[0] == "garturlreq" and inner[2:] == [NEW_ID, 1733412345, "SIG"]
    assert inner[1][0][7] == "US:en"


# -- resolving through the local server ------------------------------------------------------------------


def test_a_new_id_is_resolved_through_the_page_and_batchexecute(server: LocalServer) -> None:
    serve_google(server, fixture("article_page.html"), fixture("batchexecute_answer.txt"))
    kept, warnings = resolve_entries(links_on(server), [entry(server.url(f"/rss/articles/{NEW_ID}?oc=5"))])
    assert warnings == []
    [resolved] = kept
    assert (resolved.url, resolved.canonical_url, resolved.guid) == (PUBLISHER, PUBLISHER, NEW_ID)
    [post] = posts(server)
    assert post.headers["content-type"].startswith("application/x-www-form-urlencoded")
    request = json.loads(json.loads(parse_qs(post.body.decode())["f.req"][0])[0][0][1])
    signature, timestamp = signed_params(fixture("article_page.html"), "u")
    assert request[2:] == [NEW_ID, timestamp, signature]  # the page's own signed parameters, sent back


def test_a_resolved_id_is_asked_once(server: LocalServer) -> None:
    serve_google(server, fixture("article_page.html"), fixture("batchexecute_answer.txt"))
    cache = MemoryLinkCache()
    link = server.url(f"/rss/articles/{NEW_ID}?oc=5")
    assert links_on(server, cache=cache).resolve(link) == PUBLISHER
    assert links_on(server, cache=cache).resolve(link) == PUBLISHER  # another run of this process
    assert asked(server) == [f"GET /rss/articles/{NEW_ID}", f"POST {BATCH_PATH}"]  # once


def test_the_memory_cache_is_bounded() -> None:
    cache = MemoryLinkCache(size=2)
    for key in "abc":
        cache.put(key, f"https://x.example/{key}")
    assert cache.get("a") is None and cache.get("c") == "https://x.example/c"


def test_the_store_remembers_ids_across_runs(server: LocalServer, store: Store) -> None:
    serve_google(server, fixture("article_page.html"), fixture("batchexecute_answer.txt"))
    link = server.url(f"/rss/articles/{NEW_ID}?oc=5")
    assert GoogleNewsLinks(HttpClient(LOCAL), StoredLinkCache(store), server.base).resolve(link) == PUBLISHER
    later = GoogleNewsLinks(HttpClient(LOCAL), StoredLinkCache(store), server.base)  # a new process
    assert later.resolve(link) == PUBLISHER and len(asked(server)) == 2
    store.save_google_news_link(NEW_ID, "https://other.example/")  # the first answer is kept
    assert store.google_news_link(NEW_ID) == PUBLISHER and store.google_news_link("unknown") is None


ANSWER = fixture("batchexecute_answer.txt")
UNRESOLVABLE = {
    "page without signed parameters": (fixture("article_page_unsigned.html"), ANSWER, 200,
                                       "without its signed parameters"),
    "page of garbage": (b"\x00\x01garbage", ANSWER, 200, "without its signed"),
    "empty page": (b"", ANSWER, 200, "without its signed"),
    "error answer": (fixture("article_page.html"), fixture("batchexecute_error.txt"), 200,
                     "answered without the article's URL"),
    "garbage answer": (fixture("article_page.html"), b"<html>sorry</html>", 200, "other than a batchexecute"),
    "truncated answer": (fixture("article_page.html"), ANSWER[:60], 200,
                         "without the article's URL"),
    "answer naming no web address": (fixture("article_page.html"), answer("javascript:alert(1)"), 200,
                                     "'javascript' is not allowed"),
    "refused call": (fixture("article_page.html"), b"", 429, "HTTP 429"),
}


@pytest.mark.parametrize("case", UNRESOLVABLE, ids=str)
def test_an_unresolvable_link_is_skipped_with_a_warning(server: LocalServer, case: str) -> None:
    page, reply, status, reason = UNRESOLVABLE[case]
    serve_google(server, page, reply, status)
    other = FeedEntry("https://www.publisher.example/b", "https://www.publisher.example/b", "b", "t", "s")
    cache = MemoryLinkCache()
    link = server.url(f"/rss/articles/{NEW_ID}?oc=5")
    kept, warnings = resolve_entries(links_on(server, cache=cache), [entry(link), other])
    assert kept == [other]  # Google's interstitial never becomes a page to extract
    [warning] = warnings
    assert warning.startswith("Google News link skipped, not resolved:") and reason in warning
    assert cache.get(NEW_ID) is None  # a failure is not remembered: the next poll asks again


def test_an_overloaded_google_is_asked_once_per_run(server: LocalServer) -> None:
    server.add(f"/rss/articles/{NEW_ID}", b"busy", status=503)
    other = OLD_ID.replace("CBMi", "CBMj")  # another id Google must be asked about
    links = [server.url(f"/rss/articles/{NEW_ID}"), server.url(f"/rss/articles/{other}")]
    kept, warnings = resolve_entries(links_on(server), [entry(link) for link in links])
    assert kept == [] and "HTTP 503" in warnings[0] and "not asked again in this run" in warnings[1]
    assert asked(server) == [f"GET /rss/articles/{NEW_ID}"]
    kept, _ = resolve_entries(links_on(server), [entry(links[1])])  # the next run asks again
    assert asked(server)[-1] == f"GET /rss/articles/{other}"


# -- the guard ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["http://10.1.2.3/article", "http://127.0.0.2:8080/a", "http://[::1]/a",
                                    "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"])
def test_a_link_resolving_to_a_forbidden_address_is_refused(server: LocalServer, target: str) -> None:
    serve_google(server, fixture("article_page.html"), answer(target))
    cache = MemoryLinkCache()
    link = server.url(f"/rss/articles/{NEW_ID}?oc=5")
    with pytest.raises(BlockedError):
        links_on(server, cache=cache).resolve(link)
    kept, [warning] = resolve_entries(links_on(server, cache=cache), [entry(link)])
    assert kept == [] and "refused" in warning and cache.get(NEW_ID) is None


def test_a_private_target_passes_where_the_config_allows_private_addresses(server: LocalServer) -> None:
    serve_google(server, fixture("article_page.html"), answer("http://10.1.2.3/article"))
    lab = HttpConfig(allow_private=True, politeness_delay=0.0, retries=0)
    assert links_on(server, lab).resolve(server.url(f"/rss/articles/{NEW_ID}")) == "http://10.1.2.3/article"
    serve_google(server, fixture("article_page.html"), answer("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(BlockedError, match="metadata"):  # never, whatever the settings
        links_on(server, lab).resolve(server.url(f"/rss/articles/{NEW_ID}"))


def test_google_itself_must_pass_the_guard(server: LocalServer) -> None:
    serve_google(server, fixture("article_page.html"), fixture("batchexecute_answer.txt"))
    closed = HttpConfig(politeness_delay=0.0, retries=0)  # the test server's loopback address not allowed
    link = server.url(f"/rss/articles/{NEW_ID}")
    kept, [warning] = resolve_entries(links_on(server, closed), [entry(link)])
    assert kept == [] and "refused" in warning and server.requests == []


def test_a_post_goes_through_robots_and_a_303_turns_it_into_a_get(server: LocalServer) -> None:
    server.robots(f"User-agent: *\nDisallow: {BATCH_PATH}\n")
    client = HttpClient(LOCAL)
    with pytest.raises(BlockedError, match="robots"):
        client.post(server.url(BATCH_PATH), b"f.req=x")
    server.handle("/form", lambda _: Reply(303, headers={"Location": "/done"}))
    server.add("/done", b"thanks", content_type="text/plain")
    page = client.post(server.url("/form"), b"a=1")
    assert page.body == b"thanks" and [(r.method, r.path) for r in server.requests[-2:]] == [
        ("POST", "/form"), ("GET", "/done")]


# -- the monitor flow --------------------------------------------------------------------------------------

UNSIGNED_ID = ("CBMiVkFVX3lxTE5vdFNpZ25lZF9fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19fX19"
               "fX19fX19fX19fX19fX19fX18")
STORIES = [
    Article("/news/qwen-700m.html", "Qwen models pass 700 million downloads", "2026-01-10",
            "Qwen has passed 700 million downloads, Alibaba Cloud said on Saturday.\n\n"
            "Developers around the world keep building on the open models, the company added."),
    Article("/news/qwen-1b.html", "Qwen tops one billion downloads", "2026-02-05",
            "Qwen has passed 1 billion downloads, Alibaba Cloud said on Thursday.\n\n"
            "The figure includes downloads on Hugging Face and ModelScope, the company said."),
]


def old_style_id(url: str) -> str:
    """An id of the kind Google minted before mid-2024: the URL itself inside a small protobuf."""
    raw = b"\x08\x13\x22" + bytes([len(url)]) + url.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def google_news_rss(base: str, items: list[tuple[str, str]]) -> str:
    """A Google News search feed (tests/data/feeds/google_news_search.xml's shape) linking to ``base``."""
    body = "".join(_google_item(base, article_id, title) for article_id, title in items)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" '
            f'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>"Qwen" - Google News</title>{body}'
            f"</channel></rss>")


def _google_item(base: str, article_id: str, title: str) -> str:
    """One item as Google News writes it: the link and the description's anchor both lead to Google."""
    link = f"{base}/rss/articles/{article_id}?oc=5"
    anchor = escape(f'<a href="{link}" target="_blank">{title}</a>&nbsp;&nbsp;'
                    '<font color="#6f6f6f">Publisher</font>')
    return (f"<item><title>{escape(title)} - Publisher</title><link>{link}</link>"
            f'<guid isPermaLink="false">{article_id}</guid><pubDate>Thu, 05 Feb 2026 08:00:00 GMT</pubDate>'
            f'<description>{anchor}</description><source url="{base}">Publisher</source></item>')


def serve_news(server: LocalServer) -> None:
    """Two stories, a Google News feed listing them (a new id, an old one) and a link Google cannot sign."""
    for story in STORIES:
        server.add(story.path, story.html())
    server.add(f"/rss/articles/{NEW_ID}", fixture("article_page.html"))
    server.add(f"/rss/articles/{UNSIGNED_ID}", fixture("article_page_unsigned.html"))
    server.handle(BATCH_PATH, lambda _: Reply(200, answer(server.url(STORIES[1].path)),
                                              {"Content-Type": "application/json; charset=utf-8"}))
    items = [(old_style_id(server.url(STORIES[0].path)), STORIES[0].title), (NEW_ID, STORIES[1].title),
             (UNSIGNED_ID, "Qwen news nobody can open")]
    server.add("/gnews.xml", google_news_rss(server.base, items), content_type="application/rss+xml")


def test_the_monitor_reads_the_publishers_pages_and_skips_what_google_cannot_resolve(tmp_path: Path) -> None:
    from flows.monitor import monitor  # noqa: PLC0415 - Prefect loads for this test only

    harness_url()
    database = f"sqlite:///{tmp_path / 'cw.db'}"
    with LocalServer() as server:
        serve_news(server)
        config = write_config(tmp_path, database, [feed_source("gnews", server.url("/gnews.xml"))],
                              google_news_url=server.base)
        first = monitor(config_path=str(config), force=True)
        second = monitor(config_path=str(config), force=True)
        hits = {path: server.hits(path) for path in (BATCH_PATH, f"/rss/articles/{UNSIGNED_ID}")}
    assert first.articles == 2 and second.articles == 0
    skipped = [w for w in first.warnings if w.startswith("Google News link skipped")]
    assert len(skipped) == 1 and UNSIGNED_ID in skipped[0] and "signed parameters" in skipped[0]
    assert hits == {BATCH_PATH: 1, f"/rss/articles/{UNSIGNED_ID}": 2}  # resolved once; a failure asked again
    with Store.open(database) as store:
        stored = {info.source for info in store.article_infos()}
        [gnews] = [s for s in store.sources() if s.id == "gnews"]
    assert {server.url(s.path) for s in STORIES} <= stored
    assert not any("/rss/articles/" in source for source in stored)  # Google's interstitial never stored
    assert any("Google News link skipped" in w for w in gnews.state.warnings)  # shown by `claimwatch sources`


def test_a_feed_with_a_link_left_unresolved_is_read_in_full_next_time(tmp_path: Path) -> None:
    """With its validators saved, the feed would answer 304 and the skipped story never be asked for again."""
    from flows.monitor import monitor  # noqa: PLC0415 - Prefect loads for this test only

    harness_url()
    with LocalServer() as server:
        serve_news(server)
        items = [(UNSIGNED_ID, "Qwen news nobody can open")]
        server.add("/gnews.xml", google_news_rss(server.base, items), content_type="application/rss+xml",
                   etag='"g1"')
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}",
                              [feed_source("gnews", server.url("/gnews.xml"))], google_news_url=server.base)
        first = monitor(config_path=str(config), force=True)
        second = monitor(config_path=str(config), force=True)
        asked = server.hits(f"/rss/articles/{UNSIGNED_ID}")
    assert first.not_modified == 0 and second.not_modified == 0 and asked == 2
