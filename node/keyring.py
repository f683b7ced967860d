"""The node's own signing keys over time: which one signs now, which ones verify old documents.

Private keys live in files (mode 0600): the first one at the config's `key_file`, rotated ones
under `keys/`. The `node_keys` table holds their history (key id, public key, validity window).
A node whose table is still empty (set up before key history existed) has exactly one key, its
`key_file`, valid since ever.

Which key signs: the newest one valid now whose private part this node holds, preferring keys
the federation directory already lists for this node valid now. Until the authority publishes
a rotated key, peers could not verify it, so the node keeps signing with the old one meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from node.clock import Clock
from node.config import NodeConfig
from node.db.engine import Database
from node.db.schema import node_keys
from node.errors import ConfigError
from node.keys import generate_key_file, load_key_file
from node.version import CAPABILITIES, SOFTWARE
from protocol.capabilities import NODE_INFO_KIND
from protocol.directory import Directory, KeyRecord
from protocol.signing import SigningKey, VerifyKey, sign_object
from protocol.version import STANDARD, STANDARD_REVISION

ROTATED_KEYS_DIR = "keys"
KEYS_DOCUMENT_KIND = "node_keys"


@dataclass(frozen=True)
class OwnKey:
    record: KeyRecord
    signing: SigningKey


class Keyring:
    def __init__(self, node_id: str, keys: Iterable[OwnKey]) -> None:
        self.node_id = node_id
        self.keys = sorted(keys, key=lambda k: k.record.valid_from_ms)
        if not self.keys:
            raise ConfigError("the node has no signing key")

    def signing_key(self, *, now_ms: int, directory: Directory | None) -> SigningKey:
        valid = [k for k in self.keys if k.record.valid_at(now_ms)]
        if not valid:
            raise ConfigError(self._none_valid(now_ms))
        entry = directory.node(self.node_id) if directory is not None else None
        if entry is not None:
            listed = [k for k in valid if (r := entry.key(k.record.key_id)) and r.valid_at(now_ms)]
            valid = listed or valid
        return valid[-1].signing

    def _none_valid(self, now_ms: int) -> str:
        """Why no key signs at `now_ms`: a key that starts later means this node's clock is
        behind (issue 17: rotating keys then only makes it worse); otherwise all have ended."""
        later = [k.record for k in self.keys if k.record.valid_from_ms > now_ms]
        if later:
            first = min(later, key=lambda r: r.valid_from_ms)
            return (f"no signing key of {self.node_id} is valid at this node's clock ({now_ms}):"
                    f" its key {first.key_id} starts {(first.valid_from_ms - now_ms) / 1000:.1f}"
                    " s later, so this node's clock is behind: fix NTP (do not rotate keys)")
        return f"no signing key of {self.node_id} is valid now (all have ended): rotate keys"

    def verify_key(self, key_id: str) -> VerifyKey | None:
        for own in self.keys:
            if own.record.key_id == key_id:
                return own.record.verify_key()
        return None

    def records(self) -> list[KeyRecord]:
        return [own.record for own in self.keys]


class Signer:
    """Signs as this node: the key that is right at the clock's time and the directory in force.

    The keyring can be swapped (`reload`) while the node runs, after `hourbridge keys rotate`.
    """

    def __init__(
        self, keyring: Keyring, *, clock: Clock, directory: Callable[[], Directory | None]
    ) -> None:
        self.keyring = keyring
        self.clock = clock
        self.directory = directory

    def key(self) -> SigningKey:
        return self.keyring.signing_key(now_ms=self.clock.now_ms(), directory=self.directory())

    def verify_key(self, key_id: str) -> VerifyKey | None:
        return self.keyring.verify_key(key_id)

    def keys_document(self) -> dict[str, Any]:
        """The node's verify keys, current and old, signed with its current key (§14)."""
        document = {
            "standard": "hourbridge/1",
            "kind": KEYS_DOCUMENT_KIND,
            "node_id": self.keyring.node_id,
            "issued_at_ms": self.clock.now_ms(),
            "keys": [record.model_dump(mode="json") for record in self.keyring.records()],
        }
        return sign_object(document, signer=self.keyring.node_id, key=self.key())

    def info_document(self) -> dict[str, Any]:
        """What this node runs and which features it speaks beyond the standard's revision
        (§16.2), signed like the keys document: a new document at a new path, so nodes that
        predate it never read it and closed member sets elsewhere stay closed."""
        document = {
            "standard": STANDARD,
            "kind": NODE_INFO_KIND,
            "node_id": self.keyring.node_id,
            "issued_at_ms": self.clock.now_ms(),
            "standard_revision": STANDARD_REVISION,
            "software": SOFTWARE,
            "capabilities": sorted(CAPABILITIES),
        }
        return sign_object(document, signer=self.keyring.node_id, key=self.key())


