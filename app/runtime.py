"""What one run needs, built once from the config: the store, the pipeline, secrets and HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.secrets import SecretResolver, env_secret_resolver
from app.pipeline import Pipeline
from core.config import Config, SecretRef, load_config
from core.errors import ConfigError
from extractors.catalog import Catalog, load_catalog
from storage import Store

if TYPE_CHECKING:
    from sources.http import HttpClient


@dataclass
class Runtime:
    """The configured pieces of one claimwatch process."""

    config: Config
    store: Store
    data_dir: Path  # where the SQLite database, reports and other files of this installation live

    @cached_property
    def catalog(self) -> Catalog:
        """The shipped catalog with the config's user catalog (`catalog`); ConfigError when it is bad."""
        return load_catalog(user=self.config.catalog)

    @cached_property
    def pipeline(self) -> Pipeline:
        """The ingest pipeline over this store, reading with this catalog."""
        return Pipeline(self.store, self.config, self.catalog)

    @property
    def watch_terms(self) -> tuple[str, ...]:
        """The words that make a feed entry worth fetching (see ``watch_terms``)."""
        return watch_terms(self.config, self.catalog)

    def http_client(self) -> HttpClient:
        """A new HTTP client with the configured limits (close it, or use it in a with block)."""
        from sources.http import HttpClient  # noqa: PLC0415 - httpx loads only for commands that fetch

        return HttpClient(self.config.http)

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()


def open_runtime(config_path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Runtime:
    """Load the config, make the data directory and open (and migrate) the database."""
    env = os.environ if env is None else env
    config = load_config(config_path, env)
    url = config.resolved_database_url(env)
    data_dir = config.resolved_data_dir(env)
    if url.startswith("sqlite:///"):  # on PostgreSQL nothing needs it until a command writes a file there
        make_data_dir(data_dir)
    return Runtime(config, Store.open(url), data_dir)


def watch_terms(config: Config, catalog: Catalog) -> tuple[str, ...]:
    """The config's `watch_terms` when it lists them, else the catalog's (data's and the user catalog's)."""
    return catalog.watch_terms if config.watch_terms is None else config.watch_terms


def make_data_dir(folder: Path) -> None:
    """Create the data directory; ConfigError naming it when that is impossible."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"data_dir: {folder}: cannot create the data directory: {exc.strerror}") from None


def secret_resolver(env: Mapping[str, str] | None = None,
                    blocks: Callable[[str], str] | None = None) -> SecretResolver:
    """Secrets from environment variables, or from ``blocks`` (flows/secrets.py: Prefect Secret blocks) when a
    channel names a block; ConfigError naming the block when no reader of blocks is given."""
    from_env = env_secret_resolver(os.environ if env is None else env)

    def resolve(ref: SecretRef) -> str:
        """The secret's value, from wherever the reference points."""
        if ref.env is not None:
            return from_env(ref)
        if blocks is None:
            raise ConfigError(f"secret: block {ref.prefect_block!r} needs Prefect: run it from the flows or CLI")
        return blocks(ref.prefect_block or "")

    return resolve
