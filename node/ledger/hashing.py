"""The journal's hash chain. docs/ledger.md specifies these bytes exactly."""

from __future__ import annotations

from typing import Any

from node.ledger.model import Entry, Posting
from protocol.canonical import canonical_bytes, sha256_hex


def entry_document(
    *,
    node_id: str,
    height: int,
    entry_id: str,
    kind: str,
    ref: str | None,
    actor: str,
    memo: str,
    created_at_ms: int,
    reverses_height: int | None,
    prev_hash: str,
    postings: tuple[Posting, ...],
) -> dict[str, Any]:
    return {
        "type": "hourbridge.ledger.entry",
        "v": 1,
        "node_id": node_id,
        "height": height,
        "entry_id": entry_id,
        "kind": kind,
        "ref": ref,
        "actor": actor,
        "memo": memo,
        "created_at_ms": created_at_ms,
        "reverses_height": reverses_height,
        "prev_hash": prev_hash,
        "postings": [
            {
                "account": p.account,
                "credit_class": str(p.credit_class),
                "amount_minutes": p.amount_minutes,
            }
            for p in postings
        ],
    }


def entry_hash(document: dict[str, Any]) -> str:
    return sha256_hex(canonical_bytes(document))


def rehash(entry: Entry, node_id: str) -> str:
    """The hash the stored fields of `entry` imply (verification compares it to the stored one)."""
    return entry_hash(
        entry_document(
            node_id=node_id,
            height=entry.height,
            entry_id=entry.entry_id,
            kind=entry.kind,
            ref=entry.ref,
            actor=entry.actor,
            memo=entry.memo,
            created_at_ms=entry.created_at_ms,
            reverses_height=entry.reverses_height,
            prev_hash=entry.prev_hash,
            postings=entry.postings,
        )
    )
