from __future__ import annotations

import stat
from pathlib import Path

import pytest

from node.clock import FakeClock
from node.config import load_config, save_config
from node.errors import ConfigError
from node.keys import generate_key_file, load_key_file
from tests.support import START_MS, build_node, make_config


def test_key_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    key = generate_key_file(path, passphrase=None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path, None).key_id == key.key_id


def test_passphrase_protects_the_key(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    key = generate_key_file(path, passphrase=b"correct horse")
    assert b"ENCRYPTED" in path.read_bytes()
    assert load_key_file(path, b"correct horse").key_id == key.key_id
    with pytest.raises(ConfigError, match="HOURBRIDGE_KEY_PASSPHRASE"):
        load_key_file(path, None)
    with pytest.raises(ConfigError):
        load_key_file(path, b"wrong")


def test_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    generate_key_file(path, passphrase=None)
    with pytest.raises(ConfigError, match="refusing"):
        generate_key_file(path, passphrase=None)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    save_config(make_config(tmp_path, "sh-pudong"))
    config = load_config(tmp_path, env={"HOURBRIDGE_PORT": "9123",
                                        "HOURBRIDGE_DATABASE_URL": "sqlite:///x.db"})
    assert (config.port, config.database_url) == (9123, "sqlite:///x.db")
    assert load_config(tmp_path, env={}).port == 8700


@pytest.mark.parametrize("env", [{"HOURBRIDGE_PORT": "not-a-port"}, {"HOURBRIDGE_NODE_ID": "X"}])
def test_bad_configuration_is_refused_clearly(tmp_path: Path, env: dict[str, str]) -> None:
    save_config(make_config(tmp_path, "sh-pudong"))
    with pytest.raises(ConfigError):
        load_config(tmp_path, env=env)


def test_missing_config_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hourbridge init"):
        load_config(tmp_path)


def test_exchange_retry_timing_comes_from_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path, "sh-pudong").model_copy(
        update={"exchange_backoff_max_s": 2, "exchange_breaker_open_s": 3})
    node = build_node(config, FakeClock(START_MS), bootstrap=True)
    try:
        settings = node.exchange.runner.settings
        assert (settings.backoff_max_s, settings.breaker_open_s) == (2, 3)
    finally:
        node.close()
    save_config(make_config(tmp_path, "sh-pudong"))
    env = {"HOURBRIDGE_EXCHANGE_BREAKER_OPEN_S": "1"}
    assert load_config(tmp_path, env=env).exchange_breaker_open_s == 1
