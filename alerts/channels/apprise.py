"""The ``apprise`` channel: any Apprise URL (Slack, Discord, Teams, Telegram, ntfy, json:// …)."""

from __future__ import annotations

import logging

import apprise

from alerts.channels.base import NotifierBase
from alerts.compose import Message
from alerts.secrets import SecretResolver
from core.config import AppriseChannel
from core.errors import ConfigError


class AppriseNotifier(NotifierBase):
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
