"""What the federation report collects from every node over HTTP, with a regulator token per
node, all nodes at once:

    GET /api/v1/reconciliation/statements   the newest signed statements of each link
    GET /api/v1/reports/node                the node's signed report at its newest checkpoint

Each answer is verified against the directory before it is kept; one that cannot be fetched or
does not verify is kept as the reason instead, so one node never stops the report.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from node.reports.evidence import check_window, report_window
from node.reports.node_checks import embedded_problems
from protocol.directory import Directory, NodeEntry, NodeStatus
from protocol.errors import ProtocolError
from protocol.wire import parse_object

STATEMENTS_PATH = "/api/v1/reconciliation/statements"
NODE_REPORT_PATH = "/api/v1/reports/node"
RESPONSE_BYTES_MAX = 16 * 1024 * 1024
TIMEOUT_S = 30.0
LINKS_PER_NODE_MAX = 1_000
PROBLEMS_SHOWN_MAX = 3


class CollectError(Exception):
    """One node's answer could not be collected or did not verify; the message says why."""


@dataclass
class Collected:
    """By node id: verified windows and node reports, or why they are missing."""
    windows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports_failed: dict[str, str] = field(default_factory=dict)


def _refusal(status: int, raw: bytes) -> str:
    """`HTTP 404 checkpoint_not_found: detail` from a problem+json answer, else the start of
    the body."""
    try:
        problem = json.loads(raw)
        return f"HTTP {status} {problem['code']}: {problem.get('detail', '')}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {raw[:200].decode('utf-8', 'replace')}"


async def _fetch(client: httpx.AsyncClient, entry: NodeEntry, token: str,
                 path: str) -> dict[str, Any]:
    url = entry.base_url.rstrip("/") + path
    async with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"},
                             timeout=TIMEOUT_S) as response:
        raw = b""
        async for chunk in response.aiter_bytes():
            raw += chunk
            if len(raw) > RESPONSE_BYTES_MAX:
                raise CollectError(f"answer larger than {RESPONSE_BYTES_MAX} bytes")
    if response.status_code != 200:
        raise CollectError(_refusal(response.status_code, raw))
    return parse_object(raw, bytes_max=RESPONSE_BYTES_MAX)


def _refused(problems: list[str]) -> CollectError:
    return CollectError("; ".join(problems[:PROBLEMS_SHOWN_MAX]))


def verified_windows(answer: dict[str, Any], *, node: str,
                     directory: Directory) -> list[dict[str, Any]]:
    """The node's windows, each of whose signed documents verifies; else CollectError."""
    windows = answer.get("windows")
    if answer.get("node") != node or not isinstance(windows, list):
        raise CollectError(f"the answer is not {node}'s statements")
    if len(windows) > LINKS_PER_NODE_MAX:
        raise CollectError(f"{len(windows)} links, limit {LINKS_PER_NODE_MAX}")
    problems = [p for window in windows for p in check_window(window, node=node,
                                                              directory=directory)]
    if problems:
        raise _refused(problems)
    peers = [w["peer"] for w in windows]
    if len(set(peers)) != len(peers):
        raise CollectError("more than one newest window for a link")
    return [report_window(w) for w in windows]


def verified_report(answer: dict[str, Any], *, node: str,
                    directory: Directory) -> dict[str, Any]:
    """The node's signed report, exactly as served, if it passes every check of a node report
    (node/reports/node_checks.py); else CollectError."""
    report = answer.get("report")
    problems = embedded_problems(report, node=node, directory=directory)
    if problems:
        raise _refused(problems)
    assert isinstance(report, dict)
    return report


async def _one(client: httpx.AsyncClient, entry: NodeEntry, token: str | None, path: str,
               check: Callable[..., Any], directory: Directory) -> Any:
    """`check`(answer) for the node's answer at `path`, or the reason as a string."""
    if token is None:
        return f"no regulator token for {entry.node_id}"
    try:
        answer = await _fetch(client, entry, token, path)
        return check(answer, node=entry.node_id, directory=directory)
    except CollectError as exc:
        return str(exc)
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}: {exc}"
    except ProtocolError as exc:
        return f"{exc.code.value}: {exc.detail}"


def asked_nodes(directory: Directory) -> list[NodeEntry]:
    """Every node that may hold a current statement: active and suspended ones (a retired node
    no longer answers)."""
    return [n for n in directory.nodes if n.status is not NodeStatus.RETIRED]


async def collect(directory: Directory, tokens: dict[str, str], *,
                  client: httpx.AsyncClient) -> Collected:
    """Every asked node's statements and report, verified, asking all nodes at once."""
    entries = asked_nodes(directory)
    asks = [(entry, path, check) for entry in entries
            for path, check in ((STATEMENTS_PATH, verified_windows),
                                (NODE_REPORT_PATH, verified_report))]
    results = await asyncio.gather(*(
        _one(client, entry, tokens.get(entry.node_id), path, check, directory)
        for entry, path, check in asks))
    found = Collected()
    for (entry, path, _), result in zip(asks, results, strict=True):
        kept, missing = ((found.windows, found.failed) if path == STATEMENTS_PATH
                         else (found.reports, found.reports_failed))
        if isinstance(result, str):
            missing[entry.node_id] = result
        else:
            kept[entry.node_id] = result
    return found
