"""Key rotation on a node: the new key signs only once the directory lists it, old keys keep
verifying what they signed, and every key's window is published."""

from __future__ import annotations

from node.clock import FakeClock
from node.keyring import rotate_keys
from node.runtime import Node
from protocol.directory import KeyRecord, sign_directory
from protocol.signing import verify_object
from tests.factories import add_members, grant
from tests.support import AUTHORITY, directory_document

DAY_MS = 86_400_000


def _list_new_key(document: dict, node_id: str, new: KeyRecord) -> dict:
    """What the authority does after `hourbridge directory rotate-key`: list the new key."""
    for entry in document["nodes"]:
        if entry["node_id"] == node_id:
            entry["keys"].append(new.model_dump(mode="json"))
    return document


def test_rotation_waits_for_the_directory_then_switches(node: Node, clock: FakeClock) -> None:
    node.federation.accept(directory_document(["sh-pudong"]))
    old = node.signer.key()
    new = rotate_keys(node.db, node.config, now_ms=clock.now_ms(), overlap_ms=7 * DAY_MS,
                      passphrase=None)
    node.reload_keys()
    assert node.signer.key().key_id == old.key_id, "peers cannot verify the new key yet"

    body = _list_new_key(directory_document(["sh-pudong"]), "sh-pudong", new)
    node.federation.accept(sign_directory(body, authority=AUTHORITY, serial=2,
                                          issued_at_ms=clock.now_ms()))
    assert node.signer.key().key_id == new.key_id

    published = node.signer.keys_document()
    windows = {k["key_id"]: (k["valid_from_ms"], k["valid_until_ms"]) for k in published["keys"]}
    assert windows[old.key_id][1] == clock.now_ms() + 7 * DAY_MS
    assert windows[new.key_id] == (clock.now_ms(), None)
    verify_object(published, signer="sh-pudong", key=new.verify_key())


def test_checkpoints_signed_before_rotation_still_verify(node: Node, clock: FakeClock) -> None:
    add_members(node, "alice")
    grant(node, "alice", 60)
    node.ledger_admin.checkpoint()
    rotate_keys(node.db, node.config, now_ms=clock.now_ms(), overlap_ms=DAY_MS, passphrase=None)
    node.reload_keys()
    clock.advance(2 * DAY_MS)  # the old key's window has closed
    grant(node, "alice", 30)
    node.ledger_admin.checkpoint()
    result = node.ledger_admin.verify()
    assert result.ok, result.problems
    assert result.checkpoints == 2


def test_after_the_overlap_only_the_new_key_signs(node: Node, clock: FakeClock) -> None:
    """Even if the directory never learned the new key, an expired key is never used."""
    node.federation.accept(directory_document(["sh-pudong"]))
    new = rotate_keys(node.db, node.config, now_ms=clock.now_ms(), overlap_ms=DAY_MS,
                      passphrase=None)
    node.reload_keys()
    clock.advance(DAY_MS)
    assert node.signer.key().key_id == new.key_id
