"""Service stations: the registry, and the check every member record's station passes.

registry     an admin registers a station (id, name, address, 6-digit district code), edits
             its name, address or district, and deactivates or reactivates it. A station is
             never deleted: members' records and the audit trail keep naming it. Every change
             is audited (tb_audit, subject `station:<id>`).
check        `require_station(conn, station)`: once the node has registered any station, a
             member's station must be a registered, active one (`station_unknown`); a node with
             an empty registry keeps accepting free labels, so nodes made before the registry
             work unchanged until their operator registers the first station.
             `station_exists(conn, station_id)` is the plain question other parts may ask.

The layer is low (beside the ledger): it reads and writes its own table only, so the member
services, the exchange (a relocated member placed at a station) and staff accounts can ask it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import stations, tb_audit
from node.errors import Conflict, ErrorCode, NodeError, NotFound, RuleViolation
from protocol.addresses import LOCAL_ID_PATTERN

NAME_CHARS_MAX = 100
ADDRESS_CHARS_MAX = 200
DISTRICT_CODE = re.compile(r"[1-9][0-9]{5}")  # GB/T 2260: six digits, province first
STATIONS_MAX = 2_000  # one node serves a district or a city: a few hundred stations at most
AUDIT_DETAIL_CHARS_MAX = 500


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    address: str
    district_code: str
    active: bool
    created_at_ms: int

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "address": self.address,
                "district_code": self.district_code, "active": self.active,
                "created_at_ms": self.created_at_ms}


def _station(row: Any) -> Station:
    return Station(id=row.id, name=row.name, address=row.address,
                   district_code=row.district_code, active=bool(row.active),
                   created_at_ms=row.created_at_ms)


def station_exists(conn: Connection, station_id: str, *, active_only: bool = True) -> bool:
    """A station registered here (and active, unless `active_only` is False)."""
    query = select(stations.c.active).where(stations.c.id == station_id)
    active = conn.execute(query).scalar_one_or_none()
    return active is not None and (bool(active) or not active_only)


def registry_in_use(conn: Connection) -> bool:
    """The node has registered at least one station (active or not)."""
    return conn.execute(select(stations.c.id).limit(1)).first() is not None


def require_station(conn: Connection, station: str | None) -> None:
    """Refuse a member's station that is not registered and active, once any station is
    registered (`station_unknown`, 422). No station at all is always accepted: an admin places
    such a member later (the unplaced members page)."""
    if station is None or not registry_in_use(conn) or station_exists(conn, station):
        return
    raise RuleViolation(ErrorCode.STATION_UNKNOWN,
                        f"{station!r} is not a registered, active station of this node")


def station_names(conn: Connection) -> dict[str, str]:
    """Every registered station's name by id (inactive ones too: old records name them)."""
    return {row.id: row.name for row in conn.execute(select(stations.c.id, stations.c.name))}


def _invalid(field: str, why: str) -> NodeError:
    return NodeError(ErrorCode.VALIDATION_FAILED, f"{field}: {why}")


def check_fields(*, name: str, address: str, district_code: str) -> None:
    if not name.strip() or len(name) > NAME_CHARS_MAX or not name.isprintable():
        raise _invalid("name", f"1 to {NAME_CHARS_MAX} printable characters")
    if len(address) > ADDRESS_CHARS_MAX or not address.isprintable():
        raise _invalid("address", f"at most {ADDRESS_CHARS_MAX} printable characters")
    if not DISTRICT_CODE.fullmatch(district_code):
        raise _invalid("district_code", "six digits, an administrative division code")


class Stations:
    """The registry, for admins; every change audited."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create(self, principal: Principal, *, station_id: str, name: str, address: str,
               district_code: str) -> Station:
        require_role(principal, Role.ADMIN, what="register stations")
        if not re.fullmatch(LOCAL_ID_PATTERN, station_id):
            raise _invalid("id", "lowercase letters, digits, '.', '_' or '-' (at most 64)")
        check_fields(name=name, address=address, district_code=district_code)
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            if station_exists(conn, station_id, active_only=False):
                raise Conflict(ErrorCode.STATION_EXISTS, f"station {station_id} exists already")
            if conn.execute(select(func.count()).select_from(stations)).scalar_one() \
                    >= STATIONS_MAX:
                raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                    f"at most {STATIONS_MAX} stations")
            conn.execute(insert(stations).values(
                id=station_id, name=name.strip(), address=address.strip(),
                district_code=district_code, active=1, created_at_ms=now_ms,
                updated_at_ms=now_ms))
            _audit(conn, station_id, "station_created", principal.actor,
                   f"{name.strip()} ({district_code})", now_ms)
            return self._load(conn, station_id)

    def edit(self, principal: Principal, station_id: str, *, name: str, address: str,
             district_code: str) -> Station:
        require_role(principal, Role.ADMIN, what="edit stations")
        check_fields(name=name, address=address, district_code=district_code)
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            before = self._load(conn, station_id)
            conn.execute(update(stations).where(stations.c.id == station_id).values(
                name=name.strip(), address=address.strip(), district_code=district_code,
                updated_at_ms=now_ms))
            _audit(conn, station_id, "station_edited", principal.actor,
                   f"{before.name} ({before.district_code}) -> {name.strip()} "
                   f"({district_code})", now_ms)
            return self._load(conn, station_id)

    def set_active(self, principal: Principal, station_id: str, *, active: bool) -> Station:
        """Deactivate (no new member or staff account may name it; its members stay with it
        until moved) or reactivate a station. Setting the state it has changes nothing."""
        require_role(principal, Role.ADMIN, what="deactivate stations")
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            before = self._load(conn, station_id)
            if before.active != active:
                conn.execute(update(stations).where(stations.c.id == station_id).values(
                    active=int(active), updated_at_ms=now_ms))
                _audit(conn, station_id,
                       "station_reactivated" if active else "station_deactivated",
                       principal.actor, before.name, now_ms)
            return self._load(conn, station_id)

    def list(self, principal: Principal) -> list[Station]:
        """Every station, active first, by id. Staff read it too (to name stations)."""
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="list stations")
        with self.db.read() as conn:
            rows = conn.execute(select(stations).order_by(
                stations.c.active.desc(), stations.c.id).limit(STATIONS_MAX)).all()
        return [_station(row) for row in rows]

    def get(self, principal: Principal, station_id: str) -> Station:
        require_role(principal, Role.ADMIN, Role.STAFF, Role.REGULATOR, what="read stations")
        with self.db.read() as conn:
            return self._load(conn, station_id)

    def active(self) -> tuple[Station, ...]:
        """The active stations by name, for a form's choices (no principal: names only)."""
        with self.db.read() as conn:
            rows = conn.execute(select(stations).where(stations.c.active == 1)
                                .order_by(stations.c.name).limit(STATIONS_MAX)).all()
        return tuple(_station(row) for row in rows)

    def names(self) -> dict[str, str]:
        """Station names by id, for pages that show a name where a record holds an id."""
        with self.db.read() as conn:
            return station_names(conn)

    @staticmethod
    def _load(conn: Connection, station_id: str) -> Station:
        row = conn.execute(select(stations).where(stations.c.id == station_id)).first()
        if row is None:
            raise NotFound(ErrorCode.STATION_UNKNOWN, f"no station {station_id}")
        return _station(row)


def _audit(conn: Connection, station_id: str, action: str, actor: str, detail: str,
           now_ms: int) -> None:
    conn.execute(insert(tb_audit).values(
        subject=f"station:{station_id}", action=action, actor=actor,
        detail=detail[:AUDIT_DETAIL_CHARS_MAX], entry_height=None, at_ms=now_ms))
