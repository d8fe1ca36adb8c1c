"""Alerts a user can trust, through the command line: dates, baselines, conflicts, citations, resets.

Each test reproduces a way a wrong or missing date, a missing baseline or a stale figure silenced a true
alert or raised a false one (issue 12), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import HOOK_SECRET, Cli, one_line_error
from support.flows import hook_channel, mail_channel
from support.servers import receiver, smtp_server


pytestmark = pytest.mark.timeout(300)

DOWNLOADS_2_5B = "Qwen models have passed 2.5 billion downloads, Alibaba Cloud said.\n"


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_an_undated_document_alerts_with_its_first_seen_date(tmp_path: Path, database_url: str) -> None:
    """Was: stored as `historical` with `published: None`, and nothing sent."""
    with receiver(HOOK_SECRET) as hook:
        cli = Cli(tmp_path, database_url, [hook_channel("hook", hook.url)])
        assert cli.run("baseline", "seed").returncode == 0
        events = cli.json("ingest", str(cli.write("undated.txt", DOWNLOADS_2_5B)))
        received = hook.payloads()
    downloads = [e for e in events if e["metric"] == "qwen.downloads"]
    assert [e["kind"] for e in downloads] == ["updated"]
    assert downloads[0]["published"] == _today() and downloads[0]["published_source"] == "first_seen"
    assert downloads[0]["previous"]["value"] == 1_000_000_000
    assert [(e["value"], e["published_source"]) for p in received for e in p["data"]["events"]] == [
        ("2500000000", "first_seen")
    ]
    current = cli.json("claims", "--metric", "qwen.downloads")
    assert current[0]["value"] == 2_500_000_000 and current[0]["published_source"] == "first_seen"


def test_a_future_publication_date_is_refused_and_stores_nothing(tmp_path: Path, database_url: str) -> None:
    """Was: `--published 2030-01-01` became the current value "as of 2030" and muted later figures."""
    cli = Cli(tmp_path, database_url)
    assert cli.run("baseline", "seed").returncode == 0
    before = cli.json("changes")
    doc = cli.write("future.txt", DOWNLOADS_2_5B)
    error = one_line_error(cli.run("ingest", "--no-alerts", "--published", "2030-01-01", str(doc)))
    assert "2030-01-01" in error and "future" in error and "--published" in error
    assert cli.json("changes") == before
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()  # one day of clock skew is allowed
    assert cli.run("ingest", "--no-alerts", "--published", tomorrow, str(doc)).returncode == 0


def test_a_period_less_flow_figure_never_replaces_the_dated_current_value(
    tmp_path: Path, database_url: str
) -> None:
    """Was: "revenue grew 40%" (no period) became the current value in place of 34% in 2025-Q3."""
    cli = Cli(tmp_path, database_url)
    assert cli.run("baseline", "seed").returncode == 0
    doc = cli.write("growth.txt", "Alibaba Cloud revenue grew 40% year over year, the company said.\n")
    events = cli.json("ingest", "--no-alerts", "--published", "2026-03-01", str(doc))
    growth = [e for e in events if e["metric"] == "alibaba_cloud.revenue_growth_yoy"]
    assert [(e["kind"], e["period"]) for e in growth] == [("updated", None)]  # alerted, with period unknown
    current = cli.json("claims", "--metric", "alibaba_cloud.revenue_growth_yoy")
    actual = [c for c in current if not c["forecast"]]
    assert [(c["value"], c["period"]) for c in actual] == [(34, "2025-Q3")]


def test_a_conflict_is_superseded_by_a_later_figure_and_shows_how_it_ended(
    tmp_path: Path, database_url: str
) -> None:
    """Was: "900 million" after "over 1 billion" opened a conflict that "over 1.5 billion" never closed."""
    cli = Cli(tmp_path, database_url)
    assert cli.run("baseline", "seed").returncode == 0
    low = cli.write("low.txt", "Qwen models have 900 million downloads, Alibaba Cloud said.\n")
    high = cli.write("high.txt", "Qwen models have passed 1.5 billion downloads, Alibaba Cloud said.\n")
    assert cli.json("ingest", "--no-alerts", "--published", "2026-03-01", str(low))[0]["kind"] == "conflict"
    assert cli.json("claims", "--metric", "qwen.downloads")[0]["open_conflicts"] == 1
    later = cli.json("ingest", "--no-alerts", "--published", "2026-04-01", str(high))
    assert [e["kind"] for e in later] == ["updated"]
    assert cli.json("claims", "--metric", "qwen.downloads")[0]["open_conflicts"] == 0
    conflicts = cli.json("changes", "--kind", "conflict")
    assert [c["conflict"]["status"] for c in conflicts] == ["superseded"]
    assert conflicts[0]["conflict"]["closed_by"] == str(high)
    table = cli.run("changes", "--kind", "conflict").stdout
    assert "superseded" in table


def test_ingest_into_a_fresh_database_seeds_the_baseline_first(tmp_path: Path, database_url: str) -> None:
    """Was: `ingest` first skipped seeding and sent "New: Qwen downloads …"; `run` never seeded after."""
    with smtp_server() as (smtp, mailbox):
        cli = Cli(tmp_path, database_url, [mail_channel(smtp.port)])
        events = cli.json("ingest", "--published", "2026-03-01", str(cli.write("a.txt", DOWNLOADS_2_5B)))
        subjects = [m["Subject"] for m in mailbox.messages]
    assert [e["kind"] for e in events] == ["updated"] and events[0]["previous"]["value"] == 1_000_000_000
    assert subjects == ["Qwen downloads: over 1 billion → over 2.5 billion (+150%)"]
    assert len({e["source"] for e in cli.json("changes")}) > 1  # the seed documents are stored too


def test_writers_starting_together_on_an_empty_database_seed_it_once(
    tmp_path: Path, database_url: str
) -> None:
    """Two ingests at once: each waits for the one seeding, so both are compared with the baseline."""
    cli = Cli(tmp_path, database_url)
    docs = [
        cli.write(f"{n}.txt", f"Qwen models have passed {n} billion downloads, Alibaba Cloud said.\n")
        for n in (2, 3)
    ]
    running = [
        cli.start("ingest", "--json", "--no-alerts", "--published", "2026-03-01", str(d)) for d in docs
    ]
    outputs = [p.communicate(timeout=120) for p in running]
    assert all(p.returncode == 0 for p in running), outputs
    kinds = sorted(e["kind"] for out, _ in outputs for e in json.loads(out))
    assert "new" not in kinds
    reference = Cli(tmp_path / "reference", f"sqlite:///{tmp_path / 'reference' / 'cw.db'}")
    assert reference.run("baseline", "seed").returncode == 0
    assert len(cli.json("changes")) == len(reference.json("changes")) + len(
        kinds
    )  # seeded once, no duplicates
    assert cli.run("baseline", "seed").stdout.startswith("baseline: 5 documents, 0 new facts")


def test_also_reported_by_cites_only_other_sources(tmp_path: Path, database_url: str) -> None:
    """Was: every email's "Also reported by" and every webhook's `citations` named the event's own article."""
    with receiver(HOOK_SECRET) as hook, smtp_server() as (smtp, mailbox):
        cli = Cli(tmp_path, database_url, [hook_channel("hook", hook.url), mail_channel(smtp.port)])
        assert cli.run("baseline", "seed").returncode == 0
        doc = cli.write("a.txt", DOWNLOADS_2_5B)
        assert (
            cli.run(
                "ingest", "--published", "2026-03-01", "--url", "https://a.example/q", str(doc)
            ).returncode
            == 0
        )
        first = hook.payloads()[-1]["data"]["events"][0]
        assert first["citations"] == [] and "Also reported by" not in _text(mailbox.messages[-1])
        hook.behaviour.status = 503
        mailbox.messages.clear()
        more = cli.write("b.txt", "Qwen models have passed 3 billion downloads, Alibaba Cloud said.\n")
        cli.run("ingest", "--published", "2026-03-02", "--url", "https://b.example/q", str(more))
        again = cli.write(
            "c.txt", "Qwen models have passed 3 billion downloads, Alibaba Cloud said on Monday.\n"
        )
        cli.run("ingest", "--published", "2026-03-03", "--url", "https://c.example/q", str(again))
        hook.behaviour.status = 204
        assert cli.run("alerts", "retry").returncode == 0
        retried = hook.payloads()[-1]["data"]["events"][0]
    assert retried["source"] == "https://b.example/q" and retried["citations"] == ["https://c.example/q"]


