"""Members at stations east and west on a real SQLite node, and who reads their data."""

from __future__ import annotations

from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import access_log
from node.runtime import Node
from tests.factories import ADMIN

STAFF_EAST = Principal(Role.STAFF, "staff-east", station="east")
STAFF_WEST = Principal(Role.STAFF, "staff-west", station="west")
REGULATOR = Principal(Role.REGULATOR, "reg")
# Valid 18-character ID numbers (their check characters computed by GB 11643).
ID_GRAN = "320106194001011235"
ID_CHILD = "110105201503014564"


def member(local_id: str) -> Principal:
    return Principal(Role.MEMBER, f"tok-{local_id}", member_local_id=local_id)


def register(node: Node, local_id: str, *, name: str, station: str = "east",
             birth_year: int | None = 1940) -> None:
    node.members.create(ADMIN, local_id=local_id, display_name=name, station=station,
                        birth_year=birth_year)


def log_rows(node: Node, local_id: str | None = None) -> list[tuple[str, str, str, str]]:
    """(actor, action, fields, result) of every access-log row (about `local_id`)."""
    query = select(access_log).order_by(access_log.c.seq)
    if local_id is not None:
        query = query.where(access_log.c.member_local_id == local_id)
    with node.db.read() as conn:
        return [(r.actor, r.action, r.fields, r.result) for r in conn.execute(query)]
