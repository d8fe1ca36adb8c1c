"""End to end through the real CLI: seed, ingest a document that raises a metric, get one email and one
signed webhook with the old and new figures; ingest it again and nothing more arrives.

Runs the installed `claimwatch` in a subprocess against real SQLite and PostgreSQL, a real SMTP server
(aiosmtpd) and a real HTTP receiver that verifies Standard Webhooks signatures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.servers import receiver, smtp_server

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a test key in the format the spec uses
ARTICLE = (
    "Alibaba's Qwen models have passed 1.2 billion downloads, Alibaba Cloud said on Tuesday.\n"
    "The company did not give a figure for the Qwen app.\n"
)


def _config(tmp_path: Path, smtp_port: int, webhook_url: str) -> Path:
    channels = [
        {"name": "mail", "kind": "email", "host": "127.0.0.1", "port": smtp_port, "security": "none",
         "sender": "claimwatch@example.test", "recipients": ["analyst@example.test"]},
        {"name": "hook", "kind": "webhook", "url": webhook_url, "secret": {"env": "TEST_WEBHOOK_SECRET"}},
    ]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"channels": channels, "data_dir": str(tmp_path / "data")}))
    return path


def _claimwatch(config: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CLAIMWATCH_CONFIG": str(config), "CLAIMWATCH_DATABASE_URL": database_url,
                        "TEST_WEBHOOK_SECRET": SECRET}
    result = subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_seed_ingest_alert_once(tmp_path: Path, database_url: str) -> None:
    article = tmp_path / "qwen.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    with smtp_server() as (smtp, mailbox), receiver(SECRET) as hook:
        config = _config(tmp_path, smtp.port, hook.url)
        _claimwatch(config, database_url, "baseline", "seed")
        assert not mailbox.messages and not hook.received  # the baseline alerts nobody

        first = _claimwatch(config, database_url, "ingest", "--json", "--published", "2026-07-01",
                            "--url", "https://news.example/qwen-1-2b", str(article))
        events = json.loads(first.stdout)
        downloads = [e for e in events if e["metric"] == "qwen.downloads"]
        assert [e["kind"] for e in downloads] == ["updated"]
        assert downloads[0]["previous"]["value"] == 1_000_000_000 and downloads[0]["value"] == 1_200_000_000

        assert len(mailbox.messages) == 1
        mail = mailbox.messages[0]
        assert mail["Subject"] == "Qwen downloads: over 1 billion → over 1.2 billion (+20%)"
        text = mail.get_body(("plain",)).get_content()
        assert "passed 1.2 billion downloads" in text and "https://news.example/qwen-1-2b" in text

        assert len(hook.received) == 1 and hook.received[0].error is None
        payload = hook.payloads()[0]
        event = payload["data"]["events"][0]
        assert (event["metric"], event["kind"], event["value"], event["previous"]["value"]) == (
            "qwen.downloads", "updated", "1200000000", "1000000000")
        assert hook.received[0].headers["webhook-id"] == payload["id"]

        again = _claimwatch(config, database_url, "ingest", "--json", "--published", "2026-07-01",
                            "--url", "https://news.example/qwen-1-2b", str(article))
        assert json.loads(again.stdout) == []
        assert len(mailbox.messages) == 1 and len(hook.received) == 1
        pending = _claimwatch(config, database_url, "alerts", "pending", "--json")
        assert json.loads(pending.stdout) == []


def test_seed_is_idempotent_and_claims_json(tmp_path: Path, database_url: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    _claimwatch(config, database_url, "baseline", "seed")
    before = json.loads(_claimwatch(config, database_url, "changes", "--json").stdout)
    _claimwatch(config, database_url, "baseline", "seed")
    assert json.loads(_claimwatch(config, database_url, "changes", "--json").stdout) == before
    rows = json.loads(_claimwatch(config, database_url, "claims", "--json").stdout)
    by_metric = {(r["metric"], r["forecast"]): r for r in rows}
    assert set(rows[0]) == {"metric", "value", "unit", "qualifier", "period", "as_of", "forecast", "source",
                            "published", "published_source", "evidence", "open_conflicts"}
    assert by_metric[("qwen.downloads", False)]["value"] == 1_000_000_000
    assert by_metric[("qwen_app.mau", False)]["value"] == 100_000_000
    assert by_metric[("alibaba.ai_infra_investment", True)]["value"] == 380_000_000_000
