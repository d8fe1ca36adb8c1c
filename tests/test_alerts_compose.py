"""Composition: subjects, text and HTML bodies, digests, channel filters, the webhook payload, secrets."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from support.alerts import CONFLICT, NEW, NEW_DOWNLOADS, OLD_DOWNLOADS, UPDATED, claim, context

from alerts import compose, filters
from alerts.context import AlertContext
from alerts.payload import build_payload
from alerts.secrets import REDACTED, env_secret_resolver, scrub
from core.config import SecretRef, WebhookChannel
from core.errors import ConfigError
from core.types import Alert, ChangeEvent, ChangeKind, Qualifier

HERE = Path(__file__).resolve().parent
ALERTS = HERE.parent / "alerts"
SUBJECTS = yaml.safe_load((HERE / "data" / "alert_subjects.yaml").read_text(encoding="utf-8"))


def _claim(row: list[Any]):
    metric, value, unit, qualifier, period, forecast = row
    return claim(metric, value, unit=unit, qualifier=Qualifier(qualifier), period=period and str(period),
                 forecast=forecast)


@pytest.mark.parametrize("case", SUBJECTS, ids=[c["name"] for c in SUBJECTS])
def test_subject(case: dict[str, Any]) -> None:
    pct = Decimal(case["change_pct"]) if "change_pct" in case else None
    previous = _claim(case["previous"]) if "previous" in case else None
    event = ChangeEvent(ChangeKind(case["kind"]), _claim(case["claim"]), previous, pct)
    assert compose.subject(Alert("c", (event,)), context()) == case["subject"]


def test_subject_is_one_line() -> None:
    odd = ChangeEvent(ChangeKind.NEW, claim("x_metric", "5", entity="Qwen\r\nBcc: someone@example.org"))
    assert compose.subject(Alert("c", (odd,)), AlertContext()) == "New: x_metric: 5"
    odd = ChangeEvent(ChangeKind.NEW, claim(None, "5", entity="Qwen\r\nBcc: x@example.org"))
    assert "\n" not in compose.subject(Alert("c", (odd,)), AlertContext())


def test_text_body_has_evidence_link_publisher_previous_and_history() -> None:
    text = compose.render(Alert("mail", (UPDATED,)), context()).text
    assert NEW_DOWNLOADS.evidence in text
    assert "Example News <https://news.example/qwen-1b>" in text
    previously = "Previously: over 700 million, as of 2026-01-16, from AInvest <https://ainvest.example/qwen>"
    assert previously in text
    assert "https://other.example/qwen" in text  # a citation
    history = text.split("Recent history of Qwen downloads:")[1].splitlines()
    assert history[1].split() == ["2026-03-02", "over", "1", "billion", "(Example", "News)"]
    assert history[2].split()[:4] == ["2026-01-16", "over", "700", "million"]


def test_html_body_escapes_and_links() -> None:
    html = compose.render(Alert("mail", (UPDATED,)), context()).html
    assert "Qwen &lt;models&gt; topped 1 billion" in html and "<models>" not in html
    assert '<a href="https://news.example/qwen-1b">Example News</a>' in html
    assert "over 700 million" in html and "Recent history of Qwen downloads" in html


def test_only_web_links_become_links() -> None:
    evil = claim("qwen_downloads", "5", source="javascript:alert(1)")
    ctx = AlertContext(urls={"seed-x": "file:///etc/passwd"})
    html = compose.render(Alert("m", (ChangeEvent(ChangeKind.NEW, evil),)), ctx).html
    assert "href" not in html
    assert ctx.link("seed-x") == "" and ctx.link("https://a.example/") == "https://a.example/"


def test_conflict_body_shows_both_sides() -> None:
    text = compose.render(Alert("mail", (CONFLICT,)), context()).text
    assert "New report: 600 million" in text and CONFLICT.claim.evidence in text
    assert "Earlier report: over 1 billion" in text and NEW_DOWNLOADS.evidence in text


def test_digest_is_one_message_with_every_event() -> None:
    alert = Alert("mail", (UPDATED, NEW, CONFLICT))
    message = compose.render(alert, context())
    assert message.subject == "claimwatch: 3 changes (1 conflict, 1 new, 1 updated)"
    for event in alert.events:
        assert compose.headline(event, context()) in message.text
    assert message.payload["type"] == "claimwatch.digest" and len(message.payload["data"]["events"]) == 3
    assert message.key == alert.key


def _hook(**extra: Any) -> WebhookChannel:
    return WebhookChannel.model_validate({"name": "h", "url": "http://127.0.0.1:9/", **extra})


@pytest.mark.parametrize(("settings", "event", "wanted"), [
    ({}, UPDATED, True),
    ({}, NEW, True),
    ({}, CONFLICT, True),
    ({}, ChangeEvent(ChangeKind.CONFIRMED, NEW_DOWNLOADS, OLD_DOWNLOADS), False),
    ({"kinds": ["confirmed", "historical", "new"]}, ChangeEvent(ChangeKind.HISTORICAL, OLD_DOWNLOADS), False),
    ({"kinds": ["new"]}, UPDATED, False),
    ({"metrics": ["cloud_revenue"]}, UPDATED, False),
    ({"metrics": ["qwen_downloads"]}, UPDATED, True),
    ({"min_change_pct": 50}, UPDATED, False),
    ({"min_change_pct": 40}, UPDATED, True),
    ({"min_change_pct": 5}, ChangeEvent(ChangeKind.UPDATED, NEW_DOWNLOADS, OLD_DOWNLOADS, Decimal(-6)), True),
    ({"min_change_pct": 50}, CONFLICT, True),  # the minimum applies to updates only
])
def test_wants(settings: dict[str, Any], event: ChangeEvent, wanted: bool) -> None:
    assert filters.wants(_hook(**settings), event) is wanted


def test_route_pairs_channels_with_wanted_events() -> None:
    channels = [_hook(name="all"), _hook(name="news", kinds=["new"])]
    assert filters.route([UPDATED, NEW], channels) == [("all", UPDATED), ("all", NEW), ("news", NEW)]


def _schema() -> jsonschema.Validator:
    return jsonschema.Draft202012Validator(json.loads((ALERTS / "webhook_payload.schema.json").read_text()))


@pytest.mark.parametrize("events", [(UPDATED,), (NEW,), (CONFLICT,), (UPDATED, NEW, CONFLICT)])
def test_payload_matches_schema(events: tuple[ChangeEvent, ...]) -> None:
    payload = build_payload(Alert("h", events), context())
    _schema().validate(json.loads(json.dumps(payload)))
    assert payload["id"] == Alert("h", events).key


def test_example_payload_matches_schema_and_code() -> None:
    example = json.loads((ALERTS / "webhook_payload.example.json").read_text(encoding="utf-8"))
    _schema().validate(example)
    event = example["data"]["events"][0]
    assert event == build_payload(Alert("ops-webhook", (UPDATED,)), context())["data"]["events"][0]
    assert event["previous"] == {"value": "700000000", "unit": "count", "qualifier": "over", "period": None,
                                 "as_of": "2026-01-16", "source": "seed-001"}


def test_probe_message_matches_schema() -> None:
    message = compose.probe_message("hook", "cw_test_hook_1")
    _schema().validate(message.payload)
    assert "hook" in message.subject


def test_env_secret_resolver_reads_and_names_missing_variable() -> None:
    resolve = env_secret_resolver({"SMTP_PW": "s3cret-value"})
    assert resolve(SecretRef(env="SMTP_PW")) == "s3cret-value"
    with pytest.raises(ConfigError, match="OTHER_PW is not set"):
        resolve(SecretRef(env="OTHER_PW"))
    with pytest.raises(ConfigError, match="Prefect block 'smtp'"):
        resolve(SecretRef(prefect_block="smtp"))


def test_scrub_hides_secret_and_parts_of_secret_urls() -> None:
    url = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567"
    message = f"failed for {url[:40]}... token AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    cleaned = scrub(message, [url, "hunter22"])
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in cleaned and REDACTED in cleaned
    assert scrub("password hunter22 rejected", ["hunter22"]) == f"password {REDACTED} rejected"
