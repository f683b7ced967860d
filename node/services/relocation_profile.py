"""The profile a member agrees to take to her new home node (standard §10.1, issue 14 item 2).

With her consent the relocation.prepare carries her display name, birth year, the station she
asked for there and, where this node's policy makes the kin registry govern her gifts, her kin:
enough for the new node to serve her on her first day. Without it the profile is null and the
new node's staff ask her. The profile travels signed in the prepare (the outbox and the
exchange's stored transactions keep it as evidence); it never goes into the journal, and the
relocations row keeps only when she agreed and the station she asked for. The new node vets the
kin it carries before they count (node/timebank/kin_pending.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import tb_kin
from node.errors import ErrorCode, RuleViolation
from protocol.messages.other import (
    PROFILE_KIN_MAX,
    KinLink,
    KinRelation,
    RelocationProfile,
)


def kin_links(conn: Connection, local_id: str) -> list[KinLink]:
    """Her kin registry as the standard carries it: each address once, sorted by address."""
    rows = conn.execute(select(tb_kin.c.relative, tb_kin.c.relation)
                        .where(tb_kin.c.member_local_id == local_id)
                        .order_by(tb_kin.c.relative).limit(PROFILE_KIN_MAX + 1)).all()
    if len(rows) > PROFILE_KIN_MAX:
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            f"{local_id} has more than {PROFILE_KIN_MAX} relatives recorded; a "
                            "relocation's profile carries at most that many")
    return [KinLink(address=row.relative, relation=KinRelation(row.relation)) for row in rows]


def build_profile(conn: Connection, member_row: Any, *, share_kin: bool, station: str | None,
                  consent_at_ms: int) -> RelocationProfile:
    """Her profile from her record here; a record the standard cannot carry (a name over its
    length, say) is refused before anything is reserved, naming the member."""
    kin = kin_links(conn, member_row.local_id) if share_kin else []
    try:
        return RelocationProfile(display_name=member_row.display_name,
                                 birth_year=member_row.birth_year, kin=kin, station=station,
                                 consent_at_ms=consent_at_ms)
    except ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                            f"the record of {member_row.local_id} cannot travel as a relocation "
                            f"profile ({fields}); correct it first") from exc
