"""One node's side of reconciling a link: every step that reads or writes its database, used by
the closer (`Reconciler`) and by the peer's side (`Responder`) alike.

The steps are split by role:

    statements   our statement of a window: cut, compute, sign, check our books, finish
    compare      the peer's statement and co-signed record: verify, record the verdict
    repair       descent and repair: leaf index, differences, evidence, recover's replay

Every step taking `conn` runs inside one write of the node's WriteBatcher, so a step and the
records of what it found commit together. What reads a whole window (its statement, its
leaf index) reads it in a snapshot off the writer instead (node/reconcile/prepare.py).
Convention (node/reconcile/context.py): `conn` first, then the link; submitted as
`writer.submit(partial(step, peer=peer, index=index))`.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.schema import links
from node.federation import FederationService
from node.keyring import Signer
from node.reconcile.compare import Comparison
from node.reconcile.context import SideContext
from node.reconcile.evidence import EvidenceBooks
from node.reconcile.repair import Repairs
from node.reconcile.statements import Proposed, Statements

__all__ = ["Proposed", "Sides"]


class Sides:
    def __init__(self, *, node_id: str, db: Database, writer: WriteBatcher,
                 federation: FederationService, signer: Signer, clock: Clock,
                 books: EvidenceBooks) -> None:
        self.ctx = SideContext(node_id=node_id, db=db, writer=writer, federation=federation,
                               signer=signer, clock=clock, books=books)
        self.node_id = node_id
        self.db = db
        self.writer = writer
        self.federation = federation
        self.signer = signer
        self.clock = clock
        self.books = books
        self.statements = Statements(self.ctx)
        self.compare = Comparison(self.ctx)
        self.repairs = Repairs(self.ctx)

    def linked_peers(self) -> list[str]:
        with self.db.read() as conn:
            return list(conn.execute(select(links.c.peer_node_id).where(
                or_(links.c.out_sequence > 0, links.c.in_sequence > 0))
                .order_by(links.c.peer_node_id)).scalars())
