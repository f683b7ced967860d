"""A member arriving by relocation (standard §10.1, issue 14 item 2): her record at this node.

With a profile (she agreed to share it) she starts with her name and birth year, so every age
rule applies to her on her first day; at the station she asked for when `place_arrival` finds
it; with her kin, where this node's policy needs them, each recorded as having come with her
relocation (a parent or grandparent waits for staff to confirm it). Without
a profile, or without a station this node can place her at, she waits on the console's
unplaced-members page (/console/unplaced-members) for staff to place her. None of it goes into
the journal: the relocation_in entry names only her old address. Her kin are recorded by the
ArrivalHook node/runtime.py passes in (the exchange writes only the money path's tables).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from node.db.rows import MemberRow
from node.db.schema import members
from node.states import MEMBER_ACTIVE
from node.stations.registry import registry_in_use, station_exists
from protocol.messages.other import RelocationBody

# What the new node does with the rest of an arriving profile (her kin): the kin registry is
# the time bank's, above this layer, so node/runtime.py passes in
# node.timebank.kin_pending.record_arrival_kin, run in the same database transaction.
ArrivalHook = Callable[[Connection, RelocationBody, str, int], None]


def place_arrival(conn: Connection, station: str | None) -> str | None:
    """The station to place an arriving member at, or None to leave her unplaced. The same rule
    as registering a member (node/stations/registry.py): once the node keeps a station
    registry the station must be registered and active; a node without one takes the label."""
    if station is None:
        return None
    if not registry_in_use(conn) or station_exists(conn, station):
        return station
    return None


def insert_arrival(conn: Connection, body: RelocationBody, *, now_ms: int) -> None:
    """Her members row; the caller creates her account and runs the ArrivalHook."""
    profile, local_id = body.profile, body.new_local_id
    conn.execute(insert(members).values(MemberRow(
        # Without a profile the old node keeps her name: here she starts as her old address.
        local_id=local_id, display_name=body.member if profile is None else profile.display_name,
        station=None if profile is None else place_arrival(conn, profile.station),
        birth_year=None if profile is None else profile.birth_year,
        status=MEMBER_ACTIVE, created_at_ms=now_ms,
    ).values()))
