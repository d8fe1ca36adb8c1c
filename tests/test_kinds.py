"""Source and channel kinds: each a class registered once, every one checked, polled or replayed for real."""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from support.flows import Article, harness_url, write_config
from support.http_server import LocalServer, Reply, Request
from typer.testing import CliRunner

from alerts.notifiers import NOTIFIER_CLASSES, NOTIFIERS, notifier_for
from core.config import CHANNEL_MODELS, AppriseChannel, Channel, HttpConfig, channel_kind, parse_config
from core.errors import ConfigError, InputError
from core.types import SourceState
from flows.backfill import backfill
from flows.cli import app
from flows.monitor import monitor
from flows.tasks import poll
from sources.feeds import FeedEntry
from sources.http import HttpClient
from sources.kinds import SOURCE_KINDS, ArchiveKind, PollKind, PollResult, archive_kind, kinds_of, poll_kind
from sources.kinds.cdx import CdxKind
from sources.registry import SourceSpec, kinds_markdown, load_sources, parse_sources

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "https://news.example.com"
HTTP = HttpConfig(allow_networks=("127.0.0.1/32",), politeness_delay=0.0, retries=0)

# One good entry per kind (name and kind added): a new kind must add its own, or the registry test fails.
GOOD = {
    "feed": {"url": "https://a.example/feed.xml", "interval": 30},
    "page": {"url": "https://a.example/newsroom", "interval": 60},
    "wayback": {"url": f"https://web.archive.org/web/20260315090000/{ORIGIN}/one"},
    "cdx": {"url": "news.example.com/blog/", "match": "prefix", "from": date(2026, 1, 1), "to": "2026-03"},
    "urls": {"url": "urls.txt"},
    "dir": {"url": "saved"},
}
# A bad location per kind and the start of what the one-line error says about it.
BAD_URL = {
    "feed": ("ftp://a.example/feed", "must be an http(s) URL"),
    "page": ("a.example/newsroom", "must be an http(s) URL"),
    "wayback": ("https://a.example/one", "must be a Wayback /web/<timestamp>/<url> URL"),
    "cdx": ("   ", "required, a non-empty string"),
    "urls": ("", "required, a non-empty string"),
    "dir": ("", "required, a non-empty string"),
}


def entry(kind: str, **changes: object) -> dict[str, object]:
    """A sources-file entry of ``kind``."""
    return {"name": f"the-{kind}", "kind": kind, **GOOD[kind], **changes}


def one_line_error(item: dict[str, object]) -> str:
    """The ConfigError an entry raises, checked to be one line naming the file and the entry."""
    with pytest.raises(ConfigError) as info:
        parse_sources({"sources": [item]}, "my-sources.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("my-sources.yaml: sources[0].")
    return message


# -- the registry -----------------------------------------------------------------------------

def test_every_kind_is_a_class_in_its_own_module_registered_once() -> None:
    assert set(GOOD) == set(BAD_URL) == set(SOURCE_KINDS)
    for name, kind in SOURCE_KINDS.items():
        assert kind.kind == name and type(kind).__module__ == f"sources.kinds.{name}"
        assert (ROOT / "sources" / "kinds" / f"{name}.py").is_file()
        assert isinstance(kind, PollKind if kind.mode == "poll" else ArchiveKind)
        assert kind.description and kind.location
    assert len({type(k) for k in SOURCE_KINDS.values()}) == len(SOURCE_KINDS)
    assert kinds_of("poll") == ["feed", "page"] and kinds_of("archive") == ["wayback", "cdx", "urls", "dir"]


def test_the_readme_lists_the_kinds_as_their_classes_describe_them() -> None:
    assert kinds_markdown() in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", list(SOURCE_KINDS))
def test_a_good_entry_of_every_kind_loads(kind: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [entry(kind)]}), encoding="utf-8")
    [spec] = load_sources(sources)
    assert (spec.kind, spec.name) == (kind, f"the-{kind}")
    assert spec.interval == (GOOD[kind].get("interval") or 0)  # an archive kind is never polled
    if kind in ("urls", "dir"):  # a path is read relative to the sources file, wherever the command runs
        assert spec.url == str(tmp_path / GOOD[kind]["url"])


@pytest.mark.parametrize("kind", list(SOURCE_KINDS))
def test_a_bad_location_is_one_line_naming_the_key(kind: str) -> None:
    url, problem = BAD_URL[kind]
    assert one_line_error(entry(kind, url=url)).startswith(f"my-sources.yaml: sources[0].url: {problem}")


