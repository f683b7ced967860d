"""The ids of accounts the node owns, and the refusal that keeps them from members.

The donation pool is a member account on purpose: another node's donation reaches it as an
ordinary transfer to `hardship-pool@<node>`, so the federation's totals need no new kind. That
makes its id look like any member's. Whoever registers a member under it would receive every
donation and move the hours as that member's staff (issue 12, finding 2), so the id is refused
wherever a member id enters the node: registration (API and console), relocation (the member
moving and the id at the new node), and member tokens. How the node tells its own pool from
such a member in a database made before this rule: node/services/system_accounts.py.

The escrow account and the ledger's own accounts cannot collide: a member's account code is
`member:<local id>` and a local id has no colon.
"""

from __future__ import annotations

from node.errors import Conflict, ErrorCode
from node.ledger.model import member_account

POOL_LOCAL_ID = "hardship-pool"
POOL_ACCOUNT = member_account(POOL_LOCAL_ID)
POOL_DISPLAY_NAME = "Donation and hardship pool 爱心池"
# Service payments held between check-out and confirmation (or a dispute's resolution). A
# suspense account, of the standard's `pending` kind, apart from the transfers' `pending`.
ESCROW_ACCOUNT = "pending:services"
# Member ids that name an account of the node itself, at every HourBridge node.
SYSTEM_MEMBER_IDS = frozenset({POOL_LOCAL_ID})


def refuse_system_id(local_id: str, *, what: str) -> None:
    """Conflict `local_id_reserved` when `local_id` is a system account's id."""
    if local_id in SYSTEM_MEMBER_IDS:
        raise Conflict(ErrorCode.LOCAL_ID_RESERVED,
                       f"{local_id} is the id of the node's donation pool, an account the node "
                       f"owns: {what}")
