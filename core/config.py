"""Configuration: one YAML file validated with pydantic, plus a few environment variables.

Where things are looked for:

* the config file: ``--config PATH``, else ``$CLAIMWATCH_CONFIG``, else
  ``$XDG_CONFIG_HOME/claimwatch/config.yaml`` (``~/.config/claimwatch/config.yaml``);
  a missing *default* file means "all defaults", a missing *named* file is a ConfigError;
* the data directory: ``data_dir`` in the file, else ``$CLAIMWATCH_DATA_DIR``, else
  ``$XDG_DATA_HOME/claimwatch`` (``~/.local/share/claimwatch``);
* the database: ``$CLAIMWATCH_DATABASE_URL``, else ``database_url`` in the file, else
  ``sqlite:///<data_dir>/claimwatch.db``.

Secrets never live in the file: a channel names the environment variable (or Prefect
Secret block) that holds its password, token or signing secret.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
)

from core.errors import ConfigError
from core.types import ALERTING_KINDS, ChangeKind

CONFIG_ENV = "CLAIMWATCH_CONFIG"
DATA_DIR_ENV = "CLAIMWATCH_DATA_DIR"
DATABASE_URL_ENV = "CLAIMWATCH_DATABASE_URL"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a news page is well under 10 MB; more is a mistake or an attack


class _Strict(BaseModel):
    """A config section: unknown keys are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Strict):
    """Where a secret is read from: an environment variable or a Prefect Secret block."""

    env: str | None = None
    prefect_block: str | None = None


class ChannelBase(_Strict):
    """What every notification channel shares: its name and what it receives."""

    name: str
    kinds: frozenset[ChangeKind] = ALERTING_KINDS
    metrics: frozenset[str] | None = None  # None: every metric
    min_change_pct: NonNegativeFloat = 0.0  # ignore updates smaller than this, in percent
    mode: Literal["each", "digest"] = "each"


class EmailChannel(ChannelBase):
    """Email over SMTP."""

    kind: Literal["email"] = "email"
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "starttls"
    username: str | None = None
    password: SecretRef | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: PositiveFloat = 30.0
    ca_file: str | None = None  # a CA bundle to trust, for a relay with a private certificate


class WebhookChannel(ChannelBase):
    """A Standard Webhooks endpoint."""

    kind: Literal["webhook"] = "webhook"
    url: str
    secret: SecretRef | None = None
    timeout: PositiveFloat = 15.0


class AppriseChannel(ChannelBase):
    """Any Apprise URL; the URL itself may carry a token, so it can come from a secret."""

    kind: Literal["apprise"] = "apprise"
    url: str | None = None
    url_secret: SecretRef | None = None


# The channel kinds, written once: the config's union and alerts.notifiers.NOTIFIERS derive from this tuple.
# Adding a kind: its model here (a ``kind`` Literal), its notifier in alerts/channels/<kind>.py (registered
# in alerts/notifiers.py NOTIFIER_CLASSES).
CHANNEL_MODELS: tuple[type[ChannelBase], ...] = (EmailChannel, WebhookChannel, AppriseChannel)
AnyChannel = Union[CHANNEL_MODELS]  # type: ignore[valid-type]  # noqa: UP007 - built from a tuple
Channel = Annotated[AnyChannel, Field(discriminator="kind")]


def channel_kind(model: type[ChannelBase]) -> str:
    """A channel model's kind: the default of its ``kind`` field."""
    return str(model.model_fields["kind"].default)


