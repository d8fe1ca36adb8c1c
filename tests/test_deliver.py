"""Delivery: modes, backoff within and across runs, failures that stay pending, channels kept apart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta


import pytest
from support.alerts import (
    CONFLICT,
    NEW,
    UPDATED,
    WEBHOOK_SECRET,
    context,
    email_channel,
    numbered_updates,
    webhook_channel,
)
from support.servers import closed_port, receiver, smtp_server

import alerts.deliver as delivery
from alerts.deliver import (
    ATTEMPTS_PER_RUN,
    DeliveryResult,
    PendingDelivery,
    deliver,
    next_attempt,
    retry_delay,
)
from alerts.secrets import env_secret_resolver
from core.types import Alert, ChangeEvent
from storage.results import PendingDelivery as StoredPending

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SMTP_PASSWORD = "smtp-secret-4711"
RESOLVE = env_secret_resolver({"CW_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET,
                               "CW_TEST_SMTP_PASSWORD": SMTP_PASSWORD})


class Sleeper:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _rows(channel: str, events: Sequence[ChangeEvent], start: int = 1,
          attempts: int = 0) -> list[PendingDelivery]:
    return [PendingDelivery(start + i, channel, e, attempts) for i, e in enumerate(events)]


def _run(pending, channels, sleeper: Sleeper | None = None) -> list[DeliveryResult]:
    return deliver(pending, channels, context, RESOLVE, sleep=sleeper or Sleeper(), now=lambda: NOW)


def test_each_mode_sends_one_signed_alert_per_event() -> None:
    with receiver(WEBHOOK_SECRET) as hook:
        results = _run(_rows("hook", [UPDATED, NEW]), [webhook_channel(hook.url)])
    assert [(r.id, r.ok, r.attempts, r.tries, r.error, r.next_attempt_at) for r in results] == [
        (1, True, 1, 1, None, None), (2, True, 1, 1, None, None)]
    assert [r.headers["webhook-id"] for r in hook.received] == [Alert("hook", (UPDATED,)).key,
                                                                  Alert("hook", (NEW,)).key]
    assert all(r.error is None for r in hook.received)
    assert [r.alert_key for r in results] == [r.headers["webhook-id"] for r in hook.received]


def test_digest_mode_sends_one_message_for_all_events() -> None:
    with smtp_server() as (server, box):
        results = _run(_rows("mail", [UPDATED, NEW, CONFLICT]), [email_channel(server.port, mode="digest")])
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["Subject"] == "claimwatch: 3 changes (1 conflict, 1 new, 1 updated)"
    text = mail.get_body(("plain",)).get_content()
    for figure in ("over 700 million → over 1 billion (+43%)", "over 180,000", "600 million"):
        assert figure in text
    assert all(r.ok for r in results) and len({r.alert_key for r in results}) == 1


def test_failed_channel_does_not_stop_others_and_stays_pending() -> None:
    mail = email_channel(closed_port())
    with receiver(WEBHOOK_SECRET) as hook:
        pending = _rows("mail", [UPDATED]) + _rows("hook", [UPDATED], start=2)
        sleeper = Sleeper()
        results = _run(pending, [mail, webhook_channel(hook.url)], sleeper)
    failed, sent = results
    assert sent.ok and len(hook.received) == 1
    assert not failed.ok and failed.tries == ATTEMPTS_PER_RUN and failed.attempts == 1
    assert failed.error.startswith(f"channel mail (email): SMTP 127.0.0.1:{mail.port} unreachable")
    assert "\n" not in failed.error
    assert failed.next_attempt_at == NOW + timedelta(minutes=1)
    assert sleeper.calls == [retry_delay(1), retry_delay(2)] == [0.5, 1.0]


def test_smtp_down_then_back_delivers_each_alert_once() -> None:
    port = closed_port()
    channel = email_channel(port)
    first = _run(_rows("mail", [UPDATED, NEW]), [channel])
    assert [r.ok for r in first] == [False, False] and all("unreachable" in r.error for r in first)
    with smtp_server(port=port) as (_server, box):
        pairs = zip(first, [UPDATED, NEW], strict=True)
        retry = [PendingDelivery(r.id, r.channel, e, r.attempts) for r, e in pairs]
        second = _run(retry, [channel])
    assert [(r.ok, r.attempts) for r in second] == [(True, 2), (True, 2)]
    assert sorted(m["Message-ID"] for m in box.messages) == sorted(
        f"<{Alert('mail', (e,)).key}@example.org>" for e in (UPDATED, NEW))


def test_a_channel_that_is_down_is_tried_once_per_run() -> None:
    sleeper = Sleeper()
    results = _run(_rows("mail", numbered_updates(5)), [email_channel(closed_port())], sleeper)
    assert [r.tries for r in results] == [ATTEMPTS_PER_RUN, 0, 0, 0, 0]
    assert len(sleeper.calls) == ATTEMPTS_PER_RUN - 1
    assert all(not r.ok and "unreachable" in r.error and r.next_attempt_at for r in results)


def test_webhook_500_then_next_run_delivers_exactly_once() -> None:
    with receiver(WEBHOOK_SECRET) as hook:
        channel = webhook_channel(hook.url)
        hook.behaviour.status = 500
        first = _run(_rows("hook", [UPDATED, NEW]), [channel])
        assert [r.ok for r in first] == [False, False]
        assert all("answered HTTP 500" in r.error and r.error.startswith("channel hook") for r in first)
        hook.behaviour.status = 204
        still_pending = [PendingDelivery(r.id, "hook", e, r.attempts)
                         for r, e in zip(first, [UPDATED, NEW], strict=True) if not r.ok]
        second = _run(still_pending, [channel])
        assert [(r.ok, r.attempts, r.tries, r.next_attempt_at) for r in second] == [(True, 2, 1, None)] * 2
    assert len(hook.received) == ATTEMPTS_PER_RUN + 2  # run 1 tried one alert 3 times; the other waited
    delivered = [r.headers["webhook-id"] for r in hook.received[ATTEMPTS_PER_RUN:]]
    assert sorted(delivered) == sorted([Alert("hook", (UPDATED,)).key, Alert("hook", (NEW,)).key])


def test_transient_error_retried_within_the_run() -> None:
    sleeper = Sleeper()
    with receiver(WEBHOOK_SECRET) as hook:
        hook.behaviour.fail_first = 1
        (result,) = _run(_rows("hook", [UPDATED]), [webhook_channel(hook.url)], sleeper)
    assert result.ok and result.tries == 2 and result.attempts == 1 and sleeper.calls == [0.5]
    assert len(hook.received) == 2 and len({r.headers["webhook-id"] for r in hook.received}) == 1


def test_permanent_error_is_not_retried_within_the_run_but_stays_pending() -> None:
    sleeper = Sleeper()
    with receiver(WEBHOOK_SECRET) as hook:
        hook.behaviour.status = 404
        (result,) = _run(_rows("hook", [UPDATED], attempts=2), [webhook_channel(hook.url)], sleeper)
    assert not result.ok and result.tries == 1 and result.attempts == 3 and sleeper.calls == []
    assert "HTTP 404" in result.error and result.next_attempt_at == NOW + timedelta(minutes=4)


def test_timeout_is_recorded() -> None:
    with receiver(WEBHOOK_SECRET) as hook, smtp_server() as (server, box):
        hook.behaviour.delay = 1.0
        channels = [webhook_channel(hook.url, timeout=0.2), email_channel(server.port)]
        results = _run(_rows("hook", [UPDATED]) + _rows("mail", [UPDATED], start=2), channels)
    timed_out, mailed = results
    assert "timed out after 0.2s" in timed_out.error and not timed_out.ok
    assert mailed.ok and len(box.messages) == 1


def test_missing_secret_and_unknown_channel_are_recorded_not_raised() -> None:
    no_secret = webhook_channel("http://127.0.0.1:9/", name="hook2", secret={"env": "CW_TEST_UNSET"})
    with receiver(WEBHOOK_SECRET) as hook:
        pending = _rows("hook2", [NEW]) + _rows("gone", [NEW], start=2) + _rows("hook", [NEW], start=3)
        results = _run(pending, [no_secret, webhook_channel(hook.url)])
    assert [r.ok for r in results] == [False, False, True]
    assert results[0].error == "channel hook2: secret: environment variable CW_TEST_UNSET is not set"
    assert results[1].error == "channel gone: not in the configuration"
    assert results[0].next_attempt_at is not None and results[1].next_attempt_at is not None


def test_smtp_auth_failure_never_leaks_the_password(tmp_path) -> None:
    from support.servers import make_cert

    cert = make_cert(tmp_path)
    with smtp_server("starttls", cert, auth=("alerts", "the-right-one")) as (server, _box):
        channel = email_channel(server.port, security="starttls", username="alerts", ca_file=str(cert.cert),
                                password={"env": "CW_TEST_SMTP_PASSWORD"})
        (result,) = _run(_rows("mail", [UPDATED]), [channel])
    assert "authentication failed" in result.error and SMTP_PASSWORD not in result.error
    assert result.tries == 1  # wrong credentials do not improve by retrying


@pytest.mark.parametrize(("attempts", "wait"), [(0, timedelta(minutes=1)), (1, timedelta(minutes=1)),
                                                 (3, timedelta(minutes=4)), (10, timedelta(hours=6))])
def test_next_attempt_backs_off_exponentially_with_a_cap(attempts: int, wait: timedelta) -> None:
    assert next_attempt(NOW, attempts) == NOW + wait


def test_retry_delay_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 10)] == [0.5, 1.0, 2.0, 8.0]


def test_test_channel_reports_each_result() -> None:
    with receiver(WEBHOOK_SECRET) as hook:
        ok = delivery.test_channel(webhook_channel(hook.url), RESOLVE, sleep=Sleeper())
    down = delivery.test_channel(email_channel(closed_port()), RESOLVE, sleep=Sleeper())
    assert ok.ok and ok.error is None and hook.payloads()[0]["type"] == "claimwatch.test"
    assert not down.ok and down.error.startswith("channel mail (email): SMTP")


def test_many_pending_alerts_are_each_delivered_once() -> None:
    events = numbered_updates(20)
    with receiver(WEBHOOK_SECRET) as hook:
        results = _run(_rows("hook", events), [webhook_channel(hook.url)])
    assert all(r.ok for r in results)
    ids = [r.headers["webhook-id"] for r in hook.received]
    assert len(ids) == len(set(ids)) == 20 and all(r.error is None for r in hook.received)


def test_storage_outbox_rows_can_be_delivered_as_they_are() -> None:
    row = StoredPending(id=7, channel="hook", attempts=2, status="failed", last_error="earlier failure",
                                         next_attempt_at=NOW, event_id=3, event=UPDATED)
    with receiver(WEBHOOK_SECRET) as hook:
        (result,) = _run([row], [webhook_channel(hook.url)])
    assert (result.id, result.ok, result.attempts) == (7, True, 3)
    assert hook.received[0].headers["webhook-id"] == Alert("hook", (UPDATED,)).key
