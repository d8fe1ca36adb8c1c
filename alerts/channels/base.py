"""What every notifier shares: the channel, its resolved secrets, and one-line scrubbed errors.

A notifier raises DeliveryError (``transient`` says whether trying again may help) with a one-line
message naming the channel and the cause; every secret it resolved is scrubbed from that message.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from alerts.compose import Message
from alerts.secrets import SecretResolver, scrub
from core.config import AnyChannel, ChannelBase, channel_kind
from core.errors import DeliveryError


class Notifier(Protocol):
    """What every notifier offers: send one message, release what it holds."""

    def send(self, message: Message) -> None:
        """Deliver the message; raise DeliveryError on failure."""

    def close(self) -> None:
        """Release connections."""


class NotifierBase:
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