@pytest.mark.parametrize("kind", list(SOURCE_KINDS))
def test_interval_is_required_to_poll_and_refused_for_a_replayed_kind(kind: str) -> None:
    if SOURCE_KINDS[kind].mode == "poll":
        without = {k: v for k, v in entry(kind).items() if k != "interval"}
        assert ".interval: required, whole minutes" in one_line_error(without)
    else:
        message = one_line_error(entry(kind, interval=60))
        assert f".interval: a {kind} source is not polled: `claimwatch backfill --sources`" in message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"match": "everything"}, ".match: 'everything' is not one of exact, prefix, host, domain"),
        ({"from": "2026-13-01"}, ".from: "),
        ({"to": "soon"}, ".to: "),
    ],
)
def test_a_cdx_search_checks_its_own_keys(changes: dict[str, object], message: str) -> None:
    assert message in one_line_error(entry("cdx", **changes))


def test_a_cdx_search_reads_to_as_the_end_of_that_month() -> None:
    [spec] = parse_sources({"sources": [entry("cdx")]})
    query = CdxKind().query(spec)
    assert (query.url, query.match_type) == ("news.example.com/blog/", "prefix")
    assert query.from_date == date(2026, 1, 1)
    assert query.to_date == datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)


# -- poll kinds poll a real local server --------------------------------------------------------

RSS = (f"<rss version='2.0'><channel><title>n</title><item><title>Qwen passes 1 billion</title>"
       f"<link>{ORIGIN}/qwen-1b</link><description>Qwen downloads</description></item></channel></rss>")
LISTING = ("<html><body><nav><a href='/about'>about</a></nav><main>"
           "<a href='/news/2026/qwen-passes-1-billion-downloads'>Qwen passes 1 billion downloads</a>"
           "</main></body></html>")
# what each poll kind's local server answers, and a link polling it must find ("/...": on that server)
POLLED = {
    "feed": (RSS, "application/rss+xml", f"{ORIGIN}/qwen-1b"),
    "page": (LISTING, "text/html", "/news/2026/qwen-passes-1-billion-downloads"),  # same-site links only
}


@pytest.mark.parametrize("kind", kinds_of("poll"))
def test_every_poll_kind_polls_a_local_server_then_gets_a_304(kind: str) -> None:
    """Through the kind's class, as a client that reaches the server by name (courlan drops bare IPs)."""
    assert set(POLLED) == set(kinds_of("poll"))
    body, content_type, link = POLLED[kind]
    with LocalServer() as server, HttpClient(HTTP, resolver=lambda host, _: ["127.0.0.1"]) as client:
        server.add("/source", body.encode(), content_type=content_type, etag='"v1"')
        base = f"http://newsroom.example.com:{server.base.rsplit(':', 1)[1]}"
        [spec] = parse_sources({"sources": [entry(kind, url=base + "/source")]})
        first = poll_kind(kind).poll(client, spec, SourceState())
        again = poll_kind(kind).poll(client, spec, SourceState(etag=first.etag))
    assert (base + link if link.startswith("/") else link) in [e.url for e in first.entries]
    assert first.etag == '"v1"' and again.not_modified and again.entries == []


def test_the_monitor_task_polls_through_the_registry() -> None:
    with LocalServer() as server:
        server.add("/feed.xml", RSS.encode(), content_type="application/rss+xml")
        [spec] = parse_sources({"sources": [entry("feed", url=server.url("/feed.xml"))]})
        result = poll(spec, SourceState(), HTTP)
    assert result.error is None and [e.url for e in result.entries] == [f"{ORIGIN}/qwen-1b"]


@pytest.mark.parametrize("kind", kinds_of("archive"))
def test_an_archive_kind_is_never_polled(kind: str) -> None:
    [spec] = parse_sources({"sources": [entry(kind, url="https://web.archive.org/web/2026/https://a.example/")]})
    result = poll(spec, SourceState(), HTTP)
    assert result.entries == [] and result.error is not None and "is not polled" in result.error


# -- archive kinds replay from a local Wayback, a file and a folder ----------------------------

CAPTURES = [  # (timestamp, path, sentence)
    ("20260315090000", "/one", "Qwen has passed 1.1 billion downloads, Alibaba Cloud said."),
    ("20260410090000", "/blog/two", "Qwen has passed 1.3 billion downloads, Alibaba Cloud said."),
    ("20260702090000", "/blog/three", "Qwen has passed 1.6 billion downloads, Alibaba Cloud said."),
    ("20260920090000", "/four", "Qwen has passed 1.9 billion downloads, Alibaba Cloud said."),
]


