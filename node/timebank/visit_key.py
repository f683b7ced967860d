"""The key that seals elders' visit codes at rest (docs/decisions.md, "Visit codes").

A visit code is shown again and again (on the elder's phone, on the card at her door), so it
cannot be kept as a hash. It is kept sealed with AES-256-GCM under a key of its own, which lives
in the data folder beside the node's signing key (`visit-codes.key`: 32 random bytes in hex,
mode 0600), never in the database: a copy of the database alone (a PostgreSQL dump, a backup
sent for support) reveals no code. The associated data names the member and the card number,
so a sealed code copied into another member's row does not open.

The key is made the first time a code is sealed, by linking a finished private file into place,
so two processes racing to make it both end up with the one that was linked first. A key that
is missing (a database restored without its data folder) makes every stored code unreadable:
`open` answers None, and the elder or her staff make a new code. A key file that is there but
not a key is never replaced by a new one: sealing then stops with a ConfigError naming the file,
for the operator to look at.
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from node.datadir import make_key_file, read_key_file
from node.errors import ConfigError

KEY_FILE = "visit-codes.key"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce, random per sealing
KEY_ADVICE = ("restore it from a backup, or move it away to start with a new key (every elder "
              "then needs a new visit code)")
SEALED_CHARS_MAX = 100  # base64 of nonce + a short code + the 16-byte tag: 48 for 6 digits


class VisitKey:
    """Seals and opens short secrets under the key file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def seal(self, secret: str, *, context: str) -> str:
        key = self._load(create=True)
        assert key is not None, "made above"
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(key).encrypt(nonce, secret.encode("utf-8"),
                                             context.encode("utf-8"))
        text = base64.urlsafe_b64encode(sealed).decode("ascii")
        assert len(text) <= SEALED_CHARS_MAX, "codes are short"
        return text

    def open(self, sealed: str, *, context: str) -> str | None:
        """The secret, or None when this node cannot open it (key lost or replaced)."""
        try:
            key = self._load(create=False)
        except ConfigError:
            return None
        if key is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                        context.encode("utf-8"))
        except (ValueError, InvalidTag):
            return None
        return plain.decode("utf-8")

    def _load(self, *, create: bool) -> bytes | None:
        with self._lock:
            if self._key is None:
                if not self.path.exists():
                    if not create:
                        return None
                    make_key_file(self.path, KEY_BYTES)
                self._key = read_key_file(self.path, KEY_BYTES, what="a visit-code key",
                                          advice=KEY_ADVICE)
            return self._key
