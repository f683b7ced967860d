"""Signed ledger checkpoints: height, head hash and totals, signed with the node's key.

Peers and the regulator keep them; a later rewrite of any entry at or below a checkpoint's height
no longer matches the head hash the node signed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.db.schema import checkpoints
from node.errors import ErrorCode, NotFound, require
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind
from protocol.messages.documents import AccountKind as ProtocolAccountKind
from protocol.messages.documents import Checkpoint
from protocol.signing import SigningKey, VerifyKey, sign_object, verify_object
from protocol.version import STANDARD

# Node account kinds outside the standard's closed set, and the standard's kind they count as.
_COUNTED_AS = {str(AccountKind.TRANSIT): str(ProtocolAccountKind.CLEARING)}


def checkpoint_document(
    *, node_id: str, height: int, head_hash: str, issued_at_ms: int, totals: dict[str, int]
) -> dict[str, Any]:
    """The standard's checkpoint (docs/standard.md §11): every account kind, sorted, even at 0.

    A hub's `transit` account (hours in passage, standard §22.4) is not a kind of the standard,
    whose set is closed within hourbridge/1: it is a claim on the previous hop not yet settled
    on that link, so it is counted with `clearing`, and the totals still sum to zero."""
    totals = dict(totals)
    for ours, theirs in _COUNTED_AS.items():
        totals[theirs] = totals.get(theirs, 0) + totals.pop(ours, 0)
    return {
        "standard": STANDARD,
        "kind": "checkpoint",
        "node": node_id,
        "height": height,
        "head_hash": head_hash,
        "totals": [
            {"account_kind": str(kind), "balance_minutes": totals.get(str(kind), 0)}
            for kind in sorted(ProtocolAccountKind)
        ],
        "issued_at_ms": issued_at_ms,
    }


def create_checkpoint(
    conn: Connection, *, ledger: Ledger, key: SigningKey, now_ms: int
) -> dict[str, Any]:
    """Sign the current head. Idempotent: an unchanged head returns the stored checkpoint."""
    height, head_hash = ledger.head(conn)
    existing = conn.execute(
        select(checkpoints.c.document).where(checkpoints.c.height == height)
    ).scalar_one_or_none()
    if existing is not None:
        return dict(json.loads(existing))
    totals = ledger.totals_by_kind(conn)
    require(sum(totals.values()) == 0, f"balances sum to {sum(totals.values())}, not zero")
    document = sign_object(
        checkpoint_document(
            node_id=ledger.node_id,
            height=height,
            head_hash=head_hash,
            issued_at_ms=now_ms,
            totals=totals,
        ),
        signer=ledger.node_id,
        key=key,
    )
    # What peers and the regulator will check: the standard's model and its cross-field rules.
    Checkpoint.model_validate(document)
    conn.execute(
        insert(checkpoints).values(
            height=height,
            head_hash=head_hash,
            created_at_ms=now_ms,
            document=json.dumps(document, sort_keys=True),
        )
    )
    return document


def latest_checkpoint(conn: Connection) -> dict[str, Any]:
    text = conn.execute(
        select(checkpoints.c.document).order_by(checkpoints.c.height.desc()).limit(1)
    ).scalar_one_or_none()
    if text is None:
        raise NotFound(ErrorCode.CHECKPOINT_NOT_FOUND, "no checkpoint has been made yet")
    return dict(json.loads(text))


KeyLookup = Callable[[str], VerifyKey | None]


def verify_checkpoint(document: dict[str, Any], *, node_id: str, keys: KeyLookup) -> None:
    """Raise protocol.signing.SignatureError (or ValueError) unless the checkpoint is genuine.

    `keys` finds the node's public key by key id: checkpoints signed before a key rotation
    verify with the key they name.
    """
    if document.get("kind") != "checkpoint" or document.get("node") != node_id:
        raise ValueError(f"not a checkpoint of node {node_id}")
    by_signer = document.get("signatures", {}).get(node_id)
    if not isinstance(by_signer, dict) or len(by_signer) != 1:
        raise ValueError("a checkpoint carries exactly one signature by its node")
    (key_id,) = by_signer
    key = keys(key_id)
    if key is None:
        raise ValueError(f"checkpoint signed with {key_id}, which is not a key of {node_id}")
    verify_object(document, signer=node_id, key=key)