def serve_archive(server: LocalServer) -> None:
    """Mementos of CAPTURES and a CDX search answering the /blog/ captures."""
    pages = {f"{ORIGIN}{path}": (ts, Article(path, f"Qwen {ts}", f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}", text))
             for ts, path, text in CAPTURES}

    def memento(request: Request) -> Reply:
        original = request.path.split("id_/", 1)[-1]
        if original not in pages:
            return Reply(404, b"not archived", {"Content-Type": "text/plain"})
        ts, page = pages[original]
        when = format_datetime(datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC), usegmt=True)
        headers = {"Content-Type": "text/html; charset=utf-8", "Memento-Datetime": when}
        return Reply(200, page.html().encode(), headers)

    def cdx(request: Request) -> Reply:
        rows = "".join(f"com,example,news){path} {ts} {ORIGIN}{path} text/html 200 D{n} 1\n"
                       for n, (ts, path, _) in enumerate(CAPTURES) if path.startswith("/blog/"))
        return Reply(200, rows.encode(), {"Content-Type": "text/plain"})

    server.handle("/web/", memento, prefix=True)
    server.handle("/cdx/search/cdx", cdx)


def archive_entries(folder: Path) -> list[dict[str, object]]:
    """One entry of each archive kind: a snapshot, a CDX search, a URL file, a folder of saved pages."""
    (folder / "urls.txt").write_text(f"# the last capture\nhttps://web.archive.org/web/20260920090000/{ORIGIN}/four\n",
                                     encoding="utf-8")
    (folder / "saved").mkdir()
    saved = Article("/saved", "Qwen saved", "2026-10-01",
                    "Qwen has passed 2.1 billion downloads, Alibaba Cloud said.")
    (folder / "saved" / "qwen.html").write_text(saved.html(), encoding="utf-8")
    cdx = entry("cdx", **{"from": "2026-01-01", "to": "2026-12"})
    return [entry("wayback"), cdx, entry("urls"), entry("dir")]


def test_archive_entries_cover_every_archive_kind(tmp_path: Path) -> None:
    assert sorted(e["kind"] for e in archive_entries(tmp_path)) == sorted(kinds_of("archive"))


@pytest.mark.parametrize("kind", kinds_of("archive"))
def test_every_archive_kind_replays_its_items(kind: str, tmp_path: Path) -> None:
    entries = {e["kind"]: e for e in archive_entries(tmp_path)}
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [entries[kind]]}), encoding="utf-8")
    [spec] = load_sources(sources)
    expected = {
        "wayback": [f"{ORIGIN}/one"],
        "cdx": [f"{ORIGIN}/blog/two", f"{ORIGIN}/blog/three"],
        "urls": [f"{ORIGIN}/four"],
        "dir": [(tmp_path / "saved" / "qwen.html").resolve().as_uri()],
    }
    with LocalServer() as server:
        serve_archive(server)
        archive_kind(kind).check(spec)
        items = list(archive_kind(kind).items(spec, server.base))
    assert [i.original_url for i in items] == expected[kind]
    assert all((i.fetch_url or "").startswith(server.base) for i in items if i.path is None)


@pytest.mark.parametrize("kind", ["urls", "dir"])
def test_a_missing_file_is_one_line_naming_it(kind: str, tmp_path: Path) -> None:
    [spec] = parse_sources({"sources": [entry(kind, url=str(tmp_path / "gone"))]})
    with pytest.raises(InputError) as info:
        archive_kind(kind).check(spec)
    assert str(info.value).startswith(str(tmp_path / "gone")) and "\n" not in str(info.value)


# -- channel kinds ------------------------------------------------------------------------------

def test_every_channel_model_has_exactly_one_notifier() -> None:
    kinds = [channel_kind(m) for m in CHANNEL_MODELS]
    served = [channel_kind(n.model) for n in NOTIFIER_CLASSES]
    assert sorted(kinds) == sorted(served) == sorted(NOTIFIERS) and len(set(kinds)) == len(kinds)
    assert typing.get_args(typing.get_args(Channel)[0]) == CHANNEL_MODELS  # the config's union is the tuple


def test_an_unknown_channel_kind_names_every_registered_one() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"channels": [{"name": "x", "kind": "pager"}]}, "c.yaml")
    message = str(info.value)
    assert message.startswith("c.yaml: channels.0.kind: unknown channel kind 'pager'")
    assert all(f"'{channel_kind(m)}'" in message for m in CHANNEL_MODELS)


def test_a_notifier_reports_its_models_kind() -> None:
    notifier = notifier_for(AppriseChannel(name="a", url="json://127.0.0.1:9/"), lambda ref: "")
    assert notifier.kind == "apprise" and type(notifier) is NOTIFIERS["apprise"]


# -- through the command line -------------------------------------------------------------------

def test_kinds_command_lists_every_registered_kind() -> None:
    result = CliRunner().invoke(app, ["kinds", "--json"])
    listed = yaml.safe_load(result.output)
    assert result.exit_code == 0, result.output
    assert [k["kind"] for k in listed if k["of"] == "source"] == list(SOURCE_KINDS)
    assert [k["kind"] for k in listed if k["of"] == "channel"] == [channel_kind(m) for m in CHANNEL_MODELS]
    email = next(k for k in listed if k["kind"] == "email")
    assert email["required"] == ["host", "sender", "recipients"] and email["notifier"] == "EmailNotifier"


