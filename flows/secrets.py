"""Secrets as the flows and the command line read them: environment variables, or Prefect Secret blocks."""

from __future__ import annotations

from alerts.secrets import SecretResolver
from app.runtime import secret_resolver as plain_resolver
from core.errors import ConfigError


def secret_resolver() -> SecretResolver:
    """The resolver the flows and commands use: a channel may name a Prefect Secret block."""
    return plain_resolver(blocks=prefect_secret)


def prefect_secret(name: str) -> str:
    """A Prefect Secret block's value; ConfigError naming the block (never its value)."""
    from prefect.blocks.system import Secret  # noqa: PLC0415 - loading Prefect costs a second; only here

    try:
        return str(Secret.load(name).get())
    except (ValueError, RuntimeError) as exc:
        problem = type(exc).__name__
        raise ConfigError(f"secret: Prefect Secret block {name!r} cannot be loaded ({problem})") from None
