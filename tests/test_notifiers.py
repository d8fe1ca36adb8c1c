"""Notifiers against real local servers: aiosmtpd (plain, STARTTLS+AUTH, SSL+AUTH), a Standard Webhooks
receiver that verifies signatures, and Apprise's json:// target."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from support.alerts import NEW_DOWNLOADS, UPDATED, WEBHOOK_SECRET, context, email_channel, webhook_channel
from support.servers import SelfSigned, closed_port, make_cert, receiver, smtp_server

from alerts.compose import Message, render
from alerts.notifiers import NOTIFIERS, notifier_for
from alerts.secrets import env_secret_resolver
from core.config import AppriseChannel, Channel, EmailChannel
from core.errors import ConfigError, DeliveryError
from core.types import Alert

PASSWORD = "pa55-w0rd-xyz"
RESOLVE = env_secret_resolver({"CW_TEST_SMTP_PASSWORD": PASSWORD, "CW_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET,
                               "CW_TEST_BAD_SECRET": "whsec_!!!"})


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSigned:
    return make_cert(tmp_path_factory.mktemp("tls"))


def _message() -> Message:
    return render(Alert("mail", (UPDATED,)), context())


def test_registry_covers_every_channel_kind() -> None:
    union = typing.get_args(typing.get_args(Channel)[0])
    kinds = {model.model_fields["kind"].default for model in union}
    assert set(NOTIFIERS) == kinds == {"email", "webhook", "apprise"}


def _assert_alert_mail(box, message: Message) -> None:
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["Subject"] == "Qwen downloads: over 700 million → over 1 billion (+43%)"
    assert mail["Message-ID"] == f"<{message.key}@example.org>"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):
        for needle in ("over 700 million", "over 1 billion", "https://news.example/qwen-1b"):
            assert needle in part
    assert NEW_DOWNLOADS.evidence in text and "Qwen &lt;models&gt; topped 1 billion" in html
    assert box.envelopes == [("claimwatch@example.org", ["ops@example.org"])]


def test_email_plain() -> None:
    with smtp_server() as (server, box):
        message = _message()
        notifier_for(email_channel(server.port), RESOLVE).send(message)
    _assert_alert_mail(box, message)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_tls_with_auth(cert: SelfSigned, security: str) -> None:
    with smtp_server(security, cert, auth=("alerts", PASSWORD)) as (server, box):
        channel = email_channel(server.port, security=security, username="alerts", ca_file=str(cert.cert),
                                password={"env": "CW_TEST_SMTP_PASSWORD"})
        message = _message()
        notifier_for(channel, RESOLVE).send(message)
    assert box.logins == ["alerts"]
    _assert_alert_mail(box, message)


def test_email_tls_refuses_untrusted_certificate(cert: SelfSigned) -> None:
    with smtp_server("ssl", cert) as (server, box), pytest.raises(DeliveryError, match="TLS") as caught:
        notifier_for(email_channel(server.port, security="ssl"), RESOLVE).send(_message())
    assert caught.value.transient is False and box.messages == []


def test_email_auth_failure_is_clear_and_scrubbed(cert: SelfSigned) -> None:
    wrong = {"CW_TEST_SMTP_PASSWORD": "wrong-but-secret-123"}
    with smtp_server("starttls", cert, auth=("alerts", PASSWORD)) as (server, box):
        channel = email_channel(server.port, security="starttls", username="alerts", ca_file=str(cert.cert),
                                password={"env": "CW_TEST_SMTP_PASSWORD"})
        with pytest.raises(DeliveryError) as caught:
            notifier_for(channel, env_secret_resolver(wrong)).send(_message())
    error = str(caught.value)
    assert "channel mail (email): SMTP authentication failed: 535" in error
    assert "wrong-but-secret-123" not in error and "[redacted]" in error  # the server echoed it; we did not
    assert caught.value.transient is False and box.messages == []


def test_email_server_down() -> None:
    expected = r"channel mail \(email\): SMTP 127.0.0.1:\d+ unreachable"
    with pytest.raises(DeliveryError, match=expected) as caught:
        notifier_for(email_channel(closed_port()), RESOLVE).send(_message())
    assert caught.value.transient is True


def test_email_username_without_password_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no password"):
        notifier_for(email_channel(25, username="alerts"), RESOLVE)


def test_webhook_signed_and_verified() -> None:
    with receiver(WEBHOOK_SECRET) as hook:
        message = _message()
        notifier = notifier_for(webhook_channel(hook.url + "/claimwatch"), RESOLVE)
        notifier.send(message)
        notifier.close()
    (got,) = hook.received
    assert got.error is None, got.error
    assert got.headers["webhook-id"] == message.key == Alert("mail", (UPDATED,)).key
    assert got.verified["type"] == "claimwatch.change"
    assert got.verified["data"]["events"][0]["value"] == "1000000000"
    assert got.verified["data"]["events"][0]["previous"]["value"] == "700000000"


def test_webhook_with_wrong_secret_fails_verification_and_is_not_retried() -> None:
    other = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
    with receiver(other) as hook, pytest.raises(DeliveryError, match="HTTP 401") as caught:
        notifier_for(webhook_channel(hook.url), RESOLVE).send(_message())
    assert hook.received[0].error == "No matching signature found"
    assert caught.value.transient is False
    assert WEBHOOK_SECRET not in str(caught.value)


@pytest.mark.parametrize(("status", "transient"), [(500, True), (503, True), (429, True), (404, False)])
def test_webhook_error_status(status: int, transient: bool) -> None:
    with receiver(WEBHOOK_SECRET) as hook:
        hook.behaviour.status = status
        with pytest.raises(DeliveryError, match=f"answered HTTP {status}") as caught:
            notifier_for(webhook_channel(hook.url), RESOLVE).send(_message())
    assert caught.value.transient is transient and caught.value.channel == "hook"


def test_webhook_timeout() -> None:
    with receiver(WEBHOOK_SECRET) as hook:
        hook.behaviour.delay = 1.0
        with pytest.raises(DeliveryError, match=r"channel hook \(webhook\): POST .* timed out after 0.2s"):
            notifier_for(webhook_channel(hook.url, timeout=0.2), RESOLVE).send(_message())


def test_webhook_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    with pytest.raises(DeliveryError, match="ConnectError") as caught:
        notifier_for(webhook_channel(url), RESOLVE).send(_message())
    assert caught.value.transient is True


def test_webhook_error_does_not_show_the_url_path() -> None:
    url = f"http://127.0.0.1:{closed_port()}/services/T000/B000/XXXXsecretpath"
    with pytest.raises(DeliveryError) as caught:
        notifier_for(webhook_channel(url), RESOLVE).send(_message())
    assert "XXXXsecretpath" not in str(caught.value) and "POST http://127.0.0.1:" in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "not a url", "http://"])
def test_webhook_url_must_be_http(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        notifier_for(webhook_channel(url), RESOLVE)


def test_webhook_bad_secret_is_a_config_error_without_the_secret() -> None:
    channel = webhook_channel("http://127.0.0.1:9/", secret={"env": "CW_TEST_BAD_SECRET"})
    with pytest.raises(ConfigError, match="not a base64") as caught:
        notifier_for(channel, RESOLVE)
    assert "!!!" not in str(caught.value)


def _apprise() -> AppriseChannel:
    return AppriseChannel(name="chat", url_secret={"env": "CW_TEST_APPRISE_URL"})  # type: ignore[arg-type]


def test_apprise_json_target() -> None:
    with receiver() as hook:
        url = hook.url.replace("http://", "json://") + "/notify"
        notifier = notifier_for(_apprise(), env_secret_resolver({"CW_TEST_APPRISE_URL": url}))
        message = _message()
        notifier.send(message)
    (body,) = hook.payloads()
    assert body["title"] == message.subject
    assert "over 700 million" in body["message"] and NEW_DOWNLOADS.evidence in body["message"]


def test_apprise_failure_is_clear_and_scrubbed() -> None:
    token = "tok3n-abcdef-987654"
    with receiver() as hook:
        hook.behaviour.status = 500
        url = hook.url.replace("http://", "json://") + f"/notify/{token}"
        notifier = notifier_for(_apprise(), env_secret_resolver({"CW_TEST_APPRISE_URL": url}))
        expected = r"channel chat \(apprise\): Apprise could not deliver"
        with pytest.raises(DeliveryError, match=expected) as caught:
            notifier.send(_message())
    assert token not in str(caught.value) and "\n" not in str(caught.value)


def test_apprise_url_not_understood() -> None:
    channel = AppriseChannel(name="chat", url="nosuchscheme://secret-token-value")
    with pytest.raises(ConfigError, match="does not understand") as caught:
        notifier_for(channel, RESOLVE)
    assert "secret-token-value" not in str(caught.value)


def test_email_channel_model_accepts_ca_file(tmp_path: Path) -> None:
    assert email_channel(25, ca_file=str(tmp_path / "ca.pem")).ca_file.endswith("ca.pem")
    assert isinstance(email_channel(25), EmailChannel)
