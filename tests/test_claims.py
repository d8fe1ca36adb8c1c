"""Claims from labelled sentences (tests/data/claim_cases.yaml) and the Claim contract."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from core.errors import ConfigError
from core.periods import LooseDate
from core.types import Document
from extractors.catalog import load_catalog
from extractors.claims import EXTRACTOR_VERSION, EXTRACTORS, extract_claims
from extractors.fx import stated_rates

CASES = yaml.safe_load((Path(__file__).parent / "data" / "claim_cases.yaml").read_text(encoding="utf-8"))[
    "cases"
]


def _tracked(text: str, published: str) -> list[tuple]:
    doc = Document(source="case", text=text, published=LooseDate.parse(str(published)))
    return [
        (c.metric, c.value, c.unit, c.period.label if c.period else None, c.forecast)
        for c in extract_claims(doc)
        if c.metric is not None
    ]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_labelled_case(case: dict) -> None:
    expected = {(m, Decimal(str(v)), u, str(p) if p else None, f) for m, v, u, p, f in case["claims"]}
    assert set(_tracked(case["text"], case["published"])) == expected


def test_claim_offsets_point_at_the_evidence_sentence() -> None:
    text = "Intro line.\nAlibaba Cloud's revenue rose 26% to RMB 33.6 billion in the June quarter. Done."
    claims = extract_claims(Document(source="s", text=text, published=LooseDate.parse("2025-08-29")))
    assert claims
    for claim in claims:
        assert text[claim.start : claim.end] == claim.evidence
        assert claim.source == "s" and claim.extractor_version == EXTRACTOR_VERSION
        assert str(claim.published) == "2025-08-29"


def test_untracked_numbers_about_watched_entities_are_kept() -> None:
    doc = Document(source="s", text="Alibaba Cloud will open 3 new data centers in Mexico, Japan and Korea.")
    claims = extract_claims(doc)
    assert [(c.metric, c.entity, c.value) for c in claims] == [(None, "alibaba_cloud", Decimal(3))]


def test_numbers_about_other_companies_are_dropped() -> None:
    assert extract_claims(Document(source="s", text="Microsoft has 400 million users.")) == []


def test_catalog_has_the_shared_ids_with_labels() -> None:
    catalog = load_catalog()
    assert catalog.get("qwen.downloads").label == "Qwen downloads"
    assert {"alibaba.ai_infra_spend_4q", "alibaba_cloud.china_ai_cloud_share"} <= set(catalog.metrics)


def test_registry_and_stated_rates() -> None:
    text = "Alibaba announced an investment of over 380 billion yuan (approx. US$53 billion) in AI and cloud."
    doc = Document(source="s", text=text, published=LooseDate.parse("2025-02-24"))
    claims = EXTRACTORS["metric_claims"](doc)
    assert [c.value for c in claims] == [Decimal(380_000_000_000)]
    (rate,) = stated_rates(doc, claims)
    assert (rate.base, rate.quote, rate.rate) == ("USD", "CNY", Decimal("7.1698"))


def test_table_rows_are_read_against_their_header() -> None:
    text = (
        "Alibaba Cloud results for the quarter.\n| Segment | Revenue, Q3 2025 |\n|---|---|\n"
        "| Cloud Intelligence Group | RMB 39,824 million |\n| Taobao and Tmall | RMB 45,000 million |"
    )
    claims = extract_claims(Document(source="t", text=text, published=LooseDate.parse("2025-11-25")))
    tracked = [(c.metric, c.value, c.period.label if c.period else None) for c in claims if c.metric]
    assert tracked == [("alibaba_cloud.revenue", Decimal(39_824_000_000), "2025-Q3")]
    assert all(text[c.start : c.end] == c.evidence and c.evidence.startswith("| Cloud") for c in claims)


def test_a_bad_catalog_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("metrics:\n  x.y:\n    entity: x\n    unit: count\n    kind: sometimes\n    near: [a]\n")
    with pytest.raises(ConfigError, match=r"metrics\.yaml: metrics\.x\.y"):
        load_catalog(path)


@pytest.mark.parametrize(
    ("forbid", "message"),
    [
        ("[{cue: total, unles: [qwen]}]", r"metrics\.x\.y.*unknown key 'unles'"),
        ("[{cue: total, unless: [nobody]}]", r"metrics\.x\.y: unknown entity 'nobody'"),
    ],
)
def test_a_contrary_cue_that_spares_entities_is_checked(tmp_path: Path, forbid: str, message: str) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text(f"metrics:\n  x.y:\n    entity: qwen\n    unit: count\n    kind: level\n    near: [a]\n"
                    f"    forbid: {forbid}\n")
    with pytest.raises(ConfigError, match=message):
        load_catalog(path)


def test_a_contrary_cue_spares_the_entity_it_names() -> None:
    rule = load_catalog().rules["alibaba_cloud.revenue"]
    pairs = zip(rule.forbid, rule.unless, strict=True)
    spared = [p.pattern for p, unless in pairs if "alibaba_cloud" in unless]
    assert spared and all("total revenue" in p for p in spared)
    group = "Alibaba reported total revenue of 247.8 billion yuan in the quarter."
    unit = "Alibaba Cloud brought in 39.8 billion yuan in total revenue in the quarter."
    published = LooseDate.parse("2025-11-25")
    assert [c.metric for c in extract_claims(Document(source="g", text=group, published=published))] == [None]
    tracked = [c.metric for c in extract_claims(Document(source="u", text=unit, published=published))]
    assert tracked == ["alibaba_cloud.revenue"]


TABLES = [
    pytest.param(
        "Segment revenue (in millions of RMB)\n"
        "| | Three months ended September 30, 2024 | Three months ended September 30, 2025 | YoY |\n"
        "|---|---|---|---|\n| Cloud Intelligence Group | 29,610 | 39,824 | 34% |\n"
        "| All others | 60,318 | 56,710 | (6)% |",
        "2025-11-25",
        [
            ("alibaba_cloud.revenue", 29_610_000_000, "CNY", "2024-Q3", False),
            ("alibaba_cloud.revenue", 39_824_000_000, "CNY", "2025-Q3", False),
            # "YoY % change" is the change of the column before it: its quarter
            ("alibaba_cloud.revenue_growth_yoy", 34, "percent", "2025-Q3", False),
        ],
        id="column periods and the declared unit",
    ),
    pytest.param(  # trafilatura writes a <caption> as a first row with one filled cell
        "| Revenue by segment (in millions of RMB) |  |  | \n|---|---|---|\n"
        "| Segment | Three months ended March 31, 2026 | Three months ended March 31, 2026 (US$) | \n"
        "|---|---|---|\n| Cloud Intelligence Group | 41,575 | 5,729 | ",
        "2026-05-14",
        [
            ("alibaba_cloud.revenue", 41_575_000_000, "CNY", "2026-Q1", False),
            ("alibaba_cloud.revenue", 5_729_000_000, "USD", "2026-Q1", False),
        ],
        id="a caption row and a US$ column",
    ),
    pytest.param(
        "Key estimates\n| Cloud Intelligence (RMB bn) | Sep-25A | Dec-25E | FY26E |\n|---|---|---|---|\n"
        "| Revenue | 39.8 | 42.6 | 157.0 |",
        "2026-01-20",
        [
            ("alibaba_cloud.revenue", 39_800_000_000, "CNY", "2025-Q3", False),
            ("alibaba_cloud.revenue", 42_600_000_000, "CNY", "2025-Q4", True),
            ("alibaba_cloud.revenue", 157_000_000_000, "CNY", None, True),
        ],
        id="an analyst's actual and estimate columns",
    ),
    pytest.param(
        "Cloud Intelligence Group\n| (in RMB millions, except percentages) | Jun 30, 2025 | Jun 30, 2026 |\n"
        "|---|---|---|\n| Revenue | 33,398 | 47,420 |\n| YoY % change | 26% | 42% |",
        "2026-08-13",
        [
            ("alibaba_cloud.revenue", 33_398_000_000, "CNY", "2025-Q2", False),
            ("alibaba_cloud.revenue", 47_420_000_000, "CNY", "2026-Q2", False),
            ("alibaba_cloud.revenue_growth_yoy", 26, "percent", "2025-Q2", False),
            ("alibaba_cloud.revenue_growth_yoy", 42, "percent", "2026-Q2", False),
        ],
        id="columns headed by a quarter's last day",
    ),
]


@pytest.mark.parametrize(("text", "published", "expected"), TABLES)
def test_table_cells_are_read_against_their_column(text: str, published: str, expected: list[tuple]) -> None:
    claims = extract_claims(Document(source="t", text=text, published=LooseDate.parse(published)))
    tracked = [c for c in claims if c.metric]
    read = [(c.metric, c.value, c.unit, c.period and c.period.label, c.forecast) for c in tracked]
    assert read == [(m, Decimal(v), u, p, f) for m, v, u, p, f in expected]


def test_group_wide_revenue_is_not_the_cloud_units() -> None:
    text = "Alibaba Cloud revenue rose 42%. Group-wide revenue rose 10 percent to 271.6 billion yuan."
    claims = extract_claims(Document(source="t", text=text, published=LooseDate.parse("2026-08-13")))
    tracked = [(c.metric, c.value) for c in claims if c.metric]
    assert tracked == [("alibaba_cloud.revenue_growth_yoy", Decimal(42))]


def test_the_company_long_after_it_was_named_is_the_document_subject() -> None:
    text = (
        "Alibaba Group results summary.\n- Revenue: up 7%.\n- Margin: 12%.\n- Buybacks: 5.1%.\n"
        "- Staff: 124,320.\n- The company reiterated plans to invest at least RMB380 billion in cloud and AI "
        "infrastructure over the next three years."
    )
    claims = extract_claims(Document(source="t", text=text, published=LooseDate.parse("2025-05-15")))
    tracked = [(c.metric, c.value, c.forecast) for c in claims if c.metric]
    assert tracked == [("alibaba.ai_infra_investment", Decimal(380_000_000_000), True)]
