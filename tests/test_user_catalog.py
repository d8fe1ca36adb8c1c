"""The user catalog (config key `catalog`): checked strictly, added to the shipped one, read everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.flows import Article, feed_source, harness_url, rss, write_config
from support.http_server import LocalServer

from app.extraction import PageJob, extract, shutdown_pool
from app.pipeline import Pipeline
from app.runtime import open_runtime, watch_terms
from core.config import Config, load_config
from core.errors import ConfigError
from core.periods import LooseDate
from core.types import Document
from extractors.catalog import load_catalog
from extractors.claims import extract_claims
from extractors.entities import find_entities
from flows.backfill import backfill
from flows.monitor import _job, monitor
from sources.feeds import FeedEntry
from sources.registry import SourceSpec
from storage import Store

pytestmark = pytest.mark.timeout(180)

TENCENT = """\
entities:
  - id: tencent_cloud
    role: watched
    names: [Tencent Cloud, '腾讯云(?:计算)?']
metrics:
  tencent_cloud.revenue:
    entity: tencent_cloud
    unit: CNY
    kind: flow
    label: Tencent Cloud revenue
    least: 100000000
    near: [{cue: [revenue, 收入]}]
watch_terms: [Hunyuan]
"""
SENTENCE = "Tencent Cloud revenue rose to 30.5 billion yuan in the second quarter."
STORY = Article("/news/tencent.html", "Tencent Cloud revenue rises", "2026-08-14", SENTENCE,
                summary="Tencent Cloud revenue rose in the second quarter, its results showed, as demand for "
                        "computing power for AI models kept growing across China's industries this year.")


@pytest.fixture
def tencent(tmp_path: Path) -> Path:
    path = tmp_path / "tencent.yaml"
    path.write_text(TENCENT, encoding="utf-8")
    return path


def _claims(text: str, catalog_file: Path | None) -> list[tuple[str | None, str]]:
    document = Document(source="s", text=text, published=LooseDate.parse("2026-08-14"))
    claims = extract_claims(document, load_catalog(user=catalog_file))
    return [(c.metric, str(c.value)) for c in claims if c.metric]


def test_a_user_catalog_adds_entities_metrics_and_watch_terms(tencent: Path) -> None:
    catalog = load_catalog(user=tencent)
    assert catalog.get("tencent_cloud.revenue").label == "Tencent Cloud revenue"
    assert "qwen.downloads" in catalog.metrics and "tencent_cloud" in catalog.lexicon.watched
    shipped = load_catalog().watch_terms
    # the shipped terms, the file's own, and the watched entities' plain names (a regex is no watch term)
    assert catalog.watch_terms == (*shipped, "Hunyuan", "Tencent Cloud")
    assert _claims(SENTENCE, tencent) == [("tencent_cloud.revenue", "30500000000")]
    assert _claims(SENTENCE, None) == []


def test_a_user_catalog_overrides_an_entity_and_a_metric_by_id(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "entities:\n  - {id: qwen, role: watched, names: ['\\bQwen', 'Tongyi'], refers_back_as: [model]}\n"
        "metrics:\n  qwen.downloads:\n    entity: qwen\n    unit: count\n    kind: cumulative\n"
        "    label: Qwen model downloads\n    near: [download]\n",
        encoding="utf-8",
    )
    catalog = load_catalog(user=path)
    assert catalog.get("qwen.downloads").label == "Qwen model downloads"
    assert list(catalog.metrics) == list(load_catalog().metrics)  # replaced where it stood
    assert [e.names for e in catalog.lexicon.entries if e.id == "qwen"] == [("\\bQwen", "Tongyi")]
    assert len(catalog.lexicon.entries) == len(load_catalog().lexicon.entries)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entity: [a]\n", r"mine\.yaml: unknown key 'entity' \(known: entities, metrics, watch_terms\)"),
        ("entities:\n  - {id: t, role: watched, names: [T], alias: [x]}\n",
         r"mine\.yaml: entities\[0\]: unknown key 'alias'"),
        ("entities:\n  - {id: t, role: watched, names: ['Tencent (Cloud']}\n",
         r"mine\.yaml: entities\.t\.names\[0\]: 'Tencent \(Cloud' is no regular expression"),
        ("entities:\n  - {id: t, role: boss, names: [T]}\n",
         r"mine\.yaml: entities\.t\.role: expected one of"),
        ("entities:\n  - {id: t, role: watched, names: [T], part_of: nobody}\n",
         r"mine\.yaml: entities\.t\.part_of: no entity 'nobody'"),
        ("metrics:\n  t.r: {entity: tencent, unit: CNY, kind: flow, near: [revenue]}\n",
         r"mine\.yaml: metrics\.t\.r: unknown entity 'tencent'"),
        ("metrics:\n  q.r: {entity: qwen, unit: CNY, kind: flow, near: ['revenue(']}\n",
         r"mine\.yaml: metrics\.q\.r\.near\[0\]: 'revenue\(' is no regular expression"),
        ("metrics:\n  q.r: {entity: qwen, unit: CNY, kind: flow, near: [r], colour: red}\n",
         r"mine\.yaml: metrics\.q\.r: unknown key 'colour'"),
        ("entities:\n  - {id: t, role: watched, names: [T], group: [a]}\n",
         r"mine\.yaml: entities\.t\.group: expected a group name"),
        ("watch_terms: Tencent\n", r"mine\.yaml: watch_terms: expected a list of words or phrases"),
        ("- a\n", r"mine\.yaml: expected a mapping at the top level"),
    ],
)
def test_a_bad_user_catalog_is_one_line_naming_file_key_and_problem(tmp_path: Path, text: str,
                                                                     message: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_catalog(user=path)
    assert "\n" not in str(caught.value)


def test_a_missing_user_catalog_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"catalog: nowhere.yaml\ndata_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    runtime = open_runtime(config, env={})
    try:
        with pytest.raises(ConfigError, match=r"nowhere\.yaml: catalog file not found"):
            runtime.pipeline  # noqa: B018 - the pipeline loads the catalog
    finally:
        runtime.close()


def test_the_config_names_the_catalog_beside_itself_and_watch_terms_override_it(tmp_path: Path,
                                                                                 tencent: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("catalog: tencent.yaml\n", encoding="utf-8")
    loaded = load_config(config, env={})
    assert loaded.catalog == tencent and loaded.watch_terms is None
    catalog = load_catalog(user=loaded.catalog)
    assert watch_terms(loaded, catalog) == catalog.watch_terms
    assert watch_terms(Config(watch_terms=("Qwen",)), catalog) == ("Qwen",)
    with Store.open(f"sqlite:///{tmp_path / 'cw.db'}") as store:
        assert "tencent_cloud.revenue" in Pipeline(store, loaded).catalog.metrics  # from the config alone
        assert "tencent_cloud.revenue" not in Pipeline(store, Config()).catalog.metrics


def test_a_feed_entry_about_the_users_company_is_a_job_read_with_its_catalog(tencent: Path) -> None:
    entry = FeedEntry("https://n.example/t", "https://n.example/t", "t", STORY.title, STORY.summary)
    spec = SourceSpec(name="news", kind="feed", url="https://n.example/feed", interval=30)
    catalog = load_catalog(user=tencent)
    job = _job(entry, spec, watch_terms(Config(), catalog), tencent)
    assert job is not None and job.catalog == tencent and not job.check_relevance
    assert _job(entry, spec, load_catalog().watch_terms) is None  # a full teaser naming nothing watched


def test_an_extraction_worker_reads_with_the_catalog_its_job_names(tencent: Path) -> None:
    shutdown_pool()
    try:
        body = STORY.html().encode()
        ours = extract(body, PageJob("https://n.example/t", "https://n.example/t", catalog=tencent), None, 1)
        shipped = extract(body, PageJob("https://n.example/t", "https://n.example/t"), None, 1)
    finally:
        shutdown_pool()
    assert [c.metric for c in ours.claims if c.metric] == ["tencent_cloud.revenue"]
    assert [c.metric for c in shipped.claims if c.metric] == []


def test_the_monitor_fetches_and_stores_the_users_company(tmp_path: Path, tencent: Path) -> None:
    harness_url()
    with LocalServer() as server:
        server.add(STORY.path, STORY.html())
        server.add("/feed.xml", rss(server.base, [STORY]), content_type="application/rss+xml")
        url = f"sqlite:///{tmp_path / 'cw.db'}"
        feeds = [feed_source("news", server.url("/feed.xml"))]
        config = write_config(tmp_path, url, feeds, catalog=str(tencent))
        summary = monitor(config_path=str(config), force=True)
    assert summary.articles == 1 and summary.irrelevant == 0, summary.page_errors
    assert [(e.metric, e.kind.value) for e in summary.events] == [("tencent_cloud.revenue", "new")]


def test_a_backfill_reads_saved_pages_with_the_users_catalog(tmp_path: Path, tencent: Path) -> None:
    harness_url()
    folder = tmp_path / "saved"
    folder.mkdir()
    later = Article("/news/t3.html", "Tencent Cloud Q3", "2026-11-13",
                    "Tencent Cloud revenue rose to 34 billion yuan in the third quarter.")
    for page in (later, STORY):
        (folder / page.path.rsplit("/", 1)[-1]).write_text(page.html(), encoding="utf-8")
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'cw.db'}", [], catalog=str(tencent))
    summary = backfill(folder=str(folder), config_path=str(config))
    assert summary.pages == 2 and summary.errors == []
    with Store.open(f"sqlite:///{tmp_path / 'cw.db'}") as store:
        values = [str(c.value) for c in store.claims("tencent_cloud.revenue")]
    assert values == ["30500000000", "34000000000"]  # by their own dates, read with the user's metrics


def test_its_parent_is_the_company_a_users_entity_is_part_of(tmp_path: Path) -> None:
    path = tmp_path / "group.yaml"
    path.write_text(
        "entities:\n"
        "  - {id: tencent_cloud, role: watched, names: [Tencent Cloud], part_of: tencent}\n"
        "  - {id: tencent, role: watched, names: [Tencent], refers_back_as: [company]}\n",
        encoding="utf-8",
    )
    lexicon = load_catalog(user=path).lexicon
    text = "Tencent Cloud grew fast, and its parent raised its dividend."
    assert [m.entity for m in find_entities(text, lexicon)] == ["tencent_cloud", "tencent"]
    assert [m.entity for m in find_entities(text)] == ["other"]  # a rival, without the user's catalog


def test_a_figure_of_another_watched_group_never_falls_to_alibaba(tencent: Path) -> None:
    """15% fits no metric of Tencent Cloud's (no word of revenue): it is not Alibaba Cloud's growth either."""
    text = ("Alibaba Cloud grew 34% in the September quarter while Tencent Cloud grew 15% and Baidu AI Cloud "
            "33%, according to company filings.")
    shipped = _claims(text, None)
    assert shipped == [("alibaba_cloud.revenue_growth_yoy", "34")]
    assert _claims(text, tencent) == shipped
    lexicon = load_catalog(user=tencent).lexicon
    assert lexicon.same_group("qwen_app", "alibaba_cloud")
    assert not lexicon.same_group("tencent_cloud", "alibaba")


def test_the_readmes_user_catalog_loads_and_reads_its_company(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("# tencent.yaml", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "tencent.yaml"
    path.write_text(block, encoding="utf-8")
    assert {"tencent_cloud.revenue", "tencent_cloud.revenue_growth"} <= set(load_catalog(user=path).metrics)
    assert _claims(SENTENCE, path) == [("tencent_cloud.revenue", "30500000000")]
