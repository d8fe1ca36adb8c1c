"""`claimwatch alerts test | pending | retry` against a real SMTP server and a real webhook receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from support.servers import closed_port, receiver, smtp_server

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CLAIMWATCH_CONFIG": str(config), "HOOK_SECRET": SECRET}
    env.pop("CLAIMWATCH_DATABASE_URL", None)
    return subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, env=env, timeout=120)


def _config(tmp_path: Path, channels: list[dict]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "channels": channels}))
    return path


def _hook(url: str) -> dict:
    return {"name": "hook", "kind": "webhook", "url": url, "secret": {"env": "HOOK_SECRET"}, "timeout": 2}


def test_alerts_test_reports_each_channel(tmp_path: Path) -> None:
    with smtp_server() as (smtp, mailbox):
        mail = {"name": "mail", "kind": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                "sender": "cw@example.test", "recipients": ["a@example.test"]}
        config = _config(tmp_path, [mail, _hook(f"http://127.0.0.1:{closed_port()}/hook")])
        result = _run(config, "alerts", "test")
    assert result.returncode == 1
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("│ ")}
    assert "ok" in lines["mail"] and "FAILED" in lines["hook"]
    assert len(mailbox.messages) == 1


def test_failed_alert_stays_pending_until_retry(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Qwen has passed 1.5 billion downloads, Alibaba Cloud said.", encoding="utf-8")
    with receiver(SECRET) as hook:
        config = _config(tmp_path, [_hook(hook.url)])
        assert _run(config, "baseline", "seed").returncode == 0
        hook.behaviour.status = 503
        ingest = _run(config, "ingest", "--published", "2026-09-01", str(article))
        assert ingest.returncode == 0 and "not delivered" in ingest.stderr
        pending = json.loads(_run(config, "alerts", "pending", "--json").stdout)
        assert len(pending) == 1 and "503" in pending[0]["last_error"] and pending[0]["attempts"] == 1
        hook.behaviour.status = 204
        tries = len(hook.received)  # each run tries a few times with backoff before leaving it pending
        retry = _run(config, "alerts", "retry")  # sends now, whatever the backoff said
        assert retry.returncode == 0 and "1 sent, 0 failed" in retry.stdout
        assert len(hook.received) == tries + 1
        assert hook.received[-1].verified["data"]["events"][0]["value"] == "1500000000"
        assert json.loads(_run(config, "alerts", "pending", "--json").stdout) == []
        assert _run(config, "alerts", "retry").stdout.strip() == "alerts: 0 sent, 0 failed"
