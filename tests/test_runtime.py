"""The runtime's secret resolver: environment variables, and Prefect Secret blocks on a real Prefect server."""

from __future__ import annotations

import pytest
from support.flows import harness_url

from app.runtime import secret_resolver
from core.config import SecretRef
from core.errors import ConfigError
from flows.secrets import prefect_secret


def test_environment_secret() -> None:
    resolve = secret_resolver({"HOOK_SECRET": "whsec_abc"})
    assert resolve(SecretRef(env="HOOK_SECRET")) == "whsec_abc"
    with pytest.raises(ConfigError, match="MISSING_SECRET"):
        resolve(SecretRef(env="MISSING_SECRET"))


def test_prefect_secret_block() -> None:
    harness_url()
    from prefect.blocks.system import Secret

    Secret(value="s3cret-token-value").save("claimwatch-test-secret", overwrite=True)
    resolve = secret_resolver({}, blocks=prefect_secret)
    assert resolve(SecretRef(prefect_block="claimwatch-test-secret")) == "s3cret-token-value"
    with pytest.raises(ConfigError, match="no-such-block") as info:
        resolve(SecretRef(prefect_block="no-such-block"))
    assert "s3cret" not in str(info.value)


def test_a_block_without_a_reader_of_blocks_is_one_line() -> None:
    with pytest.raises(ConfigError, match="'hook' needs Prefect"):
        secret_resolver({})(SecretRef(prefect_block="hook"))
