"""The notifier registry: every channel kind's notifier, listed once, keyed by its config model's kind.

Each notifier lives in its own module under ``alerts/channels/`` and names the model it serves
(``model``, one of core.config.CHANNEL_MODELS); adding a channel kind is its model there, one module
here, and one line in each list. tests/test_kinds.py checks that every model has exactly one notifier.
"""

from __future__ import annotations

from alerts.channels.apprise import AppriseNotifier
from alerts.channels.base import Notifier, NotifierBase
from alerts.channels.email import EmailNotifier
from alerts.channels.webhook import WebhookNotifier
from alerts.secrets import SecretResolver
from core.config import AnyChannel, channel_kind
from core.errors import ConfigError

__all__ = ["NOTIFIERS", "NOTIFIER_CLASSES", "Notifier", "notifier_for"]

NOTIFIER_CLASSES: tuple[type[NotifierBase], ...] = (EmailNotifier, WebhookNotifier, AppriseNotifier)
NOTIFIERS: dict[str, type[NotifierBase]] = {channel_kind(n.model): n for n in NOTIFIER_CLASSES}


def notifier_for(channel: AnyChannel, resolve: SecretResolver) -> Notifier:
    """The notifier registered for the channel's kind, built with its secrets resolved."""
    try:
        cls = NOTIFIERS[channel.kind]
    except KeyError:
        raise ConfigError(f"channel {channel.name}: no notifier for kind {channel.kind!r}") from None
    return cls(channel, resolve)  # type: ignore[arg-type]
