"""Delivery settings: from node.toml and HOURBRIDGE_* variables like every option, secrets only
from the environment or a file, and a channel configured without what it needs stops the node
at start-up with a message that says what to set."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from node.clock import FakeClock
from node.config import NodeConfig, load_config
from node.datadir import loose_modes
from node.errors import ConfigError
from node.notify.settings import (
    SMTP_PASSWORD_ENV,
    WEBHOOK_SECRET_ENV,
    load_settings,
)
from node.states import DeliveryChannel
from tests.support import build_node, make_config

LONG_SECRET = "s" * 32


def _config(tmp_path: Path, **notify: object) -> NodeConfig:
    return make_config(tmp_path / "node", "sh-pudong").model_copy(update=notify)


def test_no_channel_configured_sends_nothing(tmp_path: Path) -> None:
    assert load_settings(_config(tmp_path), env={}).channels == ()


def test_the_webhook_secret_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    config = _config(tmp_path, notify_webhook_url="https://gateway.example/hb",
                     notify_webhook_secret_file="webhook.secret")
    (config.data_path / "webhook.secret").write_text(LONG_SECRET + "\n")
    from_file = load_settings(config, env={}).webhook
    assert from_file is not None and from_file.secret == LONG_SECRET.encode()
    from_env = load_settings(config, env={WEBHOOK_SECRET_ENV: "e" * 40}).webhook
    assert from_env is not None and from_env.secret == b"e" * 40


@pytest.mark.parametrize(("notify", "env", "says"), [
    ({"notify_webhook_url": "https://gateway.example/hb"}, {}, WEBHOOK_SECRET_ENV),
    ({"notify_webhook_url": "https://gateway.example/hb"}, {WEBHOOK_SECRET_ENV: "short"},
     "at least 32"),
    ({"notify_webhook_url": "https://gateway.example/hb",
      "notify_webhook_secret_file": "missing.secret"}, {}, "cannot read"),
    ({"notify_smtp_host": "smtp.example"}, {}, "notify_smtp_from"),
    ({"notify_smtp_host": "smtp.example", "notify_smtp_from": "bank@example.org",
      "notify_smtp_user": "bank"}, {}, SMTP_PASSWORD_ENV),
])
def test_a_channel_without_what_it_needs_is_refused(
        tmp_path: Path, notify: dict[str, object], env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_config(tmp_path, **notify), env=env)
    assert says in refused.value.detail


def test_the_node_refuses_to_start_with_a_webhook_but_no_secret(tmp_path: Path,
                                                                clock: FakeClock) -> None:
    config = _config(tmp_path, notify_webhook_url="https://gateway.example/hb")
    with pytest.raises(ConfigError):
        build_node(config, clock, bootstrap=True)


def test_options_come_from_node_toml_and_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "node"
    data.mkdir()
    (data / "node.toml").write_text(tomli_w.dumps({
        "node_id": "sh-pudong", "region": "310115", "url": "http://sh.test",
        "notify_smtp_host": "smtp.example", "notify_smtp_from": "bank@example.org",
        "notify_attempts_max": 5}))
    config = load_config(data, env={"HOURBRIDGE_NOTIFY_SMTP_STARTTLS": "false",
                                    "HOURBRIDGE_NOTIFY_BATCH_SIZE_MAX": "7"})
    settings = load_settings(config, env={})
    assert settings.channels == (DeliveryChannel.EMAIL,)
    assert settings.smtp is not None and settings.smtp.starttls is False
    assert (settings.attempts_max, settings.batch_size_max) == (5, 7)


@pytest.mark.parametrize("option", [{"notify_webhook_url": "ftp://gateway.example"},
                                    {"notify_attempts_max": 0}, {"notify_attempts_max": 21},
                                    {"notify_webhook_timeout_s": 31},
                                    {"notify_batch_size_max": 501}])
def test_options_out_of_bounds_are_refused(tmp_path: Path, option: dict[str, object]) -> None:
    data = tmp_path / "node"
    data.mkdir()
    (data / "node.toml").write_text(tomli_w.dumps({
        "node_id": "sh-pudong", "region": "310115", "url": "http://sh.test", **option}))
    with pytest.raises(ConfigError):
        load_config(data, env={})


def test_a_secret_file_other_users_may_read_is_named_at_start(tmp_path: Path) -> None:
    config = _config(tmp_path, notify_webhook_secret_file="webhook.secret")
    secret = config.data_path / "webhook.secret"
    secret.write_text(LONG_SECRET)
    secret.chmod(0o644)
    assert any(entry.startswith(f"{secret} (mode 0644)") for entry in loose_modes(config))
    secret.chmod(0o600)
    assert not any("webhook.secret" in entry for entry in loose_modes(config))
