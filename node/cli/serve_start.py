"""What `hourbridge serve` says as it starts: one line on a healthy start, a warning for each
setting another one silently overrides (issue 15, "The IT person"), and one clear sentence when
the database cannot be opened on a bad day (issue 17: a full disk, a database that does not
answer), instead of a traceback."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

import typer

from node.cli.output import err, out
from node.config import NodeConfig
from node.db.faults import FREE_BYTES_MIN, StorageFull, disk_low, storage_fault
from node.runtime import Node, open_node

log = logging.getLogger("hourbridge.serve")

# sysexits.h EX_TEMPFAIL: a temporary failure, start again later (a service manager's restart
# policy does; docker-compose.yml has `restart: unless-stopped`).
EXIT_TRY_AGAIN = 75
MIB = 1024 * 1024


@dataclass(frozen=True)
class StartReport:
    line: str
    warnings: list[str]


def unit_warning(node: Node) -> str | None:
    """The directory's unit for this node wins over the policy file's (node/services/units.py):
    say so when a policy file declares another one."""
    if not node.config.policy_file:
        return None  # the built-in policy declares no unit of the city's own
    directory = node.federation.current()
    entry = directory.node(node.config.node_id) if directory is not None else None
    if entry is None:
        return None
    declared = entry.local_unit
    policy = node.timebank.policy.unit
    if declared.name == policy.name and declared.ratio() == policy.node_unit().ratio:
        return None
    return (f"unit mismatch: the directory (serial {directory.serial if directory else '?'}) "
            f"declares {declared.units} {declared.name} = {declared.minutes} min for "
            f"{node.config.node_id}, the policy file {node.config.policy_file} says "
            f"{policy.units} {policy.name} = {policy.minutes} min; the directory's unit is in "
            "force (peers and the regulator read it): ask the authority to change it, or "
            "change the policy's unit to match")


def start_report(node: Node, *, host: str, port: int) -> StartReport:
    config = node.config
    directory = node.federation.current()
    held = (f"directory {directory.federation_id} serial {directory.serial}"
            if directory is not None else "no directory yet")
    policy = node.timebank.policy
    source = config.policy_file or "built-in default"
    line = (f"hourbridge: node {config.node_id} at {config.url} (listening on {host}:{port}); "
            f"{held}; policy {policy.name!r} ({source})")
    warnings = [text for text in (unit_warning(node),) if text]
    return StartReport(line=line, warnings=warnings)


def announce(report: StartReport) -> None:
    """Each warning in the log and on stderr (once: the log goes to stderr unless its level
    hides warnings); then the line on stdout."""
    for text in report.warnings:
        log.warning("%s", text)
        if not log.isEnabledFor(logging.WARNING):
            err.print(f"warning: {text}", markup=False, highlight=False)
    out.print(report.line, markup=False, highlight=False)


def open_for_serving(config: NodeConfig) -> Node:
    """`open_node` for `serve`. A database that cannot be opened on a bad day stops the start
    with one sentence and EXIT_TRY_AGAIN; anything else (a bug, a bad config) raises as ever.

    A node on a full disk does not start: SQLite cannot create the write-ahead log and its
    index when the node opens the database, so such a node could answer nothing, not even a
    balance (docs/decisions.md, "Bad days with real processes")."""
    try:
        return open_node(config, serving=True)
    except Exception as exc:
        fault = storage_fault(exc)
        if fault is None:
            raise
        err.print(f"hourbridge: cannot start: {start_refusal(config, fault)}", markup=False,
                  highlight=False)
        raise typer.Exit(EXIT_TRY_AGAIN) from exc


def start_refusal(config: NodeConfig, fault: Exception) -> str:
    """Why the database cannot be opened, and what the operator does about it. SQLite on a
    full disk says "disk I/O error" (it cannot create its log's index), hence the look at the
    data folder's free space."""
    on_sqlite = config.resolved_database_url().startswith("sqlite")
    if not on_sqlite and isinstance(fault, StorageFull):
        # PostgreSQL's own disk is full (53100): the database server's, not this folder's.
        return ("storage_full: the database server's disk is full. Nothing was lost. Free "
                "space on the PostgreSQL server, then start the node again")
    if on_sqlite and config.data_path.is_dir() and (
            isinstance(fault, StorageFull) or disk_low(config.data_path) is not None):
        free_mib = shutil.disk_usage(config.data_path).free // MIB
        return (f"storage_full: the disk holding {config.data_path} is full ({free_mib} MiB "
                f"free; a node needs {FREE_BYTES_MIN // MIB} MiB). Nothing was lost. Free "
                "space, then start the node again")
    return ("database_unavailable: the node's database does not answer. Nothing was written. "
            "Bring the database back (is PostgreSQL running? is database_url right?), then "
            "start the node again")
