"""Layers run one way (issue 20): a package of node/ imports only packages of its own layer or a
lower one, and two packages never import each other except the pairs named below.

The order, lowest first, is recorded in docs/decisions.md ("Structure (issue 20)"). A unit is a
subpackage of node/ (`node/exchange/`) or a top-level module (`node/access.py`); `protocol`
is one unit at the bottom (tests/protocol/test_purity.py keeps it free of node/).
"""

from __future__ import annotations

import ast
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node"
LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(names) for names in (
    {"protocol"},                                # the standard: pure, no I/O
    # + in-memory sessions; the release and capabilities this node announces (node/version.py)
    {"errors", "clock", "keys", "states", "session_store", "version"},
    # the black-box conformance kit (issue 16) speaks the standard over HTTP with protocol/
    # (and node.errors for its error class): it judges a target by the standard, never by the
    # reference node's code (tests/node/conformance/test_isolation.py)
    {"conformance"},
    {"config", "db", "access", "http_status"},   # settings, tables, who may act, error statuses
    # the station registry (node/stations/) reads and writes its own table only: low, so that
    # member services, the exchange and staff accounts can all ask whether a station exists
    {"datadir", "ledger", "keyring", "migrations", "stations"},
    # the directory in force; members' notifications, enqueued by the layers above in their
    # own write transactions (docs/decisions.md, "Notifications (issue 13)")
    # a contact read lands in node/privacy's access log through a callable node/runtime.py
    # hands the contacts service (node/notify/contacts.py's AccessLogger): the log stays where
    # the rest of the personal data is, and notify never imports a higher layer
    {"federation", "notify", "linkmap"},  # linkmap: the link map, over the directory
    {"exchange"},                                # messages between nodes
    # the domain; people (members signing in) writes the time bank's audit trail through
    # node.timebank.common, so timebank must never import people
    # staff accounts (node/staff/) reuse the members' password hashing and throttles (people)
    # privacy (node/privacy/, PIPL personal data and the access log) sits here so that the
    # time bank's death records can log their reads through it; it imports none of these
    {"services", "timebank", "reconcile", "people", "staff", "privacy"},
    {"forms", "runtime"},                        # shared request models; the composition root
    # bulk import (node/imports/) sits beside reports: both take the composed node and sign a
    # document verifiable offline
    # volunteer-service certificates (node/certificates/) likewise sign a document for offline use
    {"reports", "scheduler", "imports", "certificates"},
    # staff pages and the members' own pages (the personal centre), mounted by the API's app
    # the regulator's portal (node/portal/) beside them: its own app, served by the authority's
    # side, reading node.reports' collector and federation report; no node imports it
    {"console", "centre", "portal"},
    {"api"},
    {"cli"},
))
LAYER_OF = {name: index for index, names in enumerate(LAYERS) for name in names}
# Packages of one layer may import each other, but a pair that does so both ways is a knot the
# next change has to cut: none may. (RelocationService gets the time bank's check of a member's
# open service requests passed in by node/runtime.py instead of importing it.)
MUTUAL_ALLOWED: set[frozenset[str]] = set()


def _unit(path: Path) -> str:
    relative = path.relative_to(NODE).parts
    return relative[0] if len(relative) > 1 else path.stem


def _imported_units(source: str) -> set[str]:
    """The units a module imports: `node.X...` and `from node import X` name X; `protocol...`
    names protocol. Imports inside functions count too."""
    units = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "node" else [
                f"node.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "protocol":
                units.add("protocol")
            elif parts[0] == "node" and len(parts) > 1:
                units.add(parts[1])
    return units


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in sorted(NODE.rglob("*.py")):
        if path.parent == NODE and path.name == "__init__.py":
            continue
        unit = _unit(path)
        edges.setdefault(unit, set()).update(
            _imported_units(path.read_text(encoding="utf-8")) - {unit})
    return edges


def _upward(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{unit} -> {target}" for unit, targets in edges.items()
                  for target in targets if LAYER_OF[target] > LAYER_OF[unit])


def _mutual(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    return {frozenset({a, b}) for a, b in combinations(sorted(edges), 2)
            if b in edges[a] and a in edges.get(b, set())}


def test_every_unit_has_a_layer() -> None:
    edges = _edges()
    assert {"exchange", "services", "api", "console", "access", "federation"} <= set(edges)
    assert set(edges) - set(LAYER_OF) == set()
    assert "exchange" in _imported_units((NODE / "runtime.py").read_text(encoding="utf-8"))


def test_no_unit_imports_a_higher_layer() -> None:
    assert _upward(_edges()) == []


def test_no_two_units_import_each_other_beyond_the_named_pairs() -> None:
    assert _mutual(_edges()) == MUTUAL_ALLOWED


def test_the_checks_would_catch_a_violation() -> None:
    source = ("from node.api.models import X\nfrom node import console\n"
              "def later():\n    import node.services.members\n")
    assert _imported_units(source) == {"api", "console", "services"}
    edges = {"exchange": {"services", "ledger"}, "services": {"exchange"}, "ledger": set()}
    assert _upward(edges) == ["exchange -> services"]
    assert _mutual(edges) == {frozenset({"exchange", "services"})}
