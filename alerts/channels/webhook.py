"""The ``webhook`` channel: a JSON POST signed per the Standard Webhooks specification."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from alerts.channels.base import NotifierBase
from alerts.compose import Message
from alerts.secrets import SecretResolver
from core.config import WebhookChannel
from core.errors import ConfigError

TRANSIENT_HTTP = frozenset({408, 425, 429})  # client-side codes that mean "later", not "never"
USER_AGENT = "claimwatch-webhooks/0.1"
SECRET_PREFIX = "whsec_"  # Standard Webhooks: the secret is base64 after this prefix


class WebhookNotifier(NotifierBase):
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