def _record(key: SigningKey, *, valid_from_ms: int, valid_until_ms: int | None) -> KeyRecord:
    return KeyRecord(
        key_id=key.key_id, public_key=key.verify_key().to_b64(),
        valid_from_ms=valid_from_ms, valid_until_ms=valid_until_ms,
    )


def load_keyring(
    db: Database, config: NodeConfig, *, passphrase: bytes | None,
    override: SigningKey | None = None,
) -> Keyring:
    """All of the node's keys. `override` stands in for the key file (tests use fixed keys)."""
    with db.read() as conn:
        rows = conn.execute(select(node_keys).order_by(node_keys.c.valid_from_ms)).all()
    if not rows:
        key = override or load_key_file(config.key_path, passphrase)
        return Keyring(config.node_id, [OwnKey(_record(key, valid_from_ms=0,
                                                       valid_until_ms=None), key)])
    owned = []
    for row in rows:
        if override is not None and override.key_id == row.key_id:
            key = override
        else:
            key = load_key_file(_key_path(config, row.key_file), passphrase)
        if key.key_id != row.key_id:
            raise ConfigError(f"{row.key_file} holds {key.key_id}, expected {row.key_id}")
        owned.append(OwnKey(_record(key, valid_from_ms=row.valid_from_ms,
                                    valid_until_ms=row.valid_until_ms), key))
    return Keyring(config.node_id, owned)


def _key_path(config: NodeConfig, key_file: str) -> Path:
    path = Path(key_file)
    return path if path.is_absolute() else config.data_path / path


def rotate_keys(
    db: Database, config: NodeConfig, *, now_ms: int, overlap_ms: int, passphrase: bytes | None
) -> KeyRecord:
    """Make a new key valid from now; every older key stops being valid after the overlap."""
    if overlap_ms < 0:
        raise ConfigError("the overlap cannot be negative")
    folder = config.data_path / ROTATED_KEYS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    staging = folder / f"new-{now_ms}.pem"
    key = generate_key_file(staging, passphrase)
    final = folder / f"{key.key_id.removeprefix('ed25519:')}.pem"
    staging.rename(final)
    closes_at_ms = now_ms + overlap_ms
    with db.write() as conn:
        if conn.execute(select(node_keys.c.key_id).limit(1)).first() is None:
            first = load_key_file(config.key_path, passphrase)
            conn.execute(insert(node_keys).values(
                key_id=first.key_id, public_key=first.verify_key().to_b64(),
                key_file=config.key_file, valid_from_ms=0, valid_until_ms=None,
            ))
        conn.execute(
            update(node_keys)
            .where((node_keys.c.valid_until_ms.is_(None))
                   | (node_keys.c.valid_until_ms > closes_at_ms))
            .values(valid_until_ms=closes_at_ms)
        )
        conn.execute(insert(node_keys).values(
            key_id=key.key_id, public_key=key.verify_key().to_b64(),
            key_file=str(final.relative_to(config.data_path)), valid_from_ms=now_ms,
            valid_until_ms=None,
        ))
    return _record(key, valid_from_ms=now_ms, valid_until_ms=None)


def register_first_key(db: Database, key: SigningKey, *, key_file: str, now_ms: int) -> None:
    """Record the key made at `hourbridge init` as the start of the history."""
    with db.write() as conn:
        if conn.execute(select(node_keys.c.key_id).limit(1)).first() is None:
            conn.execute(insert(node_keys).values(
                key_id=key.key_id, public_key=key.verify_key().to_b64(), key_file=key_file,
                valid_from_ms=now_ms, valid_until_ms=None,
            ))
