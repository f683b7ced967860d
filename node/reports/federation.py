"""`hourbridge report federation`: the multilateral view (DESIGN §7), for a regulator.

Collects every node's signed statements for the newest window of each link over HTTP
(`GET /api/v1/reconciliation/statements` with a regulator token per node), verifies each
against the directory, and computes each node's net position against the federation and every
unmatched pair (node/reports/figures.py). The report embeds every collected signed document
verbatim and is signed by whoever compiled it: the federation authority or a node
(docs/decisions.md, "Regulator reports"). `verify-report` recomputes everything from it.

Callable from Python as `build(...)` (or `build_async(...)` inside an event loop); tests pass an
`httpx.AsyncClient` whose transports reach in-process nodes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from node.clock import SystemClock
from node.reports import figures
from node.reports.document import FEDERATION_KIND, envelope, write_report
from node.reports.evidence import check_window, load_directory, report_window
from node.reports.render_csv import render_csv
from node.reports.render_html import render_html
from protocol.directory import Directory, NodeEntry, NodeStatus
from protocol.errors import ProtocolError
from protocol.signing import SigningKey, VerifyKey
from protocol.wire import parse_object

STATEMENTS_PATH = "/api/v1/reconciliation/statements"
RESPONSE_BYTES_MAX = 16 * 1024 * 1024
TIMEOUT_S = 30.0
LINKS_PER_NODE_MAX = 1_000
PROBLEMS_SHOWN_MAX = 3


class CollectError(Exception):
    """One node's statements could not be collected or did not verify; the message says why."""


async def _fetch(client: httpx.AsyncClient, entry: NodeEntry, token: str) -> dict[str, Any]:
    url = entry.base_url.rstrip("/") + STATEMENTS_PATH
    async with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"},
                             timeout=TIMEOUT_S) as response:
        raw = b""
        async for chunk in response.aiter_bytes():
            raw += chunk
            if len(raw) > RESPONSE_BYTES_MAX:
                raise CollectError(f"answer larger than {RESPONSE_BYTES_MAX} bytes")
    if response.status_code != 200:
        raise CollectError(f"HTTP {response.status_code}: {raw[:200].decode('utf-8', 'replace')}")
    return parse_object(raw, bytes_max=RESPONSE_BYTES_MAX)


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
        raise CollectError("; ".join(problems[:PROBLEMS_SHOWN_MAX]))
    peers = [w["peer"] for w in windows]
    if len(set(peers)) != len(peers):
        raise CollectError("more than one newest window for a link")
    return [report_window(w) for w in windows]


async def _collect_one(client: httpx.AsyncClient, entry: NodeEntry, token: str | None,
                       directory: Directory) -> list[dict[str, Any]] | str:
    if token is None:
        return f"no regulator token for {entry.node_id}"
    try:
        answer = await _fetch(client, entry, token)
        return verified_windows(answer, node=entry.node_id, directory=directory)
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
                  client: httpx.AsyncClient) -> tuple[dict[str, list[dict[str, Any]]],
                                                      dict[str, str]]:
    """(verified windows by node, failure by node), asking every node at once."""
    entries = asked_nodes(directory)
    results = await asyncio.gather(*(_collect_one(client, entry, tokens.get(entry.node_id),
                                                  directory) for entry in entries))
    collected: dict[str, list[dict[str, Any]]] = {}
    failed: dict[str, str] = {}
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, str):
            failed[entry.node_id] = result
        else:
            collected[entry.node_id] = result
    return collected, failed


def federation_body(directory: Directory, collected: dict[str, list[dict[str, Any]]],
                    failed: dict[str, str], *, issued_at_ms: int) -> dict[str, Any]:
    nodes = [entry.node_id for entry in asked_nodes(directory)]
    return {
        **envelope(FEDERATION_KIND, issued_at_ms=issued_at_ms),
        "federation_id": directory.federation_id,
        "directory_serial": directory.serial,
        "directory_hash": directory.content_hash(),
        "nodes": nodes,
        "collected": [{"node": node, "windows": collected[node]} for node in sorted(collected)],
        "failures": [{"node": node, "error": failed[node]} for node in sorted(failed)],
        **figures.federation_figures(nodes, collected, failed),
    }


async def build_async(*, directory: dict[str, Any], tokens: dict[str, str], out_dir: Path,
                      signer: str, key: SigningKey, anchors: list[VerifyKey] | None = None,
                      now_ms: int | None = None, client: httpx.AsyncClient | None = None,
                      ) -> tuple[Path, dict[str, Any]]:
    """Collect, compute and write report.json/.csv/.html into `out_dir`.

    `directory`: the signed directory document (its nodes' base URLs are where to ask);
    `tokens`: a regulator token per node id; `signer`/`key`: the federation id and the
    authority's key, or a node id and that node's key. Returns the JSON's path and document.
    """
    held = load_directory(directory, anchors=anchors)
    issued_at_ms = SystemClock().now_ms() if now_ms is None else now_ms
    if client is None:
        async with httpx.AsyncClient() as own:
            collected, failed = await collect(held, tokens, client=own)
    else:
        collected, failed = await collect(held, tokens, client=client)
    body = federation_body(held, collected, failed, issued_at_ms=issued_at_ms)
    return write_report(out_dir, body, csv_text=render_csv(body), html_text=render_html(body),
                        signer=signer, key=key)


def build(*, directory: dict[str, Any], tokens: dict[str, str], out_dir: Path, signer: str,
          key: SigningKey, anchors: list[VerifyKey] | None = None, now_ms: int | None = None,
          ) -> tuple[Path, dict[str, Any]]:
    """`build_async` from synchronous code (the CLI, ./scripts/up), with its own HTTP client."""
    return asyncio.run(build_async(directory=directory, tokens=tokens, out_dir=out_dir,
                                   signer=signer, key=key, anchors=anchors, now_ms=now_ms))
