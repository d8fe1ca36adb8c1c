"""Secrets for channels: resolved through a function passed in, and scrubbed from every message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from core.config import SecretRef
from core.errors import ConfigError

SecretResolver = Callable[[SecretRef], str]

REDACTED = "[redacted]"
MIN_FRAGMENT = 6  # URL parts shorter than this are schemes, ports or ids, not tokens worth hiding
_URL_SPLIT = re.compile(r"[/:@?&=#,;+ ]+")


def env_secret_resolver(environ: Mapping[str, str]) -> SecretResolver:
    """A resolver that reads each secret from the named environment variable."""

    def resolve(ref: SecretRef) -> str:
        """The secret's value; ConfigError naming the variable (never the value) when unset."""
        if ref.env is None:
            raise ConfigError(f"secret: Prefect block {ref.prefect_block!r} needs the flows' resolver")
        value = environ.get(ref.env, "")
        if not value:
            raise ConfigError(f"secret: environment variable {ref.env} is not set")
        return value

    return resolve


def secret_fragments(secret: str) -> list[str]:
    """The secret and, for a URL, each long part of it (a token may be echoed alone)."""
    parts = [secret]
    if "://" in secret:
        rest = secret.split("://", 1)[1]
        parts.extend(p for p in _URL_SPLIT.split(rest) if len(p) >= MIN_FRAGMENT)
    return sorted(set(parts), key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret (and every long fragment of a secret URL) replaced."""
    for secret in secrets:
        for fragment in secret_fragments(secret):
            text = text.replace(fragment, REDACTED)
    return text
