"""What `hourbridge serve` says as it starts: one line on a healthy start, and a warning for
each setting another one silently overrides (issue 15, "The IT person")."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from node.cli.output import err, out
from node.runtime import Node

log = logging.getLogger("hourbridge.serve")


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
