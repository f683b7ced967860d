"""The stored lifecycle states that more than one layer reads: the services that create a row
and the exchange handlers that advance it when a peer answers.

They live below both (docs/decisions.md, "Structure (issue 20)") so the exchange never imports a
service. The services re-export the names they always had (`node.services.members.ACTIVE`).
"""

from __future__ import annotations

from node.ledger.model import MEMBER_RELOCATED as MEMBER_RELOCATED
from node.ledger.model import MEMBER_RELOCATING as MEMBER_RELOCATING

# Members. Relocating and relocated are the ledger's (node/ledger/model.py): it refuses to move
# hours of a member in either status.
MEMBER_ACTIVE = "active"
MEMBER_DEACTIVATED = "deactivated"
MEMBER_STATUSES = frozenset({MEMBER_ACTIVE, MEMBER_DEACTIVATED, MEMBER_RELOCATING,
                             MEMBER_RELOCATED})
MEMBER_FLOOR_MINUTES = 0  # overdrafts come with the operating standard's policy, not by default

# Relocations, at the old home node (node/services/relocation.py).
RELOCATION_PENDING = "pending"
RELOCATION_COMMITTED = "committed"
RELOCATION_REJECTED = "rejected"

# Payment requests. Payee side:
PAYMENT_SENT, PAYMENT_ACKNOWLEDGED, PAYMENT_REFUSED, PAYMENT_PAID, PAYMENT_DECLINED = (
    "sent", "acknowledged", "refused", "paid", "declined")
# Payer side (PAYMENT_DECLINED too); `expired` is shown for an awaiting request past its expiry.
PAYMENT_AWAITING, PAYMENT_APPROVED, PAYMENT_EXPIRED = "awaiting", "approved", "expired"
