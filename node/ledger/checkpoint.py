"""Signed ledger checkpoints: height, head hash and totals, signed with the node's key.

Peers and the regulator keep them; a later rewrite of any entry at or below a checkpoint's height
no longer matches the head hash the node signed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.db.schema import checkpoints
from node.errors import ErrorCode, NotFound, require
from node.ledger.journal import Ledger
from protocol.signing import SigningKey, VerifyKey, sign_object, verify_object

CHECKPOINT_TYPE = "hourbridge.ledger.checkpoint"


def checkpoint_document(
    *, node_id: str, height: int, head_hash: str, created_at_ms: int, totals: dict[str, int]
) -> dict[str, Any]:
    return {
        "type": CHECKPOINT_TYPE,
        "v": 1,
        "node_id": node_id,
        "height": height,
        "head_hash": head_hash,
        "created_at_ms": created_at_ms,
        "totals_minutes": dict(sorted(totals.items())),
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
            created_at_ms=now_ms,
            totals=totals,
        ),
        signer=ledger.node_id,
        key=key,
    )
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


def verify_checkpoint(document: dict[str, Any], *, node_id: str, key: VerifyKey) -> None:
    """Raise protocol.signing.SignatureError (or ValueError) unless the checkpoint is genuine."""
    if document.get("type") != CHECKPOINT_TYPE or document.get("node_id") != node_id:
        raise ValueError(f"not a checkpoint of node {node_id}")
    verify_object(document, signer=node_id, key=key)