def test_reset_needs_yes_says_what_goes_and_export_keeps_it(tmp_path: Path, database_url: str) -> None:
    """Was: `baseline seed --reset` deleted all ingested history without asking."""
    cli = Cli(tmp_path, database_url)
    assert cli.run("baseline", "seed").returncode == 0
    assert (
        cli.run(
            "ingest", "--no-alerts", "--published", "2026-03-01", str(cli.write("a.txt", DOWNLOADS_2_5B))
        ).returncode
        == 0
    )
    before = cli.json("changes")
    refused = one_line_error(cli.run("baseline", "seed", "--reset"))
    assert f"{len(before)} change events" in refused and "--yes" in refused and "claimwatch export" in refused
    assert cli.json("changes") == before

    exported = cli.run("export")
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    kinds = {r["type"] for r in rows}
    assert kinds == {"article", "claim", "event"}
    articles = [r for r in rows if r["type"] == "article"]
    assert any(a["text"] == DOWNLOADS_2_5B and a["published_source"] == "given" for a in articles)
    assert len([r for r in rows if r["type"] == "event"]) == len(before)

    done = cli.run("baseline", "seed", "--reset", "--yes")
    assert done.returncode == 0 and f"{len(before)} change events" in done.stdout
    assert not any(e["source"].endswith("a.txt") for e in cli.json("changes"))


def _text(message: object) -> str:
    """The plain-text part of an alert email."""
    return message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]


def test_the_email_history_is_in_date_order(tmp_path: Path, database_url: str) -> None:
    """Was: "Recent history" listed figures in the order stored, so a backfilled old figure came out on top."""
    with smtp_server() as (smtp, mailbox):
        cli = Cli(tmp_path, database_url, [mail_channel(smtp.port)])
        assert cli.run("baseline", "seed").returncode == 0
        old = cli.write("old.txt", "Qwen models have passed 300 million downloads, Alibaba Cloud said.\n")
        assert cli.json("ingest", "--published", "2025-06-01", str(old))[0]["kind"] == "historical"
        assert (
            cli.run("ingest", "--published", "2026-03-01", str(cli.write("a.txt", DOWNLOADS_2_5B))).returncode
            == 0
        )
        text = _text(mailbox.messages[-1])
    lines = text.split("Recent history of Qwen downloads:")[1].splitlines()
    days = [line.split()[0] for line in lines if line.startswith("  ")]
    assert days == sorted(days, reverse=True) and days[0] == "2026-03-01"
