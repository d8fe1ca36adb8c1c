"""A second company watched through a user catalog file alone: extracted, diffed, stored and alerted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from support.servers import receiver, smtp_server

CLAIMWATCH = str(Path(sys.executable).with_name("claimwatch"))
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TENCENT = """\
entities:
  - id: tencent_cloud
    role: watched
    names: [Tencent Cloud, 腾讯云]
    refers_back_as: [company, unit]
metrics:
  tencent_cloud.revenue:
    entity: tencent_cloud
    unit: CNY
    kind: flow
    label: Tencent Cloud revenue
    units: [CNY, USD, HKD]
    least: 100000000
    near: [{cue: [revenue, sales, 营收, 收入]}]
  tencent_cloud.revenue_growth:
    entity: tencent_cloud
    unit: percent
    kind: flow
    label: Tencent Cloud revenue growth
    near: [{cue: [revenue, sales, 营收, 收入]}, {cue: [grow, grew, growth, rose, 增长]}]
"""
# (file, published, text), in date order
TEXTS = [
    ("q2.txt", "2026-08-14", "Tencent Cloud revenue rose 12% year on year to 30.5 billion yuan in the second "
     "quarter. Alibaba Cloud revenue grew 26% to 33.4 billion yuan in the quarter ended June."),
    ("q3-zh.txt", "2026-11-13", "腾讯云2026年第三季度收入同比增长18%，达到340亿元。"
     "阿里云收入同比增长34%，达到398亿元。"),
    ("q3.txt", "2026-11-20", "Tencent Cloud revenue grew 18% to 34 billion yuan in the third quarter of "
     "2026, ahead of Baidu."),
]
TENCENT_METRICS = ["tencent_cloud.revenue", "tencent_cloud.revenue_growth"]


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CLAIMWATCH_CONFIG": str(config), "HOOK_SECRET": SECRET}
    env.pop("CLAIMWATCH_DATABASE_URL", None)  # the SQLite file in the config's data_dir
    done = subprocess.run([CLAIMWATCH, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _config(folder: Path, channels: list[dict], catalog: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    settings: dict = {"data_dir": str(folder / "data"), "channels": channels}
    if catalog is not None:
        settings["catalog"] = catalog
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def _claims(config: Path, path: Path, published: str) -> list[tuple[str, str, str | None]]:
    out = _run(config, "extract", "--json", "--published", published, str(path)).stdout
    return [(c["metric"], str(c["value"]), c["period"]) for c in json.loads(out)]


def _texts(folder: Path) -> list[tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, _, text in TEXTS:
        (folder / name).write_text(text, encoding="utf-8")
    return [(folder / name, published) for name, published, _ in TEXTS]


def test_a_user_catalog_alone_adds_a_company_whose_figures_are_read_and_alibabas_stay(tmp_path: Path) -> None:
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "tencent.yaml").write_text(TENCENT, encoding="utf-8")
    texts = _texts(tmp_path / "texts")
    with_user = _config(tmp_path / "user", [], "tencent.yaml")  # relative: read beside the config file
    plain = _config(tmp_path / "plain", [], None)
    read = {path.name: (_claims(with_user, path, day), _claims(plain, path, day)) for path, day in texts}
    assert read["q2.txt"][0][:2] == [("tencent_cloud.revenue_growth", "12", "2026-Q2"),
                                     ("tencent_cloud.revenue", "30500000000", "2026-Q2")]
    assert ("tencent_cloud.revenue_growth", "18", "2026-Q3") in read["q3-zh.txt"][0]
    assert ("tencent_cloud.revenue", "34000000000", "2026-Q3") in read["q3.txt"][0]
    for ours, shipped in read.values():
        assert not any(metric.startswith("tencent") for metric, _, _ in shipped)
        assert [c for c in ours if not c[0].startswith("tencent")] == shipped  # Alibaba's claims as before
    assert sum(len(shipped) for _, shipped in read.values()) == 4


def test_a_user_catalogs_company_is_diffed_stored_and_alerted(tmp_path: Path) -> None:
    (tmp_path / "tencent.yaml").write_text(TENCENT, encoding="utf-8")
    texts = _texts(tmp_path / "texts")
    with receiver(SECRET) as hook, smtp_server() as (smtp, mailbox):
        webhook = {"name": "hook", "kind": "webhook", "url": hook.url, "secret": {"env": "HOOK_SECRET"},
                   "metrics": TENCENT_METRICS}
        mail = {"name": "mail", "kind": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                "sender": "cw@example.test", "recipients": ["a@example.test"], "metrics": TENCENT_METRICS}
        config = _config(tmp_path, [webhook, mail], str(tmp_path / "tencent.yaml"))
        events = [json.loads(_run(config, "ingest", "--json", "--published", day, str(path)).stdout)
                  for path, day in texts]
        payloads = hook.payloads()
        messages = list(mailbox.messages)
    kinds = [sorted((e["metric"], e["kind"]) for e in run if e["metric"] in TENCENT_METRICS)
             for run in events]
    assert kinds == [
        [("tencent_cloud.revenue", "new"), ("tencent_cloud.revenue_growth", "new")],
        [("tencent_cloud.revenue", "updated"), ("tencent_cloud.revenue_growth", "updated")],
        [("tencent_cloud.revenue", "confirmed"), ("tencent_cloud.revenue_growth", "confirmed")],
    ]
    sent = [e for p in payloads for e in p["data"]["events"]]
    assert sorted((e["metric"], e["kind"]) for e in sent) == sorted(kinds[0] + kinds[1])
    labels = {e["metric"]: (e["label"], e["unit"]) for e in sent}
    assert labels == {"tencent_cloud.revenue": ("Tencent Cloud revenue", "CNY"),
                      "tencent_cloud.revenue_growth": ("Tencent Cloud revenue growth", "percent")}
    assert len(messages) == 4 and all("Tencent Cloud revenue" in m["Subject"] for m in messages)
    history = json.loads(_run(config, "history", "tencent_cloud.revenue", "--json").stdout)
    assert [h["value"] for h in history][-1] == 34000000000


def test_reextract_reads_stored_articles_again_with_a_catalog_added_later(tmp_path: Path) -> None:
    (tmp_path / "tencent.yaml").write_text(TENCENT, encoding="utf-8")
    texts = _texts(tmp_path / "texts")
    plain = _config(tmp_path / "plain", [], None)
    for path, day in texts:
        _run(plain, "ingest", "--no-alerts", "--published", day, str(path))
    watching = _config(tmp_path / "watching", [], str(tmp_path / "tencent.yaml"))
    settings = yaml.safe_load(watching.read_text(encoding="utf-8"))
    settings["data_dir"] = str(tmp_path / "plain" / "data")
    watching.write_text(yaml.safe_dump(settings), encoding="utf-8")  # the same database, now with the catalog
    result = json.loads(_run(watching, "reextract", "--json").stdout)[0]
    appeared = {(r["metric"], r["change"]) for r in result["revisions"]}
    assert appeared == {(m, "appeared") for m in TENCENT_METRICS}
    assert not any(s["vanished"] for s in result["metrics"])  # Alibaba's figures stand as they were
    history = json.loads(_run(watching, "history", "tencent_cloud.revenue", "--json").stdout)
    assert [h["value"] for h in history][-1] == 34000000000
