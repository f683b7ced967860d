"""The kit's side of one link to the target: its key and directory, its outgoing chain (held in
memory for the run), and reading what the target answers.

Everything the target says is checked with protocol/ exactly as a conforming peer would check
it: a response with §6.4's check against the transaction sent (admit_response), a problem
document by its `reason` member, a reconciliation reply with §20.4's (admit_reply).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.errors import ConfigError
from protocol.canonical import canonical_bytes
from protocol.directory import Directory, decode_directory
from protocol.envelope import admit_response, verify_evidence
from protocol.errors import ProtocolError
from protocol.fields import GENESIS_HASH
from protocol.policy import Policy
from protocol.reconciliation import admit_reply, build_request
from protocol.signing import SigningKey
from protocol.transaction import Outcome, Response, Transaction, build_transaction, decode_response
from protocol.wire import parse_object

DIRECTORY_FILE = "directory.json"  # what `hourbridge directory sign --publish DIR` writes
TRANSACTIONS_PATH = "/federation/v1/transactions"
RECONCILIATION_PATH = "/federation/v1/reconciliation"
JSON_HEADERS = {"content-type": "application/json"}
PROBLEM_BYTES_MAX = 65_536  # a problem document is small; more is not read


class KitError(ConfigError):
    """The kit cannot start: a key, a directory or a target it cannot use. (A ConfigError, so
    that it sits in the node's one error tree; node.errors is the kit's only import of node/.)"""


def system_now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_id() -> str:
    return uuid.uuid4().hex


def load_key(path: Path, passphrase: bytes | None = None) -> SigningKey:
    """The kit node's Ed25519 key: PKCS#8 PEM, as `hourbridge init` writes it."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (OSError, ValueError, TypeError) as exc:
        raise KitError(f"cannot load the kit's key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KitError(f"{path} does not hold an Ed25519 key")
    return SigningKey.from_private_key(key)


def load_directory(path: Path) -> Directory:
    """The signed directory the target holds: a file, or a folder with directory.json."""
    source = path / DIRECTORY_FILE if path.is_dir() else path
    try:
        return decode_directory(json.loads(source.read_bytes()))
    except (OSError, ValueError) as exc:
        raise KitError(f"cannot read the directory {source}: {exc}") from exc


@dataclass(frozen=True)
class Answer:
    """What the target answered to one posted document."""

    status: int
    raw: bytes
    code: str | None = None  # the reason of a refusal: a problem's or a signed response's
    response: Response | None = None  # a signed response that passed §6.4's check
    result: dict[str, Any] | None = None  # a reconciliation reply's result that passed §20.4
    error: str = ""  # why the answer could not be read as the standard says

    @property
    def accepted(self) -> bool:
        return self.response is not None and self.response.outcome is Outcome.ACCEPTED

    @property
    def signed_refusal(self) -> bool:
        return self.response is not None and self.response.outcome is Outcome.REFUSED

    def describe(self) -> str:
        if self.error:
            return f"HTTP {self.status}: {self.error}"
        if self.signed_refusal:
            return f"signed refused response `{self.code}`"
        if self.response is not None or self.result is not None:
            return f"HTTP {self.status}, signed answer"
        return f"HTTP {self.status} problem `{self.code}`"


def _problem(status: int, raw: bytes) -> Answer:
    try:
        document = json.loads(raw[:PROBLEM_BYTES_MAX])
    except ValueError:
        return Answer(status, raw, error="a refusal that is not a JSON problem document")
    reason = document.get("reason") if isinstance(document, dict) else None
    if not isinstance(reason, str):
        return Answer(status, raw, error="a problem document without a `reason` member")
    return Answer(status, raw, code=reason)


class Peer:
    """The kit acting as node `kit_id` on its link to `target_id`."""

    def __init__(self, *, http: httpx.Client, directory: Directory, key: SigningKey,
                 kit_id: str, target_id: str,
                 now_ms: Callable[[], int] = system_now_ms) -> None:
        self.http = http
        self.directory = directory
        self.key = key
        self.kit_id = kit_id
        self.target_id = target_id
        self.now_ms = now_ms
        self.sequence = 0
        self.head = GENESIS_HASH

    @property
    def policy(self) -> Policy:
        return self.directory.policy

    def transaction(self, messages: Sequence[dict[str, Any]], *, sequence: int | None = None,
                    prev_hash: str | None = None, created_at_ms: int | None = None,
                    transaction_id: str | None = None) -> Transaction:
        """A signed transaction on the kit's chain: by default the next one."""
        return build_transaction(
            transaction_id=transaction_id or new_id(), sender=self.kit_id,
            receiver=self.target_id,
            sequence=self.sequence + 1 if sequence is None else sequence,
            prev_hash=self.head if prev_hash is None else prev_hash,
            created_at_ms=self.now_ms() if created_at_ms is None else created_at_ms,
            messages=list(messages), key=self.key)

    def post(self, raw: bytes, path: str = TRANSACTIONS_PATH) -> httpx.Response:
        return self.http.post(path, content=raw, headers=JSON_HEADERS)

    def send(self, transaction: Transaction, raw: bytes | None = None) -> Answer:
        """Post a transaction; on an accepted answer to the next one, advance the chain."""
        body = canonical_bytes(transaction.to_json()) if raw is None else raw
        reply = self.post(body)
        if reply.status_code != httpx.codes.OK:
            return _problem(reply.status_code, reply.content)
        try:
            response = admit_response(reply.content, directory=self.directory,
                                      request=transaction)
        except ProtocolError as exc:
            return Answer(reply.status_code, reply.content, error=f"{exc.code}: {exc.detail}")
        answer = Answer(reply.status_code, reply.content, code=response.reason, response=response)
        if answer.accepted and transaction.sequence == self.sequence + 1:
            self.sequence, self.head = transaction.sequence, transaction.transaction_hash()
        return answer

    def send_raw(self, raw: bytes) -> Answer:
        """Post bytes that are no valid transaction of the kit; a 200 must still be a signed
        response of the target to the kit."""
        reply = self.post(raw)
        if reply.status_code != httpx.codes.OK:
            return _problem(reply.status_code, reply.content)
        try:
            document = parse_object(reply.content, bytes_max=self.policy.transaction_bytes_max)
            verify_evidence(document, directory=self.directory, time_member="created_at_ms")
            response = decode_response(document)
        except ProtocolError as exc:
            return Answer(reply.status_code, reply.content, error=f"{exc.code}: {exc.detail}")
        if (response.sender, response.receiver) != (self.target_id, self.kit_id):
            return Answer(reply.status_code, reply.content, error="a response on another link")
        return Answer(reply.status_code, reply.content, code=response.reason, response=response)

    def ask(self, op: str, args: dict[str, Any]) -> Answer:
        """One reconciliation request (§20); the reply's result, checked, or the refusal."""
        request = build_request(request_id=new_id(), sender=self.kit_id,
                                receiver=self.target_id, op=op, args=args,
                                issued_at_ms=self.now_ms(), key=self.key)
        reply = self.post(request, RECONCILIATION_PATH)
        if reply.status_code != httpx.codes.OK:
            return _problem(reply.status_code, reply.content)
        try:
            result = admit_reply(reply.content, directory=self.directory, request=request)
        except ProtocolError as exc:
            return Answer(reply.status_code, reply.content, error=f"{exc.code}: {exc.detail}")
        return Answer(reply.status_code, reply.content, result=result)