class HttpConfig(_Strict):
    """The shared HTTP client's limits and manners."""

    connect_timeout: PositiveFloat = 10.0
    read_timeout: PositiveFloat = 30.0  # longest wait for any single read
    total_timeout: PositiveFloat = 60.0  # whole body; stops servers that trickle bytes under the read timeout
    max_bytes: PositiveInt = DEFAULT_MAX_BYTES
    max_redirects: NonNegativeInt = 5
    retries: NonNegativeInt = 3
    per_host_concurrency: PositiveInt = 2
    politeness_delay: NonNegativeFloat = 1.0  # seconds between requests to one host
    user_agent: str = "claimwatch/0.1 (+https://github.com/claimwatch/claimwatch)"
    allow_private: bool = False  # any address that is not globally reachable (tests, a lab); metadata never
    allow_networks: tuple[str, ...] = ()  # CIDRs reachable although not global (a mirror, a test server)
    respect_robots: bool = True

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, networks: tuple[str, ...]) -> tuple[str, ...]:
        """Each one an IP network in CIDR form ("127.0.0.1/32", "10.0.0.0/8"); a mistake names it."""
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an IP network such as 127.0.0.1/32") from None
        return networks
    robots_ttl: NonNegativeFloat = 86400.0  # seconds a host's robots.txt is trusted (RFC 9309 §2.4: at most 24 h)


class Config(_Strict):
    """The whole configuration."""

    data_dir: Path | None = None
    database_url: str | None = None
    sources_file: Path | None = None  # None: the bundled data/sources.yaml
    # a user catalog (entities, metrics, watch terms added to data/entities.yaml and data/metrics.yaml or
    # overriding them by id); a relative path is read from the config file's folder
    catalog: Path | None = None
    watch_terms: tuple[str, ...] | None = None  # None: the catalog's watch terms; a list replaces them
    channels: list[Channel] = []
    http: HttpConfig = HttpConfig()
    task_runner: Literal["thread", "dask"] = "thread"
    # seconds one page may take to extract: a news page takes well under one, a page built to make the
    # extractor crawl (a 60 KB "sentence" of figures) is stopped here and recorded as that page's error
    extract_deadline: float = Field(default=60.0, gt=0)
    # newest items read per feed poll: news feeds list 10-100; a 70,000-item feed would queue 19 hours of
    # fetches at the default politeness, and its older items are a backfill's business
    max_items_per_poll: int = Field(default=200, gt=0)
    dask_address: str | None = None
    # where Google News article links are resolved (sources.googlenews); a test points it at a local server
    google_news_url: str = "https://news.google.com"

    def resolved_data_dir(self, env: Mapping[str, str] | None = None) -> Path:
        """The data directory, from the file, the environment or the XDG default."""
        env = os.environ if env is None else env
        if self.data_dir is not None:
            return self.data_dir.expanduser()
        if env.get(DATA_DIR_ENV):
            return Path(env[DATA_DIR_ENV]).expanduser()
        base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "claimwatch"

    def resolved_database_url(self, env: Mapping[str, str] | None = None) -> str:
        """The database URL, from the environment, the file or the default SQLite file."""
        env = os.environ if env is None else env
        if env.get(DATABASE_URL_ENV):
            return env[DATABASE_URL_ENV]
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir(env) / 'claimwatch.db'}"


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file is looked for when none is named."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "claimwatch" / "config.yaml"


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate the config file; raise ConfigError naming file, key and problem."""
    env = os.environ if env is None else env
    named = path or env.get(CONFIG_ENV)
    target = Path(named).expanduser() if named else default_config_path(env)
    if not target.exists():
        if named:
            raise ConfigError(f"{target}: config file not found")
        return Config()
    return _beside(parse_config(_read_yaml(target), target), target.parent)


def _beside(config: Config, folder: Path) -> Config:
    """The config with a relative `catalog` path read from ``folder`` (the config file's)."""
    if config.catalog is None:
        return config
    return config.model_copy(update={"catalog": folder / config.catalog.expanduser()})


def _read_yaml(target: Path) -> object:
    """Read a YAML file; raise ConfigError on unreadable or malformed YAML."""
    try:
        return yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{target}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{target}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def parse_config(data: object, origin: Path | str = "<config>") -> Config:
    """Validate parsed YAML as a Config; the first problem becomes a one-line ConfigError."""
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of settings at the top level")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        if first["type"] == "union_tag_invalid":  # "Input tag 'pager' found using 'kind' does not match ..."
            expected = first["ctx"]["expected_tags"]
            raise ConfigError(f"{origin}: {key}.kind: unknown channel kind {first['ctx']['tag']!r} "
                              f"(expected one of {expected})") from None
        raise ConfigError(f"{origin}: {key}: {first['msg']}") from None
