"""For tests/integration/test_conformance_kit.py: a target and a kit node under one signed
directory, and a lax target the kit must fail.

    cluster = KitCluster(tmp_path)        # target and kit initialised, directory signed
    cluster.start(TARGET)                 # only the target runs; the kit is never served
    with lax_target(cluster) as url: ...  # signs as the target, checks no signature
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from node.config import load_config, save_config
from node.keys import load_key_file
from protocol.canonical import canonical_bytes
from protocol.directory import Directory, decode_directory
from protocol.messages import RequestMessage, message_hash
from protocol.messages.other import AckBody, AckMessage
from protocol.messages.transfer import (
    PrepareMessage,
    ReceiptBody,
    ReceiptMessage,
    StatusAnswerBody,
    StatusAnswerMessage,
    StatusMessage,
    TransferState,
)
from protocol.reconciliation import admit_request, build_reply
from protocol.signing import SigningKey, sign_object
from protocol.transaction import build_response, decode_transaction
from tests.integration.conformance_fixtures import NEW_HOME, prepare_directory
from tests.integration.processes import Cluster, hourbridge

TARGET, KIT, MEMBER = "sh-pudong", "ck-kit", "conformance"
KIT_CAP_MINUTES = 1_000  # the kit's per-partner cap at the target: one prepare can pass it


class KitCluster(Cluster):
    """The target and the kit node; the directory gives the kit a cap it can pass."""

    def __init__(self, root: Path, *, new_home: bool = False) -> None:
        self.fixtures = root / "fixtures"
        # NEW_HOME: a node a member of the target moves to (creditor_relocated, for the kit)
        super().__init__(root, [TARGET, KIT, *([NEW_HOME] if new_home else [])])

    def _sign_directory(self) -> None:
        authority = self.root / "authority"
        published = self.root / "directory.json"
        auth = ("--authority", str(authority))
        hourbridge("directory", "init", "--federation-id", "cn-it", *auth)
        anchor = hourbridge("directory", "anchor", *auth).strip().splitlines()[-1]
        for node in self.nodes.values():
            cap = ["--cap-per-partner-minutes", str(KIT_CAP_MINUTES)] if node.node_id == KIT \
                else []
            hourbridge("directory", "add-node", "--node-data", str(node.data), "--url",
                       node.peer_url, *cap, *auth)
        prepare_directory(authority, KIT, self.fixtures)  # for the kit's --fixtures
        hourbridge("directory", "sign", "--publish", str(published), *auth)
        for node_id in set(self.nodes) - {KIT}:  # the kit is never served
            config = load_config(self.nodes[node_id].data, env={})
            save_config(config.model_copy(update={"directory_source": str(published),
                                                  "directory_anchors": [anchor]}))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _answer(message: RequestMessage, at_ms: int) -> Any:
    if isinstance(message, PrepareMessage):
        body = message.body
        return ReceiptMessage(message_id=message.message_id, body=ReceiptBody(
            in_reply_to=message.message_id, transfer_id=body.transfer_id,
            prepare_hash=message_hash(message), creditor=body.creditor,
            amount_minutes=body.amount_minutes, committed_at_ms=at_ms))
    if isinstance(message, StatusMessage):
        return StatusAnswerMessage(message_id=message.message_id, body=StatusAnswerBody(
            in_reply_to=message.message_id, transfer_id=message.body.transfer_id,
            state=TransferState.UNKNOWN, as_of_ms=at_ms, receipt=None, reject=None))
    return AckMessage(message_id=message.message_id,
                      body=AckBody(in_reply_to=message.message_id))


class LaxHandler(BaseHTTPRequestHandler):
    """Accepts every transaction that decodes, whoever signed it and whenever."""

    directory: Directory
    key: SigningKey

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/federation/v1/directory":
            self._reply(200, canonical_bytes(self.directory.to_json()))
            return
        entry = self.directory.node(TARGET)
        assert entry is not None
        keys = {"standard": "hourbridge/1", "kind": "node_keys", "node_id": TARGET,
                "issued_at_ms": now_ms(), "signatures": {},
                "keys": [k.model_dump(mode="json") for k in entry.keys]}
        self._reply(200, canonical_bytes(sign_object(keys, signer=TARGET, key=self.key)))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["content-length"]))
        if self.path.endswith("/reconciliation"):
            request = admit_request(raw, directory=self.directory, receiver=TARGET,
                                    now_ms=now_ms())
            self._reply(200, build_reply(request, result={"transactions": []},
                                         issued_at_ms=now_ms(), key=self.key))
            return
        try:
            transaction = decode_transaction(json.loads(raw))
        except ValueError:
            self._reply(422, b'{"reason": "malformed"}')
            return
        at_ms = now_ms()
        response = build_response(request=transaction, created_at_ms=at_ms, reason=None,
                                  answers=[_answer(m, at_ms) for m in transaction.messages],
                                  key=self.key)
        self._reply(200, canonical_bytes(response.to_json()))


@contextmanager
def lax_target(cluster: Cluster) -> Iterator[str]:
    """A lax target on loopback, signing as TARGET with its real key; yields its URL."""
    handler = type("Lax", (LaxHandler,), {
        "directory": decode_directory(json.loads((cluster.root / "directory.json").read_text())),
        "key": load_key_file(load_config(cluster[TARGET].data, env={}).key_path, None)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
