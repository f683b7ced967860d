"""The node holds the federation directory: verified, persisted, never replaced by an older one,
and used to admit (or refuse, with the standard's reason) what peers send."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.clock import FakeClock
from node.db.schema import directories
from node.errors import ConfigError, FederationRefusal
from node.runtime import Node
from protocol.directory import key_text
from protocol.signing import VerifyKey
from tests.support import build_node, directory_document, make_config

VECTORS = Path(__file__).resolve().parents[3] / "schemas" / "vectors"
# Negative vectors whose refusal comes after admission (standard §5.4 steps 1-11): from the
# link's chain (§6.3) or from the per-message checks (§8.1, §9.2) of the transfer flow. Every
# other negative vector must be refused while admitting, with the vector's reason code.
REFUSED_AFTER_ADMISSION = {
    "prev_hash_mismatch", "replayed_sequence", "sequence_gap", "transaction_id_conflict",
    "expired", "expiry_out_of_bounds", "relocation_expired", "statement_not_from_sender",
    "prepare_at_expiry", "amount_over_policy",
}


def test_a_newer_serial_replaces_and_an_older_one_is_refused_even_after_restart(
    node: Node, clock: FakeClock
) -> None:
    first, _ = node.federation.accept(directory_document(["sh-pudong", "nj-gulou"]))
    second, changed = node.federation.accept(
        directory_document(["sh-pudong", "nj-gulou"], serial=2,
                           status={"nj-gulou": "suspended"})
    )
    assert (first.serial, second.serial, changed) == (1, 2, True)
    config = node.config
    node.close()
    reopened = build_node(config, clock, bootstrap=False)
    try:
        assert reopened.federation.require_current().serial == 2
        with pytest.raises(FederationRefusal) as err:
            reopened.federation.accept(directory_document(["sh-pudong", "nj-gulou"]))
        assert err.value.reason == "directory_stale"
        again, changed = reopened.federation.accept(
            directory_document(["sh-pudong", "nj-gulou"], serial=2,
                               status={"nj-gulou": "suspended"})
        )
        assert (again.serial, changed) == (2, False)
    finally:
        reopened.close()


def test_a_serial_another_process_stored_is_adopted_at_refresh_not_inserted_again(
    sqlite_node: Node, clock: FakeClock, tmp_path: Path
) -> None:
    """Issue 12, finding 3: `hourbridge federation load` on the data folder of a running node
    stores serial 2 beside it; the running node's next refresh reads serial 2 from its source
    too. It must adopt the stored row, not insert serial 2 a second time."""
    running = sqlite_node
    running.federation.accept(directory_document(["sh-pudong", "nj-gulou"]))
    suspended = directory_document(["sh-pudong", "nj-gulou"], serial=2,
                                   status={"nj-gulou": "suspended"})
    source = tmp_path / "directory.json"
    source.write_text(json.dumps(suspended))
    cli = build_node(running.config, clock, bootstrap=False)  # the CLI's own process
    try:
        assert cli.federation.load(str(source))[0].serial == 2
    finally:
        cli.close()
    assert running.federation.require_current().serial == 1  # not yet: memory lags

    assert running.federation.refresh(str(source)) is True

    assert running.federation.require_current().serial == 2
    assert running.federation.require_current().node("nj-gulou").status.value == "suspended"
    with running.db.read() as conn:
        assert conn.execute(select(directories.c.serial)).scalars().all() == [1, 2]
    assert running.federation.refresh(str(source)) is False  # and again: nothing new
    with pytest.raises(FederationRefusal) as err:  # an older serial stays refused
        running.federation.accept(directory_document(["sh-pudong", "nj-gulou"]))
    assert err.value.reason == "directory_stale"


def test_refresh_without_a_source_adopts_what_the_cli_stored(
    sqlite_node: Node, clock: FakeClock
) -> None:
    running = sqlite_node
    running.federation.accept(directory_document(["sh-pudong"]))
    cli = build_node(running.config, clock, bootstrap=False)
    try:
        cli.federation.accept(directory_document(["sh-pudong"], serial=2))
    finally:
        cli.close()

    assert running.federation.refresh("") is True
    assert running.federation.require_current().serial == 2
    assert running.federation.refresh("") is False


def test_accept_of_a_repeat_another_process_stored_brings_this_one_up_to_it(
    sqlite_node: Node, clock: FakeClock
) -> None:
    running = sqlite_node
    running.federation.accept(directory_document(["sh-pudong"]))
    second = directory_document(["sh-pudong"], serial=2)
    cli = build_node(running.config, clock, bootstrap=False)
    try:
        cli.federation.accept(second)
    finally:
        cli.close()

    held, changed = running.federation.accept(second)

    assert (held.serial, changed) == (2, True)
    assert running.federation.accept(second)[1] is False


def test_a_tampered_directory_is_refused_and_nothing_is_stored(node: Node) -> None:
    document = directory_document(["sh-pudong"])
    document["nodes"][0]["base_url"] = "http://evil.test"
    with pytest.raises(FederationRefusal) as err:
        node.federation.accept(document)
    assert err.value.reason == "bad_signature"
    assert node.federation.current() is None


def test_a_directory_signed_by_another_authority_is_refused(
    tmp_path: Path, clock: FakeClock
) -> None:
    other = VerifyKey.from_b64(*_vector_key("intruder"))
    config = make_config(tmp_path / "n", "sh-pudong").model_copy(
        update={"directory_anchors": [key_text(other)]}
    )
    node = build_node(config, clock, bootstrap=True)
    try:
        with pytest.raises(FederationRefusal) as err:
            node.federation.accept(directory_document(["sh-pudong"]))
        assert err.value.reason == "unknown_key"
    finally:
        node.close()


def test_without_anchors_no_directory_can_be_trusted(tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path / "n", "sh-pudong").model_copy(
        update={"directory_anchors": []}
    )
    node = build_node(config, clock, bootstrap=True)
    try:
        with pytest.raises(ConfigError, match="directory_anchors"):
            node.federation.accept(directory_document(["sh-pudong"]))
    finally:
        node.close()


def test_load_from_a_file_and_from_a_url(sqlite_node: Node, tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(directory_document(["sh-pudong"])))
    assert sqlite_node.federation.load(str(path))[0].serial == 1
    body = json.dumps(directory_document(["sh-pudong"], serial=2)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/directory.json"
        directory, changed = sqlite_node.federation.load(url)
    finally:
        server.shutdown()
    assert (directory.serial, changed) == (2, True)
    with pytest.raises(ConfigError, match="not found"):
        sqlite_node.federation.load(str(tmp_path / "missing.json"))


def _vector_key(name: str) -> tuple[str, str]:
    keys = json.loads((VECTORS / "keys.json").read_text())["keys"]
    return keys[name]["key_id"], keys[name]["public_key"]


def _vector_node(tmp_path: Path, clock: FakeClock, node_id: str = "nj-gulou") -> Node:
    """`node_id` trusting the vectors' authority and holding the vectors' directory."""
    anchor = key_text(VerifyKey.from_b64(*_vector_key("authority")))
    config = make_config(tmp_path / node_id, node_id).model_copy(
        update={"directory_anchors": [anchor]}
    )
    node = build_node(config, clock, bootstrap=True)
    directory = json.loads((VECTORS / "positive" / "directory.json").read_text())["document"]
    node.federation.accept(directory)
    return node


@pytest.fixture
def receiver(tmp_path: Path, clock: FakeClock) -> Iterator[Node]:
    node = _vector_node(tmp_path, clock)
    yield node
    node.close()


NEGATIVE = sorted((VECTORS / "negative" / "transaction").glob("*.json"))


@pytest.mark.parametrize("path", NEGATIVE, ids=[p.stem for p in NEGATIVE])
def test_negative_vectors_through_the_node(tmp_path: Path, clock: FakeClock,
                                           path: Path) -> None:
    vector = json.loads(path.read_text())
    raw = bytes.fromhex(vector["wire_hex"])
    # A routed leg's vector is addressed to the hub (or the creditor's node) it names; every
    # other vector to nj-gulou (the wrong_receiver vector is addressed elsewhere on purpose).
    to = json.loads(raw)["receiver"] if path.stem.startswith("leg_") else "nj-gulou"
    receiver = _vector_node(tmp_path, clock, to)
    try:
        if path.stem not in REFUSED_AFTER_ADMISSION and not _refused_per_message(vector):
            with pytest.raises(FederationRefusal) as err:
                receiver.federation.admit(raw, now_ms=vector["now_ms"])
            assert err.value.reason == vector["expected_reason"]
        else:
            admitted = receiver.federation.admit(raw, now_ms=vector["now_ms"])
            assert admitted.receiver == to
    finally:
        receiver.close()


def _refused_per_message(vector: dict[str, Any]) -> bool:
    """A leg's refusals of §22.4 answer the one message, in an admitted transaction; only
    a leg that does not decode refuses the whole transaction (`malformed`)."""
    return bool(vector.get("expected_reason") != "malformed"
                and "transfer.leg" in bytes.fromhex(vector["wire_hex"]).decode())


def test_positive_transactions_are_admitted(receiver: Node) -> None:
    for path in sorted((VECTORS / "positive").glob("*.json")):
        vector = json.loads(path.read_text())
        if vector["document"].get("kind") != "transaction" or "now_ms" not in vector:
            continue
        admitted = receiver.federation.admit(bytes.fromhex(vector["wire_hex"]),
                                             now_ms=vector["now_ms"])
        assert admitted.sender == "sh-pudong", path.name
