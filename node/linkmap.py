"""The link map as this node sees it (docs/standard.md §22, revision 1.4 draft): which pairs of
nodes trade directly, and the route a transfer to another node would take. No transfer uses a
route yet: this is what the node holds and can say.

The directory in force is the trust root: a map is accepted only through
`protocol.links.accept_links` against it, and every accepted one is stored. Like the directory
(node/federation.py) the database is the record: another process (`hourbridge federation
link-map load` beside a running node) may store a newer serial at any time, and a running node
adopts it at its next refresh.

The held map is derived, not remembered: the stored maps replayed in serial order through the
same check against the directory in force. A stored map that the directory in force no longer
accepts (its caps above a lowered policy maximum) is passed over, so the node holds the newest
one it still accepts; its serial still counts, and a map of a smaller serial stays refused.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, require_role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import link_maps
from node.errors import ErrorCode, FederationRefusal, NodeError, RuleViolation
from node.federation import FederationService, read_document, store_accepted
from protocol.directory import Directory, NodeStatus
from protocol.errors import ProtocolError
from protocol.links import LinkMap, accept_links
from protocol.reasons import ReasonCode
from protocol.routes import route

log = logging.getLogger(__name__)


def _refusal(exc: ProtocolError) -> FederationRefusal:
    return FederationRefusal(ErrorCode.LINK_MAP_REFUSED, exc.code.value, exc.detail)


def _stale(serial: int, stored: int) -> FederationRefusal:
    return FederationRefusal(ErrorCode.LINK_MAP_REFUSED, ReasonCode.DIRECTORY_STALE.value,
                             f"serial {serial} is not above the stored serial {stored}")


class LinkMapService:
    def __init__(self, *, db: Database, clock: Clock, node_id: str,
                 federation: FederationService) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id
        self.federation = federation
        self._lock = threading.Lock()
        # What the held map was derived from: the directory in force and the newest serial
        # stored then. Either changing means a replay.
        self._basis: tuple[Directory | None, int] = (None, 0)
        self._current: LinkMap | None = None
        self.catch_up()

    def current(self) -> LinkMap | None:
        return self._current

    def require_current(self) -> LinkMap:
        if self._current is None:
            raise NodeError(ErrorCode.NO_LINK_MAP, "this node holds no link map: every pair of "
                            "active nodes trades directly (a full mesh)")
        return self._current

    @staticmethod
    def _stored_top(conn: Connection) -> int:
        return int(conn.execute(select(func.coalesce(func.max(link_maps.c.serial), 0)))
                   .scalar_one())

    def _replay(self, conn: Connection, directory: Directory | None) -> LinkMap | None:
        """The stored maps in serial order, each checked against the directory in force and
        the one held before it; one it refuses is passed over."""
        if directory is None:
            return None
        held: LinkMap | None = None
        query = select(link_maps.c.serial, link_maps.c.document).order_by(link_maps.c.serial)
        for serial, document in conn.execute(query).all():
            try:
                held = accept_links(json.loads(document), directory=directory, current=held)
            except ProtocolError as exc:
                log.warning("stored link map serial %s passed over: %s", serial, exc.detail)
        return held

    def _refresh_held(self, conn: Connection) -> int:
        """Replay if the directory in force or the newest stored serial moved; that serial."""
        directory, top = self.federation.current(), self._stored_top(conn)
        if directory is not self._basis[0] or top != self._basis[1]:
            self._current = self._replay(conn, directory)
            self._basis = (directory, top)
        return top

    def catch_up(self) -> bool:
        """Adopt what another process stored, or what a new directory changes; True if the
        held map changed."""
        with self._lock:
            before = self._current
            with self.db.read() as conn:
                self._refresh_held(conn)
            return self._current is not before

    def accept(self, document: dict[str, Any]) -> tuple[LinkMap, bool]:
        """Verify `document` against the directory in force and, if newer than every stored
        serial, store it and hold it. Returns (map held, changed)."""
        directory = self.federation.require_current()
        with self._lock:
            before = self._current
            with self.db.write() as conn:
                # Under the write lock no other process stores a serial before the insert.
                top = self._refresh_held(conn)
                try:
                    accepted = accept_links(document, directory=directory, current=self._current)
                except ProtocolError as exc:
                    raise _refusal(exc) from exc
                if accepted is not self._current:
                    if accepted.serial <= top:
                        raise _stale(accepted.serial, top)
                    store_accepted(conn, link_maps, accepted, document,
                                   now_ms=self.clock.now_ms())
                    self._basis = (directory, accepted.serial)
            self._current = accepted
            return accepted, accepted is not before

    def refresh(self, source: str) -> bool:
        """Adopt what another process stored, then load `source` if one is configured."""
        adopted = self.catch_up()
        if not source:
            return adopted
        _, loaded = self.load(source)
        return adopted or loaded

    def load(self, source: str) -> tuple[LinkMap, bool]:
        """Accept the link map at `source`: a file path or an http(s) URL."""
        try:
            document = read_document(source, what="link map")
        except ProtocolError as exc:
            raise _refusal(exc) from exc
        return self.accept(document)

    def route(self, to_node: str) -> tuple[str, ...]:
        """The nodes a transfer from this node to `to_node` would cross, both ends included,
        over the held map (a full mesh without one) and the directory's active nodes."""
        directory = self.federation.require_current()
        entry = directory.node(to_node)
        if entry is None:
            raise RuleViolation(ErrorCode.UNKNOWN_NODE, f"{to_node} is not in the directory")
        if to_node == self.node_id:
            raise RuleViolation(ErrorCode.NO_ROUTE, "a transfer within one node is never routed")
        if entry.status is not NodeStatus.ACTIVE:
            raise RuleViolation(ErrorCode.PEER_NOT_ACTIVE,
                                f"{to_node} is {entry.status.value}, not active")
        active = frozenset(n.node_id for n in directory.nodes if n.status is NodeStatus.ACTIVE)
        found = route(self._current, self.node_id, to_node, active=active)
        if found is None:
            raise RuleViolation(ErrorCode.NO_ROUTE, self._why_none(to_node, active))
        return found

    def held_view(self, principal: Principal) -> dict[str, Any]:
        """The held map as signed (admin, regulator); `no_link_map` without one."""
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read the link map")
        return self.require_current().to_json()

    def route_view(self, principal: Principal, to_node: str) -> dict[str, Any]:
        """The route to `to_node` (admin, regulator), and what it was computed over."""
        require_role(principal, Role.ADMIN, Role.REGULATOR, what="read routes")
        path = self.route(to_node)
        held = self._current
        return {"route": list(path), "links": len(path) - 1,
                "link_map_serial": held.serial if held is not None else None}

    def _why_none(self, to_node: str, active: frozenset[str]) -> str:
        if self.node_id not in active:
            return f"this node ({self.node_id}) is not active in the directory"
        hops = self._current.hops_max if self._current is not None else 1
        return f"no route from {self.node_id} to {to_node} within {hops} links over active nodes"
