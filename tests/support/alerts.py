"""Sample claims, events, channels and contexts for the alert tests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from alerts.context import AlertContext
from core.config import EmailChannel, WebhookChannel
from core.periods import LooseDate, Period
from core.types import ChangeEvent, ChangeKind, Claim, Metric, MetricKind, Qualifier

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the spec's example secret

METRICS = {
    "qwen_downloads": Metric("qwen_downloads", "Qwen", "count", MetricKind.CUMULATIVE,
                             label="Qwen downloads"),
    "qwen_derivatives": Metric("qwen_derivatives", "Qwen", "count", MetricKind.CUMULATIVE),
    "cloud_revenue": Metric("cloud_revenue", "Alibaba Cloud", "CNY", MetricKind.FLOW, label="Cloud revenue"),
    "cloud_growth": Metric("cloud_growth", "Alibaba Cloud", "percent", MetricKind.FLOW, label="Cloud growth"),
}
PUBLISHERS = {"https://news.example/qwen-1b": "Example News", "seed-001": "AInvest"}
URLS = {"seed-001": "https://ainvest.example/qwen"}


def claim(metric: str | None, value: str, *, unit: str = "count", qualifier: Qualifier = Qualifier.EXACT,
          period: str | None = None, forecast: bool = False, source: str = "https://news.example/qwen-1b",
          published: str = "2026-03-02", evidence: str = "", entity: str = "Qwen",
          published_source: str | None = "page") -> Claim:
    """A claim with sensible defaults."""
    return Claim(metric=metric, entity=entity, value=Decimal(value), unit=unit, qualifier=qualifier,
                 period=Period.parse(period) if period else None, forecast=forecast,
                 evidence=evidence or f"{entity} reported {value} ({metric}).", start=0, end=10,
                 source=source, published=LooseDate.parse(published), published_source=published_source)


OLD_DOWNLOADS = claim("qwen_downloads", "700000000", qualifier=Qualifier.OVER, source="seed-001",
                      published="2026-01-16", evidence="Qwen models have passed 700 million downloads.")
NEW_DOWNLOADS = claim("qwen_downloads", "1000000000", qualifier=Qualifier.OVER,
                      evidence="Downloads of Qwen <models> topped 1 billion, the company said.")
UPDATED = ChangeEvent(ChangeKind.UPDATED, NEW_DOWNLOADS, OLD_DOWNLOADS, Decimal("42.857142857"),
                      ("https://other.example/qwen",))
NEW = ChangeEvent(ChangeKind.NEW, claim("qwen_derivatives", "180000", qualifier=Qualifier.OVER))
CONFLICT = ChangeEvent(ChangeKind.CONFLICT, claim("qwen_downloads", "600000000", source="https://late.example/x"),
                       NEW_DOWNLOADS)


def context(events: Sequence[ChangeEvent] = ()) -> AlertContext:
    """A context with the sample catalog, history, publishers and links."""
    return AlertContext(metrics=METRICS, history={"qwen_downloads": [OLD_DOWNLOADS, NEW_DOWNLOADS]},
                        publishers=PUBLISHERS, urls=URLS)


def numbered_updates(count: int) -> list[ChangeEvent]:
    """Distinct `updated` events (distinct idempotency keys) for load and digest tests."""
    claims = [claim("qwen_downloads", str(1_000_000_000 + i), qualifier=Qualifier.OVER) for i in range(count)]
    return [ChangeEvent(ChangeKind.UPDATED, c, OLD_DOWNLOADS, Decimal(43)) for c in claims]


def webhook_channel(url: str, **extra: object) -> WebhookChannel:
    """A webhook channel whose secret comes from $CW_TEST_WEBHOOK_SECRET."""
    secret = {"env": "CW_TEST_WEBHOOK_SECRET"}
    settings = {"name": "hook", "url": url, "secret": secret, "timeout": 2.0, **extra}
    return WebhookChannel.model_validate(settings)


def email_channel(port: int, **extra: object) -> EmailChannel:
    """A plain SMTP channel on 127.0.0.1."""
    return EmailChannel.model_validate({"name": "mail", "host": "127.0.0.1", "port": port, "security": "none",
                                        "sender": "claimwatch@example.org", "recipients": ["ops@example.org"],
                                        "timeout": 2.0, **extra})
