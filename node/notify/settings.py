"""The delivery settings of a node, from its config, with every limit named.

Secrets are never options of node.toml: the webhook's HMAC secret and the SMTP password come
from an environment variable or, failing that, from a file the config names (relative to the
data folder), as the signing key's passphrase comes from HOURBRIDGE_KEY_PASSPHRASE. A channel
that is configured without its secret stops the node at start-up (ConfigError), not at the
first notification.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from node.config import NodeConfig
from node.errors import ConfigError
from node.states import DeliveryChannel

WEBHOOK_SECRET_ENV = "HOURBRIDGE_NOTIFY_WEBHOOK_SECRET"
SMTP_PASSWORD_ENV = "HOURBRIDGE_NOTIFY_SMTP_PASSWORD"
SECRET_CHARS_MIN = 32  # an HMAC key a gateway and the node share: 256 bits as hex or base64
SECRET_FILE_BYTES_MAX = 4096
# Waits after the 1st, 2nd, ... failed attempt; past the end the last repeats. An attempt is
# claimed before it is sent and the wait doubles as its lease, so the first wait must exceed the
# longest send (the channels' timeouts are at most 30 s).
BACKOFF_S = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
# A notification first seen by the delivery tick later than this after it was made (delivery
# was off, or the node was down) is kept for the member's page but not sent: a message about a
# visit a day ago confuses more than it helps.
PLAN_AGE_MAX_MS = 24 * 3600 * 1000
EMAIL_FROM = re.compile(r"^[^@\s<>]{1,64}@[A-Za-z0-9.-]{1,253}$")


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: bytes
    timeout_s: float


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str
    timeout_s: float


@dataclass(frozen=True)
class DeliverySettings:
    node_id: str
    attempts_max: int
    batch_size_max: int
    webhook: WebhookSettings | None
    smtp: SmtpSettings | None
    backoff_s: tuple[int, ...] = BACKOFF_S
    plan_age_max_ms: int = PLAN_AGE_MAX_MS

    @property
    def channels(self) -> tuple[DeliveryChannel, ...]:
        found = [(DeliveryChannel.WEBHOOK, self.webhook), (DeliveryChannel.EMAIL, self.smtp)]
        return tuple(channel for channel, settings in found if settings is not None)

    def wait_ms(self, attempts: int) -> int:
        """How long after its `attempts`-th attempt a delivery is tried again."""
        return 1000 * self.backoff_s[min(max(attempts, 1), len(self.backoff_s)) - 1]


def _secret(config: NodeConfig, env: Mapping[str, str], variable: str, file: str,
            what: str) -> str:
    if env.get(variable):
        return env[variable]
    if not file:
        raise ConfigError(f"{what} needs a secret: set {variable} or name a file holding it")
    path = Path(file) if Path(file).is_absolute() else config.data_path / file
    try:
        raw = path.read_bytes()[:SECRET_FILE_BYTES_MAX + 1]
    except OSError as exc:
        raise ConfigError(f"cannot read the secret file {path} for {what}: {exc}") from exc
    if len(raw) > SECRET_FILE_BYTES_MAX:
        raise ConfigError(f"{path} is over {SECRET_FILE_BYTES_MAX} bytes: not a secret file")
    return raw.decode("utf-8", errors="strict").strip()


def _webhook(config: NodeConfig, env: Mapping[str, str]) -> WebhookSettings | None:
    if not config.notify_webhook_url:
        return None
    secret = _secret(config, env, WEBHOOK_SECRET_ENV, config.notify_webhook_secret_file,
                     "the notification webhook")
    if len(secret) < SECRET_CHARS_MIN:
        raise ConfigError(f"the notification webhook's secret has {len(secret)} characters; "
                          f"use at least {SECRET_CHARS_MIN} (e.g. `openssl rand -hex 32`)")
    return WebhookSettings(url=config.notify_webhook_url, secret=secret.encode("utf-8"),
                           timeout_s=float(config.notify_webhook_timeout_s))


def _smtp(config: NodeConfig, env: Mapping[str, str]) -> SmtpSettings | None:
    if not config.notify_smtp_host:
        return None
    if not EMAIL_FROM.fullmatch(config.notify_smtp_from):
        raise ConfigError("notify_smtp_from must be the sender's e-mail address when "
                          "notify_smtp_host is set")
    password = ""
    if config.notify_smtp_user:
        password = _secret(config, env, SMTP_PASSWORD_ENV, config.notify_smtp_password_file,
                           f"SMTP user {config.notify_smtp_user}")
    return SmtpSettings(host=config.notify_smtp_host, port=config.notify_smtp_port,
                        starttls=config.notify_smtp_starttls, user=config.notify_smtp_user,
                        password=password, sender=config.notify_smtp_from,
                        timeout_s=float(config.notify_smtp_timeout_s))


def load_settings(config: NodeConfig, env: Mapping[str, str] | None = None) -> DeliverySettings:
    """ConfigError, naming what to fix, for a channel configured without what it needs."""
    env = dict(os.environ) if env is None else env
    try:
        webhook, smtp = _webhook(config, env), _smtp(config, env)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"a notification secret file is not UTF-8 text: {exc}") from exc
    return DeliverySettings(node_id=config.node_id, attempts_max=config.notify_attempts_max,
                            batch_size_max=config.notify_batch_size_max, webhook=webhook,
                            smtp=smtp)
