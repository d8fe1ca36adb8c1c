"""Notifiers: one class per channel kind, registered in NOTIFIERS; each sends a rendered Message.

A notifier names the config model it serves (``model``, one of core.config.CHANNEL_MODELS) and its
kind is that model's; NOTIFIERS is keyed by it, so a kind is written once, in its model.

A notifier raises DeliveryError (``transient`` says whether trying again may help) with a one-line
message naming the channel and the cause; every secret it resolved is scrubbed from that message.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import ClassVar, Protocol

import apprise
import httpx
from standardwebhooks import Webhook

from alerts.compose import Message
from alerts.secrets import SecretResolver, scrub
from core.config import AnyChannel, AppriseChannel, ChannelBase, EmailChannel, WebhookChannel, channel_kind
from core.errors import ConfigError, DeliveryError

log = logging.getLogger(__name__)

TRANSIENT_HTTP = frozenset({408, 425, 429})  # client-side codes that mean "later", not "never"
USER_AGENT = "claimwatch-webhooks/0.1"
SECRET_PREFIX = "whsec_"  # Standard Webhooks: the secret is base64 after this prefix


class Notifier(Protocol):
    """What every notifier offers: send one message, release what it holds."""

    def send(self, message: Message) -> None:
        """Deliver the message; raise DeliveryError on failure."""

    def close(self) -> None:
        """Release connections."""


class _Base:
    """Shared by notifiers: the channel, its resolved secrets, and a scrubbed error helper."""

    model: ClassVar[type[ChannelBase]]  # the config model this notifier serves

    def __init__(self, channel: AnyChannel, resolve: SecretResolver) -> None:
        self.channel = channel
        self.secrets: list[str] = []
        self._resolve = resolve

    @property
    def kind(self) -> str:
        """The channel kind served: the model's."""
        return channel_kind(self.model)

    def secret(self, ref: object) -> str:
        """Resolve a secret and remember it for scrubbing."""
        value = self._resolve(ref)  # type: ignore[arg-type]
        self.secrets.append(value)
        return value

    def fail(self, cause: str, *, transient: bool = True) -> DeliveryError:
        """A DeliveryError naming the channel and cause, with secrets scrubbed, on one line."""
        line = " ".join(scrub(cause, self.secrets).split())
        return DeliveryError(f"channel {self.channel.name} ({self.kind}): {line}",
                             channel=self.channel.name, transient=transient)

    def close(self) -> None:
        """Nothing to release by default."""


