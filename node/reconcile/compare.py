"""The peer's statement of a window: verify it and its co-signed record, and record what the
comparison with ours found. Conventions: node/reconcile/context.py."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection

from node.reconcile import records
from node.reconcile.context import SideContext
from node.reconcile.peer import PeerFailed
from node.reconcile.records import DiscrepancyKind
from node.states import WindowState
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.messages.documents import Statement
from protocol.statements import Disagreement

log = logging.getLogger("hourbridge.reconcile")


class Comparison:
    def __init__(self, ctx: SideContext) -> None:
        self.ctx = ctx

    def verify_statement(self, document: Any, peer: str) -> Statement:
        if not isinstance(document, dict):
            raise PeerFailed("signature_break", "the peer sent no statement")
        try:
            verify_evidence(document, directory=self.ctx.federation.require_current(),
                            time_member="issued_at_ms", signer=peer)
            statement = Statement.model_validate(document)
        except (ProtocolError, ValidationError) as exc:
            raise PeerFailed("signature_break", f"the peer's statement: {exc}") from exc
        if statement.issuer != peer or statement.counterparty != self.ctx.node_id:
            raise PeerFailed("signature_break", "the statement is about another link")
        return statement

    def verify_record(self, record: Any, mine: dict[str, Any], peer: str) -> bool:
        """The co-signed record is our statement, unchanged, with the peer's signature too."""
        if not isinstance(record, dict):
            return False
        unsigned = {k: v for k, v in record.items() if k != "signatures"}
        if unsigned != {k: v for k, v in mine.items() if k != "signatures"}:
            return False
        try:
            directory = self.ctx.federation.require_current()
            for signer in (self.ctx.node_id, peer):
                verify_evidence(record, directory=directory, time_member="issued_at_ms",
                                signer=signer)
        except ProtocolError:
            return False
        return True

    def matched(self, conn: Connection, peer: str, index: int, theirs: Statement,
                record: dict[str, Any]) -> None:
        window = records.window(conn, peer, index)
        assert window is not None
        signed = Statement.model_validate(record)
        # The per-link invariant, asserted where it is recorded: our position is minus theirs,
        # and the co-signed record is one of the two statements.
        assert window.closing == -theirs.closing_position_minutes
        assert signed.closing_position_minutes == (
            window.closing if signed.issuer == self.ctx.node_id else -window.closing)
        records.settle_window(conn, peer=peer, index=index, state=WindowState.MATCHED,
                              peer_statement=theirs.model_dump(mode="json"), record=record,
                              now_ms=self.ctx.clock.now_ms())

    def remember_peer(self, conn: Connection, peer: str, index: int, theirs: Statement,
                      found: list[Disagreement]) -> None:
        now_ms = self.ctx.clock.now_ms()
        records.settle_window(conn, peer=peer, index=index, state=WindowState.OPEN,
                              peer_statement=theirs.model_dump(mode="json"), record=None,
                              now_ms=now_ms)
        if Disagreement.CHAIN in found or Disagreement.WINDOW in found:
            self.chain_break(conn, peer, index, theirs, now_ms)

    def chain_break(self, conn: Connection, peer: str, index: int, theirs: Statement,
                    now_ms: int) -> None:
        records.dispute(conn, peer=peer, index=index, kind=DiscrepancyKind.CHAIN_BREAK,
                        now_ms=now_ms,
                        detail="the two sides hold different transactions at the cut "
                               f"(peer's heads {theirs.outgoing_head_hash[:12]}…, "
                               f"{theirs.incoming_head_hash[:12]}…)",
                        evidence={"peer_statement": theirs.model_dump(mode="json")})
        self.ctx.mark(conn, peer, index, WindowState.DISPUTED)

    def peer_failed(self, conn: Connection, peer: str, index: int, failure: PeerFailed) -> None:
        if failure.kind == "signature_break":
            records.dispute(conn, peer=peer, index=index, kind=DiscrepancyKind.SIGNATURE_BREAK,
                            detail=failure.detail, now_ms=self.ctx.clock.now_ms())
            self.ctx.mark(conn, peer, index, WindowState.DISPUTED)
        else:
            log.warning("window %s with %s stays open: %s", index, peer, failure)

    def dispute_mismatch(self, conn: Connection, peer: str, index: int,
                         left: list[str]) -> None:
        """The final proposal still differs: a dispute, unless one is open for it already."""
        window = records.window(conn, peer, index)
        assert window is not None
        if not records.open_disputes(conn, peer=peer, index=index):
            theirs = window.peer_statement or {}
            mine = window.statement
            entries_agree = (theirs.get("merkle_root") == mine["merkle_root"])
            kind = (DiscrepancyKind.TOTALS_DIFFER if entries_agree
                    else DiscrepancyKind.ENTRIES_DIFFER)
            records.dispute(conn, peer=peer, index=index, kind=kind,
                            now_ms=self.ctx.clock.now_ms(),
                            detail=f"statements still differ after repair ({', '.join(left)})"
                            if left else "statements still differ after repair")
        self.ctx.mark(conn, peer, index, WindowState.DISPUTED)
