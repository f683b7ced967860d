"""The entry hash is pinned by a known-answer vector, so docs/ledger.md and the code agree."""

from __future__ import annotations

import hashlib

from node.ledger.hashing import entry_document, entry_hash
from node.ledger.model import GENESIS_HASH, Posting
from protocol.credit import CreditClass

VECTOR_DOCUMENT_BYTES = (
    b'{"actor":"staff:s1:abc","created_at_ms":1780000000000,"entry_id":"e1","height":1,'
    b'"kind":"grant","memo":"\xe5\xbf\x97\xe6\x84\xbf\xe6\x9c\x8d\xe5\x8a\xa1","node_id":"sh-pudong",'
    b'"postings":[{"account":"issuance","amount_minutes":-90,"credit_class":"granted"},'
    b'{"account":"member:alice","amount_minutes":90,"credit_class":"granted"}],'
    b'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    b'"ref":"g1","reverses_height":null,"type":"hourbridge.ledger.entry","v":1}'
)


def _vector_document() -> dict[str, object]:
    return entry_document(
        node_id="sh-pudong", height=1, entry_id="e1", kind="grant", ref="g1",
        actor="staff:s1:abc", memo="志愿服务", created_at_ms=1_780_000_000_000,
        reverses_height=None, prev_hash=GENESIS_HASH,
        postings=(
            Posting("issuance", CreditClass.GRANTED, -90),
            Posting("member:alice", CreditClass.GRANTED, 90),
        ),
    )


def test_entry_hash_known_answer() -> None:
    expected = hashlib.sha256(VECTOR_DOCUMENT_BYTES).hexdigest()
    assert entry_hash(_vector_document()) == expected


def test_any_field_change_changes_the_hash() -> None:
    base = _vector_document()
    for key in ("height", "memo", "prev_hash", "actor", "created_at_ms"):
        changed = dict(base)
        changed[key] = 2 if isinstance(base[key], int) else f"{base[key]}x"
        assert entry_hash(changed) != entry_hash(base), key
