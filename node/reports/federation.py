"""`hourbridge report federation`: the multilateral view (DESIGN §7), for a regulator.

Collects every node's signed node report over HTTP (node/reports/collect.py), verifies each
against the directory, and computes, from the windows inside them, each node's net position
against the federation and every unmatched pair (node/reports/figures.py), the hours past each
link's last co-signed cut per direction (node/reports/unreconciled.py), and the
federation-wide sums of the node reports' figures (node/reports/aggregates.py), and what a
multilateral settlement would replace, at each hub of the link map when one is given
(node/reports/settlement.py). The report embeds every collected node report and the link map
verbatim, names the directory it was made against (serial and hash) and is signed by the
federation authority (docs/standard.md §19, "Who signs"): `verify-report` holds it to exactly
that directory's nodes and recomputes everything from it.

Callable from Python as `build(...)` (or `build_async(...)` inside an event loop); tests pass an
`httpx.AsyncClient` whose transports reach in-process nodes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from node.clock import SystemClock
from node.reports import figures, settlement, unreconciled
from node.reports.aggregates import aggregates
from node.reports.collect import Collected, asked_nodes, collect
from node.reports.document import FEDERATION_KIND, envelope, write_report
from node.reports.evidence import load_directory
from node.reports.render_csv import render_csv
from node.reports.render_html import render_html
from protocol.directory import Directory
from protocol.links import accept_links, decode_links
from protocol.signing import SigningKey, VerifyKey


def federation_body(directory: Directory, found: Collected, *, issued_at_ms: int,
                    link_map: dict[str, Any] | None = None) -> dict[str, Any]:
    """`link_map`: the signed link map, already accepted against `directory`, or None."""
    nodes = [entry.node_id for entry in asked_nodes(directory)]
    reports, failed = found.reports, found.failed
    positioned = figures.federation_figures(nodes, reports, failed)
    held_map = None if link_map is None else decode_links(link_map)
    return {
        **envelope(FEDERATION_KIND, issued_at_ms=issued_at_ms),
        "federation_id": directory.federation_id,
        "directory_serial": directory.serial,
        "directory_hash": directory.content_hash(),
        "nodes": nodes,
        "node_reports": [{"node": node, "report": reports[node]} for node in sorted(reports)],
        "node_report_failures": [{"node": node, "error": failed[node]}
                                 for node in sorted(failed)],
        **positioned,
        "unreconciled": unreconciled.federation_section(reports),
        "aggregates": aggregates(reports),
        "link_map": link_map,
        "settlement": settlement.section(positioned["positions"], held_map),
    }


async def build_async(*, directory: dict[str, Any], tokens: dict[str, str], out_dir: Path,
                      key: SigningKey, anchors: list[VerifyKey] | None = None,
                      now_ms: int | None = None, client: httpx.AsyncClient | None = None,
                      link_map: dict[str, Any] | None = None,
                      ) -> tuple[Path, dict[str, Any]]:
    """Collect, compute and write report.json/.csv/.html into `out_dir`.

    `directory`: the signed directory document (its nodes' base URLs are where to ask);
    `tokens`: a regulator token per node id; `key`: an authority key the directory lists
    (the report is signed as the federation); `link_map`: the authority's signed link map
    (§22), or None for a full mesh; it must be accepted against `directory` (ProtocolError
    else). Returns the JSON's path and document.
    """
    held = load_directory(directory, anchors=anchors)
    if not any(record.key_id == key.key_id for record in held.authority_keys):
        raise ValueError(f"key {key.key_id} is not an authority key of the directory")
    if link_map is not None:
        accept_links(link_map, directory=held, current=None)
    issued_at_ms = SystemClock().now_ms() if now_ms is None else now_ms
    if client is None:
        async with httpx.AsyncClient() as own:
            found = await collect(held, tokens, client=own, collected_at_ms=issued_at_ms)
    else:
        found = await collect(held, tokens, client=client, collected_at_ms=issued_at_ms)
    body = federation_body(held, found, issued_at_ms=issued_at_ms, link_map=link_map)
    names = {entry.node_id: entry.name for entry in held.nodes}  # the page names each node
    return write_report(out_dir, body, csv_text=render_csv(body, names=names),
                        html_text=render_html(body, names=names), signer=held.federation_id,
                        key=key)


def build(*, directory: dict[str, Any], tokens: dict[str, str], out_dir: Path,
          key: SigningKey, anchors: list[VerifyKey] | None = None, now_ms: int | None = None,
          link_map: dict[str, Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """`build_async` from synchronous code (the CLI, ./scripts/up), with its own HTTP client."""
    return asyncio.run(build_async(directory=directory, tokens=tokens, out_dir=out_dir,
                                   key=key, anchors=anchors, now_ms=now_ms,
                                   link_map=link_map))
