"""The federation authority's working folder (docs/operations.md, "Federation authority").

    <folder>/authority_key.pem          Ed25519 key, PKCS#8, mode 0600, optional passphrase
    <folder>/authority.json             federation id and display name, written once by init
    <folder>/draft.json                 the next directory's body: authority keys, policy, nodes
    <folder>/directory.json             the last signed directory
    <folder>/directory-<serial>.json    every signed directory, never overwritten
    <folder>/links.json                 the last signed link map (§22, draft)
    <folder>/links-<serial>.json        every signed link map, never overwritten

Commands read the draft, change it through pure functions and write it back whole. One operator
at a time: there is no lock, and two commands racing on one folder can lose a change.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from node.errors import ConfigError
from node.keys import generate_key_file, load_key_file
from protocol.addresses import NODE_ID_PATTERN
from protocol.directory import Directory, KeyRecord, NodeEntry, decode_directory
from protocol.errors import ProtocolError
from protocol.fields import Model, NodeId
from protocol.links import LinkMap, decode_links
from protocol.policy import DEFAULT_POLICY, Policy
from protocol.signing import SigningKey

KEY_FILE = "authority_key.pem"
META_FILE = "authority.json"
DRAFT_FILE = "draft.json"
CURRENT_FILE = "directory.json"
LINKS_FILE = "links.json"
DOCUMENT_BYTES_MAX = 16 * 1024 * 1024  # 1 000 nodes x 64 keys fit with room to spare


class Draft(Model):
    """What the authority will sign next: a directory without serial, time and signature."""

    federation_id: NodeId
    authority_keys: list[KeyRecord]
    policy: Policy
    nodes: list[NodeEntry]

    def node(self, node_id: str) -> NodeEntry:
        found = next((node for node in self.nodes if node.node_id == node_id), None)
        if found is None:
            raise ConfigError(f"node {node_id} is not in the directory; add it with add-node")
        return found

    def with_node(self, entry: NodeEntry) -> Draft:
        """Add `entry` or replace the node of the same id, keeping nodes sorted by node_id."""
        others = [node for node in self.nodes if node.node_id != entry.node_id]
        nodes = sorted([*others, entry], key=lambda node: node.node_id)
        return self.model_copy(update={"nodes": nodes})

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def same_as(self, directory: Directory) -> bool:
        signed = directory.to_json()
        return self.body() == {name: signed[name] for name in Draft.model_fields}


def problem(exc: ValidationError | ProtocolError) -> str:
    """One line an operator can act on, instead of pydantic's multi-line report."""
    if isinstance(exc, ProtocolError):
        cause = exc.__cause__
        detail = problem(cause) if isinstance(cause, ValidationError) else exc.detail
        return f"{exc.code.value}: {detail}"
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "value"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def atomic_write_json(path: Path, obj: object) -> None:
    """Write whole or not at all: a reader (a node polling a published file) never sees half."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes 0600; a directory is public
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"{path} not found: is this an authority folder (directory init)?")
    if path.stat().st_size > DOCUMENT_BYTES_MAX:
        raise ConfigError(f"{path} is larger than {DOCUMENT_BYTES_MAX} bytes")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not JSON: {exc}") from exc


class AuthorityFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.key_path = path / KEY_FILE
        self.draft_path = path / DRAFT_FILE
        self.current_path = path / CURRENT_FILE

    def history_path(self, serial: int) -> Path:
        return self.path / f"directory-{serial}.json"

    def create(
        self, *, federation_id: str, name: str, passphrase: bytes | None, now_ms: int
    ) -> SigningKey:
        # Checked before the key exists, so a typo leaves no half-made folder behind.
        if not re.fullmatch(NODE_ID_PATTERN, federation_id):
            raise ConfigError(f"federation id {federation_id!r} must match {NODE_ID_PATTERN}")
        for existing in (self.path / META_FILE, self.draft_path, self.key_path):
            if existing.exists():
                raise ConfigError(f"{existing} exists already; refusing to start over")
        self.path.mkdir(parents=True, exist_ok=True)
        key = generate_key_file(self.key_path, passphrase)
        draft = Draft(
            federation_id=federation_id,
            authority_keys=[KeyRecord.for_key(key.verify_key(), valid_from_ms=now_ms)],
            policy=DEFAULT_POLICY,
            nodes=[],
        )
        self.save_draft(draft)
        atomic_write_json(self.path / META_FILE, {"federation_id": federation_id, "name": name})
        return key

    def name(self) -> str:
        meta = _read_json(self.path / META_FILE)
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""

    def load_key(self, passphrase: bytes | None) -> SigningKey:
        return load_key_file(self.key_path, passphrase)

    def load_draft(self) -> Draft:
        try:
            return Draft.model_validate(_read_json(self.draft_path))
        except ValidationError as exc:
            raise ConfigError(f"{self.draft_path} is not a valid draft: {problem(exc)}") from exc

    def save_draft(self, draft: Draft) -> None:
        atomic_write_json(self.draft_path, draft.body())

    def load_current(self) -> Directory | None:
        if not self.current_path.exists():
            return None
        try:
            return decode_directory(_read_json(self.current_path))
        except ProtocolError as exc:
            raise ConfigError(f"{self.current_path}: {problem(exc)}") from exc

    def store_signed(self, signed: dict[str, Any]) -> Path:
        """Record a signed directory: first its history file, then the current one."""
        return _store(signed, self.history_path(signed["serial"]), self.current_path)

    def load_links(self) -> LinkMap | None:
        """The last signed link map, if any."""
        path = self.path / LINKS_FILE
        if not path.exists():
            return None
        try:
            return decode_links(_read_json(path))
        except ProtocolError as exc:
            raise ConfigError(f"{path}: {problem(exc)}") from exc

    def store_links(self, signed: dict[str, Any]) -> Path:
        """Record a signed link map as a directory is recorded: history first, then current."""
        history = self.path / f"links-{signed['serial']}.json"
        return _store(signed, history, self.path / LINKS_FILE)


def _store(signed: dict[str, Any], history: Path, current: Path) -> Path:
    # O_EXCL: a serial is signed once. Overwriting history would hide that two different
    # documents went out under one serial, which nodes refuse as directory_conflict.
    try:
        fd = os.open(history, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError as exc:
        raise ConfigError(f"{history} exists already; serial was signed before") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(signed, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")
    atomic_write_json(current, signed)
    return history