class EmailNotifier(_Base):
    """Email over SMTP: SSL or STARTTLS, optional AUTH, multipart plain text and HTML."""

    model = EmailChannel
    channel: EmailChannel

    def __init__(self, channel: EmailChannel, resolve: SecretResolver) -> None:
        super().__init__(channel, resolve)
        self.password = self.secret(channel.password) if channel.password else None
        if channel.username and self.password is None:
            raise ConfigError(f"channel {channel.name}: username is set but no password secret")

    def build(self, message: Message) -> EmailMessage:
        """The MIME message; its Message-ID derives from the idempotency key."""
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.channel.sender
        mail["To"] = ", ".join(self.channel.recipients)
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.channel.sender.rpartition("@")[2].strip("> ") or "claimwatch.invalid"
        mail["Message-ID"] = f"<{message.key}@{domain}>"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def connect(self) -> smtplib.SMTP:
        """An open SMTP session, secured and logged in as configured."""
        c = self.channel
        context = ssl.create_default_context(cafile=c.ca_file)
        if c.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            if c.security == "starttls":
                smtp.starttls(context=context)
            if c.username and self.password is not None:
                smtp.login(c.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: Message) -> None:
        """Send the message to every recipient."""
        try:
            smtp = self.connect()
            with smtp:
                smtp.send_message(self.build(message))
        except smtplib.SMTPAuthenticationError as exc:
            raise self.fail(f"SMTP authentication failed: {exc.smtp_code} {_text(exc.smtp_error)}",
                            transient=False) from None
        except smtplib.SMTPResponseException as exc:
            raise self.fail(f"SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                            transient=exc.smtp_code < 500) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self.fail(f"SMTP {self._where()} does not support what is configured: {exc}",
                            transient=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(exc.recipients)
            raise self.fail(f"SMTP recipients refused: {refused}", transient=False) from None
        except TimeoutError:
            raise self.fail(f"SMTP {self._where()} timed out after {self.channel.timeout:g}s") from None
        except ssl.SSLError as exc:
            reason = exc.reason or exc
            raise self.fail(f"TLS with {self._where()} failed: {reason}", transient=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self.fail(f"SMTP {self._where()} unreachable: {exc}") from None

    def _where(self) -> str:
        """host:port for messages."""
        return f"{self.channel.host}:{self.channel.port}"


def _text(raw: bytes | str) -> str:
    """An SMTP reply as text."""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class WebhookNotifier(_Base):
    """A JSON POST signed per the Standard Webhooks specification."""

    model = WebhookChannel
    channel: WebhookChannel

    def __init__(self, channel: WebhookChannel, resolve: SecretResolver) -> None:
        super().__init__(channel, resolve)
        secret = self.secret(channel.secret) if channel.secret else None
        self.signer = _signer(channel.name, secret) if secret else None
        self.client = httpx.Client(timeout=channel.timeout, follow_redirects=False,
                                   headers={"user-agent": USER_AGENT})
        self.where = _origin(channel.name, channel.url)  # the path may hold a token: errors show no more

    def headers(self, message: Message, body: str) -> dict[str, str]:
        """content-type and the webhook-id, -timestamp and -signature headers."""
        now = datetime.now(UTC)
        headers = {"content-type": "application/json", "webhook-id": message.key,
                   "webhook-timestamp": str(int(now.timestamp()))}
        if self.signer is not None:
            headers["webhook-signature"] = self.signer.sign(message.key, now, body)
        return headers

    def send(self, message: Message) -> None:
        """POST the payload; any answer outside 2xx is a failure."""
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":"))
        try:
            reply = self.client.post(self.channel.url, content=body.encode("utf-8"),
                                     headers=self.headers(message, body))
        except httpx.TimeoutException:
            raise self.fail(f"POST {self.where} timed out after {self.channel.timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise self.fail(f"POST {self.where} failed: {type(exc).__name__}: {exc}") from None
        if not reply.is_success:
            code = reply.status_code
            raise self.fail(f"POST {self.where} answered HTTP {code} {reply.reason_phrase}",
                            transient=code >= 500 or code in TRANSIENT_HTTP)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()


def _origin(channel: str, url: str) -> str:
    """scheme://host:port of a webhook URL, for error messages; ConfigError when it is no http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"channel {channel}: webhook url is not an http(s) URL")
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def _signer(channel: str, secret: str) -> Webhook:
    """A Standard Webhooks signer; ConfigError (without the secret) unless it is non-empty base64."""
    body = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        key = b""
    if not key:
        raise ConfigError(f"channel {channel}: webhook secret is not a base64 '{SECRET_PREFIX}' secret")
    return Webhook(key)


class AppriseNotifier(_Base):
    """Any Apprise URL (Slack, Discord, Teams, Telegram, ntfy, json:// …); the URL may hold a token."""

    model = AppriseChannel
    channel: AppriseChannel

    def __init__(self, channel: AppriseChannel, resolve: SecretResolver) -> None:
        super().__init__(channel, resolve)
        url = self.secret(channel.url_secret) if channel.url_secret else channel.url
        if not url:
            raise ConfigError(f"channel {channel.name}: apprise needs url or url_secret")
        self.secrets.append(url)  # a plain url may still carry a token
        self.apprise = apprise.Apprise()
        if not self.apprise.add(url):
            raise ConfigError(f"channel {channel.name}: Apprise does not understand the configured URL")

    def send(self, message: Message) -> None:
        """Notify through Apprise; its False becomes a DeliveryError with its last logged reason."""
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            ok = self.apprise.notify(title=message.subject, body=message.text)
        if not ok:
            lines = [ln for ln in captured.getvalue().splitlines() if ln.strip()]
            reason = lines[-1] if lines else "no reason given"
            raise self.fail(f"Apprise could not deliver: {reason}")


NOTIFIER_CLASSES: tuple[type[_Base], ...] = (EmailNotifier, WebhookNotifier, AppriseNotifier)
NOTIFIERS: dict[str, type[_Base]] = {channel_kind(n.model): n for n in NOTIFIER_CLASSES}


def notifier_for(channel: AnyChannel, resolve: SecretResolver) -> Notifier:
    """The notifier registered for the channel's kind, built with its secrets resolved."""
    try:
        cls = NOTIFIERS[channel.kind]
    except KeyError:
        raise ConfigError(f"channel {channel.name}: no notifier for kind {channel.kind!r}") from None
    return cls(channel, resolve)  # type: ignore[arg-type]
