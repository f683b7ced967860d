"""The checkpoints that keep a federation's first report from being empty (issue 15).

The node report the API serves (and so the federation report a regulator assembles from it)
stands on the node's newest signed checkpoint, and refuses before the first one
(`checkpoint_not_found`); the scheduler signs one only every `checkpoint_interval_s` (an hour by
default). So a node also signs one

 * at start, if it has none: a fresh node's is at height 0 with every total zero, and "nothing
   yet" is a figure a regulator can read;
 * after its first activity: a node that started with an empty journal signs its head once the
   first entry is there (the scheduler polls every FIRST_ACTIVITY_POLL_S, then stops).

Both are the ordinary checkpoint (node/ledger/checkpoint.py): idempotent per height.
"""

from __future__ import annotations

from sqlalchemy import func, select

from node.db.schema import checkpoints
from node.services.ledger_admin import LedgerAdminService

# How soon after the first ledger entry the node's first figures can be reported.
FIRST_ACTIVITY_POLL_S = 30


class FirstCheckpoints:
    def __init__(self, admin: LedgerAdminService) -> None:
        self.admin = admin

    def _height(self) -> int:
        with self.admin.db.read() as conn:
            height, _hash = self.admin.ledger.head(conn)
        return int(height)

    def at_start(self) -> bool:
        """Sign a checkpoint if the node has none. True if the journal is empty: the caller
        then watches for the first activity (`after_first_activity`)."""
        with self.admin.db.read() as conn:
            signed = conn.execute(select(func.count()).select_from(checkpoints)).scalar_one()
        if not signed:
            self.admin.checkpoint()
        return self._height() == 0

    def after_first_activity(self) -> bool:
        """Sign the head once the journal has an entry; True when signed (stop watching)."""
        if self._height() == 0:
            return False
        self.admin.checkpoint()
        return True
