"""Node configuration: `node.toml` in the data folder, overridden by HOURBRIDGE_* variables.

Precedence (last wins): defaults, the file, the environment. `HOURBRIDGE_DATABASE_URL`,
`HOURBRIDGE_HOST`, `HOURBRIDGE_PORT`, ... override the field of the same name, except what
`init` records about the database (`database_location`, `database_kind`), which
`NodeConfig.existing_database_url` checks every later command against.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from node.errors import ConfigError
from protocol.addresses import NODE_ID_PATTERN
from protocol.chain import WINDOW_DEFAULT, WINDOW_MAX

CONFIG_FILE = "node.toml"
KEY_FILE = "signing_key.pem"
ENV_PREFIX = "HOURBRIDGE_"
DATABASE_URL_ENV = "HOURBRIDGE_DATABASE_URL"
# Where `init` made the database, recorded in node.toml (never the URL of one from the
# environment, which may hold a password): "data_folder" (SQLite node.db there), "node_toml"
# (database_url in the file), "environment" (HOURBRIDGE_DATABASE_URL). Empty: a node.toml
# written before it was recorded, opened as before.
DatabaseLocation = Literal["", "data_folder", "node_toml", "environment"]
RECORDED_AT_INIT = frozenset({"database_location", "database_kind", "data_dir"})
LOCATION_WORDS = {"data_folder": "node.db in the data folder",
                  "node_toml": "database_url in node.toml", "environment": DATABASE_URL_ENV}


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    node_id: str = Field(pattern=NODE_ID_PATTERN)
    region: str = Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 administrative code")
    url: str = Field(pattern=r"^https?://", description="base URL peers use to reach this node")
    name: str = ""
    database_url: str = ""
    database_location: DatabaseLocation = Field(
        default="", description="where `init` made the database (recorded, not an override)")
    database_kind: str = Field(default="", pattern=r"^[a-z]*$",
                               description="sqlite or postgresql, recorded by `init`")
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=1, le=65535)
    key_file: str = KEY_FILE
    body_bytes_max: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    body_read_timeout_s: int = Field(
        default=15, ge=1, le=300,
        description="time a client has to send a request's whole body (408 body_timeout)",
    )
    keepalive_timeout_s: int = Field(
        default=5, ge=1, le=300, description="an idle kept-alive connection closes after this",
    )
    page_size_max: int = Field(default=200, ge=1, le=1000)
    checkpoint_interval_s: int = Field(default=3600, ge=0, description="0 disables")
    settlement_window_s: int = Field(
        default=0, ge=-1, le=7 * 86_400,
        description="how often to close a settlement window on each link this node closes "
        "(the one with the smaller node id); 0: the federation policy's settlement_window_ms "
        "(a day by default); -1: never on a schedule (closed on demand only)",
    )
    directory_source: str = Field(
        default="", description="file path or http(s) URL of the signed federation directory"
    )
    link_map_source: str = Field(
        default="", description="file path or http(s) URL of the signed link map (§22, draft); "
        "loaded on the directory's refresh, after it"
    )
    directory_anchors: list[str] = Field(
        default_factory=list,
        description="pinned authority keys, `ed25519:<id>=<base64url key>`; comma-separated in env",
    )
    directory_refresh_s: int = Field(default=300, ge=0, description="0: load only at start")
    transfer_expiry_s: int = Field(
        default=900, ge=60, le=604_800,
        description="lifetime of a transfer to another node before it is in doubt "
        "(clamped to the federation policy's expiry bounds)",
    )
    exchange_backoff_max_s: int = Field(
        default=30, ge=1, le=3600,
        description="longest wait between two attempts to reach an unreachable peer",
    )
    exchange_breaker_open_s: int = Field(
        default=30, ge=1, le=3600,
        description="after 5 failed attempts in a row, how long the sender to that peer rests "
        "(a random 50-100% of it) before it tries again",
    )
    exchange_window: int = Field(
        default=WINDOW_DEFAULT, ge=1, le=WINDOW_MAX,
        description="transactions in flight per link: how many this node sends to a peer that "
        "accepts as many, and how far ahead of its chain it holds a peer's early arrival "
        "(standard §6.5); 1: one at a time, as before",
    )
    policy_file: str = Field(
        default="", description="the node's time-bank policy, TOML or JSON (relative to the data "
        "folder); empty: the built-in default policy (docs/timebank.md)",
    )
    # Notifications (docs/notifications.md). Secrets are never options: the webhook secret and
    # the SMTP password come from HOURBRIDGE_NOTIFY_WEBHOOK_SECRET / HOURBRIDGE_NOTIFY_SMTP_PASSWORD
    # or from the files named here (relative to the data folder), like the key's passphrase.
    notify_interval_s: int = Field(
        default=15, ge=0, le=3600,
        description="seconds between notification delivery ticks; 0: no delivery (members "
        "still see their notifications)",
    )
    notify_batch_size_max: int = Field(
        default=50, ge=1, le=500, description="deliveries one tick attempts on each channel")
    notify_attempts_max: int = Field(
        default=8, ge=1, le=20, description="attempts per delivery before it is marked failed")
    notify_webhook_url: str = Field(
        default="", pattern=r"^(https?://\S+)?$", max_length=500,
        description="the city gateway's URL for signed notification POSTs; empty: no webhook",
    )
    notify_webhook_secret_file: str = ""
    notify_webhook_timeout_s: int = Field(default=10, ge=1, le=30)
    notify_smtp_host: str = Field(default="", max_length=253,
                                  description="SMTP server for e-mail notifications; empty: none")
    notify_smtp_port: int = Field(default=587, ge=1, le=65535)
    notify_smtp_starttls: bool = True
    notify_smtp_user: str = Field(default="", max_length=254)
    notify_smtp_password_file: str = ""
    notify_smtp_from: str = Field(default="", max_length=254)
    notify_smtp_timeout_s: int = Field(default=10, ge=1, le=30)
    data_dir: str = Field(default="", exclude=True)

    @field_validator("directory_anchors", mode="before")
    @classmethod
    def _split_anchors(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def key_path(self) -> Path:
        path = Path(self.key_file)
        return path if path.is_absolute() else self.data_path / path

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_path / 'node.db').resolve()}"

    def existing_database_url(self) -> str:
        """The URL of the database `init` made, for every command after it. Refuses, rather
        than open a new empty database: a URL node.toml says comes from the environment when
        the variable is missing, a database of another kind than the recorded one, an SQLite
        file that does not exist (only `init` creates one)."""
        if self.database_location == "environment" and not self.database_url:
            kind = f"{self.database_kind} " if self.database_kind else ""
            raise ConfigError(
                f"{DATABASE_URL_ENV} is not set, but {CONFIG_FILE} records that it names this "
                f"node's {kind}database: set it to the URL `hourbridge init` was given "
                "(nothing was opened or created)")
        url = self.resolved_database_url()
        if self.database_kind and database_kind(url) != self.database_kind:
            raise ConfigError(
                f"{CONFIG_FILE} records a {self.database_kind} database "
                f"({LOCATION_WORDS.get(self.database_location, 'recorded by init')}), but the "
                f"database URL in force is {database_kind(url)}: check {DATABASE_URL_ENV} and "
                "database_url")
        path = sqlite_path(url)
        if path is not None and not path.is_file():
            raise ConfigError(
                f"no database at {path}: only `hourbridge init` creates one; restore the "
                f"backup there, or name the node's database with {DATABASE_URL_ENV}")
        return url


def database_kind(url: str) -> str:
    """`postgresql+psycopg://...` -> postgresql, `sqlite:///...` -> sqlite."""
    return url.partition(":")[0].partition("+")[0].lower()


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for another database or an in-memory one."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix or ":memory:" in url:
        return None
    return Path(url.removeprefix(prefix).split("?", 1)[0])


def database_record(*, database_url_option: str,
                    env: dict[str, str]) -> tuple[DatabaseLocation, str]:
    """What `init` records about the database in node.toml: where its URL comes from, and its
    kind. The environment's URL itself is never recorded."""
    if database_url_option:
        return "node_toml", database_kind(database_url_option)
    if env.get(DATABASE_URL_ENV):
        return "environment", database_kind(env[DATABASE_URL_ENV])
    return "data_folder", "sqlite"


def _env_overrides(env: dict[str, str]) -> dict[str, Any]:
    fields = set(NodeConfig.model_fields) - RECORDED_AT_INIT
    return {
        name: env[ENV_PREFIX + name.upper()] for name in fields if ENV_PREFIX + name.upper() in env
    }


def load_config(data_dir: Path, env: dict[str, str] | None = None) -> NodeConfig:
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"no {CONFIG_FILE} in {data_dir}: run `hourbridge init` first")
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    values.update(_env_overrides(dict(os.environ) if env is None else env))
    values["data_dir"] = str(data_dir.resolve())
    try:
        return NodeConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def save_config(config: NodeConfig) -> Path:
    path = config.data_path / CONFIG_FILE
    values = config.model_dump(exclude={"data_dir"})
    # Mode 0600 from the first byte (and for a file that was looser): it may hold a database
    # password (node/datadir.py).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(tomli_w.dumps(values))
    return path
