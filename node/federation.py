"""The federation as this node sees it: the directory in force, and admission of what peers send.

The directory is the trust root (docs/standard.md §13). The node pins the authority's public
key(s) in its config (`directory_anchors`), accepts a document only through
`protocol.directory.accept_directory`, and stores every accepted one. At start-up it replays the
stored ones in serial order through the same check, so a restart neither trusts an unverified
row nor forgets the newest serial (an older one stays refused).

The database, not this process's memory, is the record of what is held: another process on the
same database (`hourbridge federation load` beside a running node, a second `serve`) may store a
newer serial at any time. So every accept first adopts, inside the write lock, whatever newer
serials are stored, and only then decides whether the document is news; a serial is never
inserted twice, and a running node catches up with the CLI at its next refresh (`refresh`).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.engine import Database
from node.db.schema import directories
from node.errors import ConfigError, ErrorCode, FederationRefusal, NodeError
from protocol.directory import Directory, accept_directory, parse_key_text
from protocol.envelope import admit_transaction
from protocol.errors import ProtocolError
from protocol.signing import VerifyKey
from protocol.transaction import Transaction
from protocol.wire import parse_object

SOURCE_BYTES_MAX = 4 * 1024 * 1024
FETCH_TIMEOUT_S = 10.0


def parse_anchor(text: str) -> VerifyKey:
    """A pinned authority key from the config: `ed25519:AbCdEfGh=<base64url public key>`."""
    try:
        return parse_key_text(text)
    except ProtocolError as exc:
        raise ConfigError(f"directory anchor {text!r}: {exc.detail}") from exc


def read_document(source: str, *, what: str) -> dict[str, Any]:
    """The JSON object of an authority's document at `source`, a file path or an http(s) URL
    (the directory; the link map, node/linkmap.py), at most SOURCE_BYTES_MAX. ConfigError if
    it cannot be read, ProtocolError if it is not a JSON object."""
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=FETCH_TIMEOUT_S, follow_redirects=False)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ConfigError(f"cannot fetch the {what} from {source}: {exc}") from exc
        raw = response.content
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{what} file {source} not found")
        raw = path.read_bytes()
    if len(raw) > SOURCE_BYTES_MAX:
        raise ConfigError(f"{what} at {source} is over {SOURCE_BYTES_MAX} bytes")
    return parse_object(raw, bytes_max=SOURCE_BYTES_MAX)


class Accepted(Protocol):
    """What `store_accepted` records of an accepted authority document."""

    serial: int
    federation_id: str
    issued_at_ms: int

    def content_hash(self) -> str: ...


def store_accepted(conn: Connection, table: Table, accepted: Accepted,
                   document: dict[str, Any], *, now_ms: int) -> None:
    """One row of node/db/schema.py's `_authority_documents` tables: the document verbatim."""
    conn.execute(insert(table).values(
        serial=accepted.serial, federation_id=accepted.federation_id,
        issued_at_ms=accepted.issued_at_ms, content_hash=accepted.content_hash(),
        document=json.dumps(document, sort_keys=True, ensure_ascii=False),
        accepted_at_ms=now_ms,
    ))


def _refusal(code: ErrorCode, exc: ProtocolError) -> FederationRefusal:
    return FederationRefusal(code, exc.code.value, exc.detail)


class FederationService:
    def __init__(
        self, *, db: Database, clock: Clock, node_id: str, anchors: list[VerifyKey]
    ) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id
        self.anchors = anchors
        self._lock = threading.Lock()
        self._current = self._replay_stored()

    def current(self) -> Directory | None:
        return self._current

    def require_current(self) -> Directory:
        if self._current is None:
            raise NodeError(ErrorCode.NO_DIRECTORY, "this node holds no federation directory yet")
        return self._current

    def _replay_stored(self) -> Directory | None:
        with self.db.read() as conn:
            return self._newer_stored(conn, None)

    def _newer_stored(self, conn: Connection, held: Directory | None) -> Directory | None:
        """`held`, or the newest stored directory past it, each row checked in serial order
        against the one before, exactly as when it was first accepted."""
        query = select(directories.c.document).order_by(directories.c.serial)
        if held is not None:
            query = query.where(directories.c.serial > held.serial)
        for document in conn.execute(query).scalars():
            held = self._check(json.loads(document), held)
        return held

    def catch_up(self) -> bool:
        """Adopt what another process stored since this one last looked; True if it did."""
        with self._lock:
            before = self._current
            with self.db.read() as conn:
                self._current = self._newer_stored(conn, before)
            return self._current is not before

    def _check(self, document: object, held: Directory | None) -> Directory:
        if not self.anchors:
            raise ConfigError("no directory_anchors configured: the node cannot trust a directory")
        try:
            return accept_directory(document, anchors=self.anchors, current=held)
        except ProtocolError as exc:
            raise _refusal(ErrorCode.DIRECTORY_REFUSED, exc) from exc

    def accept(self, document: dict[str, Any]) -> tuple[Directory, bool]:
        """Verify and, if newer than anything stored, store `document`; hold the newest.

        Returns (directory in force, changed): `changed` is True when this process now holds
        a newer directory than before, whether `document` brought it or another process had
        stored it already (then `document` is a repeat and nothing is written)."""
        with self._lock:
            before = self._current
            with self.db.write() as conn:
                # Under the write lock no other process can store a serial between this read
                # and the insert below.
                held = self._current = self._newer_stored(conn, before)
                accepted = self._check(document, held)
                if accepted is not held:
                    store_accepted(conn, directories, accepted, document,
                                   now_ms=self.clock.now_ms())
            self._current = accepted
            return accepted, accepted is not before

    def refresh(self, source: str) -> bool:
        """What a running node does on its schedule and when its operator asks: adopt what
        another process stored, then load `source` if one is configured. True if the
        directory in force changed."""
        adopted = self.catch_up()
        if not source:
            return adopted
        _, loaded = self.load(source)
        return adopted or loaded

    def load(self, source: str) -> tuple[Directory, bool]:
        """Accept the directory at `source`: a file path or an http(s) URL."""
        try:
            document = read_document(source, what="directory")
        except ProtocolError as exc:
            raise _refusal(ErrorCode.DIRECTORY_REFUSED, exc) from exc
        return self.accept(document)

    def admit(self, raw: bytes, *, now_ms: int) -> Transaction:
        """Authenticate an incoming transaction against the directory in force (§5.4 steps
        1-11): signature, sender listed and active, key valid when it signed, receiver is us,
        clock skew, batch size. Chain and per-message checks follow in the transfer flow."""
        directory = self.require_current()
        try:
            return admit_transaction(raw, directory=directory, receiver=self.node_id,
                                     now_ms=now_ms)
        except ProtocolError as exc:
            raise _refusal(ErrorCode.TRANSACTION_REFUSED, exc) from exc
