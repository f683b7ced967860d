"""Operator and regulator views of the ledger: checkpoints, reversals, verification."""

from __future__ import annotations

from typing import Any

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.keyring import Signer
from node.ledger.checkpoint import create_checkpoint, latest_checkpoint
from node.ledger.journal import Ledger
from node.ledger.verify import VerifyResult, verify_ledger


class LedgerAdminService:
    def __init__(self, *, db: Database, ledger: Ledger, clock: Clock, signer: Signer) -> None:
        self.db = db
        self.ledger = ledger
        self.clock = clock
        self.signer = signer

    def checkpoint(self, principal: Principal | None = None) -> dict[str, Any]:
        """Sign the current head (principal None: the node's own scheduler or CLI)."""
        if principal is not None:
            require_role(principal, Role.ADMIN, what="create checkpoints")
        with self.db.write() as conn:
            return create_checkpoint(
                conn, ledger=self.ledger, key=self.signer.key(), now_ms=self.clock.now_ms()
            )

    def latest_checkpoint(self, principal: Principal) -> dict[str, Any]:
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read checkpoints")
        with self.db.read() as conn:
            return latest_checkpoint(conn)

    def reverse(self, principal: Principal, *, height: int, reason: str) -> dict[str, Any]:
        require_role(principal, Role.ADMIN, what="reverse journal entries")
        with self.db.write() as conn:
            entry = self.ledger.reverse(
                conn,
                height=height,
                actor=principal.actor,
                memo=reason,
                now_ms=self.clock.now_ms(),
            )
        return {
            "height": entry.height,
            "entry_id": entry.entry_id,
            "reverses_height": entry.reverses_height,
            "entry_hash": entry.entry_hash,
        }

    def verify(self) -> VerifyResult:
        with self.db.read() as conn:
            return verify_ledger(
                conn, node_id=self.ledger.node_id, verify_key=self.signer.verify_key
            )
