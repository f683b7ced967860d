"""The portal's folder: private (0700), every file in it 0600, written whole and atomically.

    <folder>/portal.json     where the signed directory is, its pinned anchors, the authority
                             folder whose key signs the reports
    <folder>/tokens.json     a regulator token per node id (secrets: shown to nobody)
    <folder>/accounts.json   regulator accounts: username, Argon2id hash, lockout counters
    <folder>/audit.jsonl     every sign-in, refusal and report made, one JSON line each
    <folder>/history/<id>/   every federation report made: report.json/.csv/.html (history.py)

The directory is read again at every use: the authority republishes it, and the portal always
collects from the nodes (and checks their reports against) the newest one it holds. So is the
authority folder's signed link map, `links.json`, whose hubs a report's settlement figures are
for (none: a full mesh).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.datadir import PRIVATE_FILE_MODE, make_private_dir
from node.errors import ConfigError
from node.federation import parse_anchor
from node.reports.evidence import load_directory
from protocol.addresses import NODE_ID_PATTERN
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.links import accept_links
from protocol.wire import parse_object

CONFIG_FILE = "portal.json"
TOKENS_FILE = "tokens.json"
ACCOUNTS_FILE = "accounts.json"
AUDIT_FILE = "audit.jsonl"
HISTORY_DIR = "history"
# In the authority folder, beside its key (node/cli/authority.py LINKS_FILE; the CLI sits above
# the portal, so the name is repeated and a test holds the two equal).
LINK_MAP_FILE = "links.json"
FILE_BYTES_MAX = 16 * 1024 * 1024
TOKEN_CHARS_MAX = 200
NODES_MAX = 1_000


@dataclass(frozen=True)
class Settings:
    directory: Path
    anchors: tuple[str, ...]
    authority: Path


def write_private(path: Path, data: bytes) -> None:
    """`data` at `path`, mode 0600, replacing it atomically (a reader sees old or new)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, PRIVATE_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: object) -> None:
    write_private(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True)
                  .encode("utf-8"))


def read_json(path: Path, what: str) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} not found: run `hourbridge portal init`") from None
    if len(raw) > FILE_BYTES_MAX:
        raise ConfigError(f"{what} {path} is larger than {FILE_BYTES_MAX} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{what} {path} is not JSON: {exc}") from exc


class PortalFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.config_path = path / CONFIG_FILE
        self.tokens_path = path / TOKENS_FILE
        self.accounts_path = path / ACCOUNTS_FILE
        self.audit_path = path / AUDIT_FILE
        self.history_path = path / HISTORY_DIR

    def init(self, *, directory: Path, anchors: list[str], authority: Path) -> None:
        """Make the folder and its settings; refuses a folder that has them already. The
        directory must verify (against the anchors when given) before anything is written."""
        if self.config_path.exists():
            raise ConfigError(f"{self.config_path} exists already; refusing to start over")
        for anchor in anchors:
            parse_anchor(anchor)
        settings = Settings(directory.resolve(), tuple(anchors), authority.resolve())
        self.read_directory(settings)
        make_private_dir(self.path)
        make_private_dir(self.history_path)
        write_json(self.tokens_path, {})
        write_json(self.accounts_path, {})
        write_json(self.config_path, {"directory": str(settings.directory),
                                      "anchors": list(anchors),
                                      "authority": str(settings.authority)})

    def settings(self) -> Settings:
        found = read_json(self.config_path, "portal settings")
        try:
            return Settings(Path(found["directory"]), tuple(found["anchors"]),
                            Path(found["authority"]))
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{self.config_path} lacks {exc}") from exc

    def read_directory(self, settings: Settings | None = None) -> tuple[dict[str, Any],
                                                                        Directory]:
        """The signed directory document and its checked form (ConfigError if it does not
        verify against the pinned anchors, or its own key without them)."""
        settings = settings or self.settings()
        try:
            document = parse_object(settings.directory.read_bytes(), bytes_max=FILE_BYTES_MAX)
            anchors = [parse_anchor(a) for a in settings.anchors]
            return document, load_directory(document, anchors=anchors)
        except FileNotFoundError:
            raise ConfigError(f"directory {settings.directory} not found") from None
        except ProtocolError as exc:
            raise ConfigError(f"directory {settings.directory} does not verify: "
                              f"{exc.code.value}: {exc.detail}") from exc

    def read_link_map(self, directory: Directory) -> dict[str, Any] | None:
        """The authority folder's signed link map, accepted against `directory` as a node
        would accept it (ConfigError if not); None when the authority has signed none."""
        path = self.settings().authority / LINK_MAP_FILE
        if not path.exists():
            return None
        try:
            document = parse_object(path.read_bytes(), bytes_max=FILE_BYTES_MAX)
            accept_links(document, directory=directory, current=None)
        except ProtocolError as exc:
            raise ConfigError(f"link map {path} is refused against the directory: "
                              f"{exc.code.value}: {exc.detail}") from exc
        return document

    def tokens(self) -> dict[str, str]:
        found = read_json(self.tokens_path, "regulator tokens")
        if not isinstance(found, dict):
            raise ConfigError(f"{self.tokens_path} is not an object of tokens")
        return {str(k): str(v) for k, v in found.items()}

    def add_token(self, node_id: str, token: str) -> None:
        """Keep (or replace) the regulator token for `node_id`."""
        if not re.fullmatch(NODE_ID_PATTERN, node_id):
            raise ConfigError(f"node id {node_id!r} must match {NODE_ID_PATTERN}")
        if not 0 < len(token) <= TOKEN_CHARS_MAX or not token.isprintable() or " " in token:
            raise ConfigError(f"a token is 1 to {TOKEN_CHARS_MAX} printable characters "
                              "without spaces")
        tokens = self.tokens()
        if node_id not in tokens and len(tokens) >= NODES_MAX:
            raise ConfigError(f"at most {NODES_MAX} nodes")
        write_json(self.tokens_path, {**tokens, node_id: token})

    def audit(self, event: dict[str, Any]) -> None:
        """Append one line to the audit trail (0600); never a password or a token."""
        line = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.audit_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(line)
