"""Config loading: defaults, environment, and one-line errors naming file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Config, load_config
from core.errors import ConfigError


def test_missing_default_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert config == Config()


def test_named_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config.yaml: config file not found"):
        load_config(tmp_path / "config.yaml", env={})


def test_env_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("watch_terms: [Qwen]\n")
    assert load_config(env={"CLAIMWATCH_CONFIG": str(path)}).watch_terms == ("Qwen",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channels:\n  - {kind: webhook, name: w}\n", r"c.yaml: channels.0.webhook.url: Field required"),
        ("http: {max_bytes: lots}\n", r"c.yaml: http.max_bytes: Input should be a valid integer"),
        ("colour: blue\n", r"c.yaml: colour: Extra inputs are not permitted"),
        ("channels: [\n", r"c.yaml: not valid YAML \(line 2\)"),
        ("- a\n- b\n", r"c.yaml: expected a mapping"),
    ],
)
def test_bad_config_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(path, env={})
    assert "\n" not in str(info.value)


def test_database_url_precedence(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    assert config.resolved_database_url({}) == f"sqlite:///{tmp_path}/claimwatch.db"
    assert Config(database_url="sqlite://").resolved_database_url({}) == "sqlite://"
    env = {"CLAIMWATCH_DATABASE_URL": "postgresql+psycopg://x/y"}
    assert Config(database_url="sqlite://").resolved_database_url(env) == "postgresql+psycopg://x/y"


def test_data_dir_defaults_to_xdg(tmp_path: Path) -> None:
    assert Config().resolved_data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "claimwatch"
    assert Config().resolved_data_dir({"CLAIMWATCH_DATA_DIR": str(tmp_path)}) == tmp_path
