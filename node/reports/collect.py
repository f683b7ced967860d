"""What the federation report collects from every node over HTTP, with a regulator token per
node, all nodes at once:

    GET /api/v1/reports/node    the node's signed report at its newest checkpoint

A node's windows (each link's newest signed statements and record) are taken only from inside
its signed node report: the report is signed whole, so a compiler cannot leave out one link's
windows, only the whole node, which the federation report then names with the reason.
Each answer is verified against the directory before it is kept; one that cannot be fetched or
does not verify is kept as the reason instead, so one node never stops the report.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from node.errors import ErrorCode, FixedCodeError
from node.reports.node_checks import embedded_problems, timely_problems
from protocol.directory import Directory, NodeEntry, NodeStatus
from protocol.errors import ProtocolError
from protocol.wire import parse_object

NODE_REPORT_PATH = "/api/v1/reports/node"
RESPONSE_BYTES_MAX = 16 * 1024 * 1024
TIMEOUT_S = 30.0
PROBLEMS_SHOWN_MAX = 3


class CollectError(FixedCodeError):
    """One node's answer could not be collected or did not verify; the message says why."""

    CODE = ErrorCode.REPORT_NOT_COLLECTED


@dataclass
class Collected:
    """By node id: verified node reports, or why they are missing."""
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


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


def verified_report(answer: dict[str, Any], *, node: str, directory: Directory,
                    collected_at_ms: int) -> dict[str, Any]:
    """The node's signed report, exactly as served, if it passes every check of a node report
    (node/reports/node_checks.py) and was made during this collection; else CollectError."""
    report = answer.get("report")
    problems = embedded_problems(report, node=node, directory=directory)
    if not problems:
        assert isinstance(report, dict)
        problems = timely_problems(report, node=node, collected_at_ms=collected_at_ms,
                                   directory=directory)
    if problems:
        raise _refused(problems)
    assert isinstance(report, dict)
    return report


async def _one(client: httpx.AsyncClient, entry: NodeEntry, token: str | None,
               directory: Directory, collected_at_ms: int) -> dict[str, Any] | str:
    """The node's verified report, or the reason as a string."""
    if token is None:
        return f"no regulator token for {entry.node_id}"
    try:
        answer = await _fetch(client, entry, token, NODE_REPORT_PATH)
        return verified_report(answer, node=entry.node_id, directory=directory,
                               collected_at_ms=collected_at_ms)
    except CollectError as exc:
        return str(exc)
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}: {exc}"
    except ProtocolError as exc:
        return f"{exc.code.value}: {exc.detail}"


def asked_nodes(directory: Directory) -> list[NodeEntry]:
    """Every node a federation report must cover: active and suspended ones (a retired node no
    longer answers). The verifier holds a report to exactly these, of the directory it names."""
    return [n for n in directory.nodes if n.status is not NodeStatus.RETIRED]


async def collect(directory: Directory, tokens: dict[str, str], *, client: httpx.AsyncClient,
                  collected_at_ms: int) -> Collected:
    """Every asked node's report, verified, asking all nodes at once from `collected_at_ms`
    (the federation report's time)."""
    entries = asked_nodes(directory)
    results = await asyncio.gather(*(
        _one(client, entry, tokens.get(entry.node_id), directory, collected_at_ms)
        for entry in entries))
    found = Collected()
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, str):
            found.failed[entry.node_id] = result
        else:
            found.reports[entry.node_id] = result
    return found