def test_backfill_sources_replays_every_archive_kind_and_resumes(tmp_path: Path) -> None:
    harness_url()
    polled = {"name": "a-feed", "kind": "feed", "url": "http://127.0.0.1:9/feed.xml", "interval": 30}
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [polled, *archive_entries(tmp_path)])
    runner = CliRunner()
    with LocalServer() as server:
        serve_archive(server)
        command = ["--config", str(config), "backfill", "--sources", "--wayback", server.base]
        first, again = runner.invoke(app, command), runner.invoke(app, command)
        fetched = [r.path for r in server.requests if "id_/" in r.path]
    health = yaml.safe_load(runner.invoke(app, ["--config", str(config), "sources", "--json"]).output)
    assert first.exit_code == 0, first.output
    assert "5 items, 0 already stored, 5 pages ingested" in first.output and "failed" not in first.output
    assert "5 items, 5 already stored, 0 pages ingested" in again.output
    assert len(fetched) == 4  # four mementos, each once; the saved page is read from disk
    status = {row["source"]: row["status"] for row in health}
    assert status["a-feed"] == "never polled"
    assert [n for n, s in status.items() if "replayed by `claimwatch backfill --sources`" in s] == [
        "the-wayback", "the-cdx", "the-urls", "the-dir"]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "f", "kind": "feed", "url": "https://a.example/f", "interval": 30}],
         "--sources: {sources} has no enabled source of an archive kind (wayback, cdx, urls, dir)"),
        ([{"name": "gone", "kind": "dir", "url": "no-such-folder"}],
         "source gone: {folder}/no-such-folder: no such folder"),
    ],
    ids=["no-archive-source", "missing-folder"],
)
def test_backfill_sources_refuses_in_one_line_before_any_flow(
    entries: list[dict[str, object]], message: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", entries)
    result = CliRunner().invoke(app, ["--config", str(config), "backfill", "--sources"])
    assert result.exit_code != 0
    assert str(result.exception) == message.format(sources=tmp_path / "sources.yaml", folder=tmp_path)


def test_the_monitor_names_the_archive_sources_it_leaves_in_one_line(tmp_path: Path) -> None:
    harness_url()
    entries = [entry("wayback"), entry("dir"), {**entry("urls"), "enabled": False}]
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", entries)
    summary = monitor(config_path=str(config), force=True)
    assert summary.sources_polled == 0 and summary.unreachable == []
    assert summary.warnings == [
        "not polled: the-wayback, the-dir (archive kinds; `claimwatch backfill --sources` "
        "or the backfill-sources deployment replays them)"
    ]


def test_an_unreadable_archive_source_costs_only_itself(tmp_path: Path) -> None:
    harness_url()
    entries = [entry("cdx"), *[e for e in archive_entries(tmp_path) if e["kind"] == "dir"]]
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", entries)
    with LocalServer() as server:
        server.add("/cdx/search/cdx", b"bad request", status=400, content_type="text/plain")
        summary = backfill(from_sources=True, config_path=str(config), wayback_base=server.base)
    assert summary.fatal is None and (summary.items, summary.pages) == (1, 1)
    assert len(summary.errors) == 1 and summary.errors[0].startswith("source the-cdx: CDX search for ")


class EchoKind(PollKind):
    """A test-only kind: one entry, its own url, so a new kind needs nothing but its class and a line."""

    kind = "echo"
    description = "the url itself, as one entry"
    location = "any http(s) URL"

    def poll(self, client: HttpClient, spec: SourceSpec, state: SourceState) -> PollResult:
        """The page fetched, and its url as the one entry."""
        client.fetch(spec.url)
        return PollResult(spec.name, [FeedEntry(spec.url, spec.url, spec.url, "Qwen", "")])


def test_a_new_kind_is_its_class_and_one_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SOURCE_KINDS, EchoKind.kind, EchoKind())  # the one line in sources/kinds/__init__.py
    with LocalServer() as server:
        server.add("/echo", b"<p>Qwen</p>")
        [spec] = parse_sources({"sources": [{"name": "e", "kind": "echo", "url": server.url("/echo"),
                                             "interval": 30}]})
        result = poll(spec, SourceState(), HTTP)
    assert result.error is None and [e.url for e in result.entries] == [server.url("/echo")]
    row = "| `echo` | monitor, every interval | any http(s) URL | the url itself, as one entry |"
    assert row in kinds_markdown()
    assert "echo" in [k["kind"] for k in yaml.safe_load(CliRunner().invoke(app, ["kinds", "--json"]).output)]
