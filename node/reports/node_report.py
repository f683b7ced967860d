"""`hourbridge report node`: one node's signed report (DESIGN §8).

Every figure is read in the same database transaction as the ledger checkpoint signed with it,
so the report's totals agree with that checkpoint: hours issued over all days = −issuance,
redeemed = redemption, expired = expiry, outstanding over all age bands = member.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from node.ledger.checkpoint import create_checkpoint
from node.reconcile import records
from node.reports import figures, node_data
from node.reports.document import NODE_KIND, envelope, seal, write_report
from node.reports.evidence import report_window
from node.reports.render_csv import render_csv
from node.reports.render_html import render_html
from node.runtime import Node
from node.services.access import Principal, Role, require_role


def node_body(node: Node) -> dict[str, Any]:
    """The unsigned node report, read at one ledger height."""
    now_ms = node.clock.now_ms()
    policy = node.timebank.policy
    with node.db.write() as conn:
        checkpoint = create_checkpoint(conn, ledger=node.ledger, key=node.signer.key(),
                                       now_ms=now_ms)
        windows = [report_window(w.view()) for w in records.latest_windows(conn)]
        activity = node_data.activity(conn,
                                      utc_offset_minutes=policy.service.utc_offset_minutes)
        liability = node_data.liability(conn, now_ms=now_ms, policy=policy)
        ages, open_items = node_data.discrepancy_ages(conn, now_ms=now_ms)
    node_id = node.config.node_id
    positions = figures.position_rows(node_id, windows)
    return {
        **envelope(NODE_KIND, issued_at_ms=now_ms),
        "node": node_id,
        "checkpoint": checkpoint,
        "windows": windows,
        "positions": {"rows": positions, "net_position_minutes": sum(
            p["closing_position_minutes"] for p in positions)},
        "activity": {"utc_offset_minutes": policy.service.utc_offset_minutes,
                     "rows": figures.activity_rows(activity),
                     "totals": figures.activity_totals(activity)},
        "liability": {"rows": liability, "totals": figures.liability_totals(liability)},
        "discrepancies": {"rows": ages, "totals": figures.discrepancy_totals(ages),
                          "open_items": open_items},
    }


def rendered(node: Node, principal: Principal) -> dict[str, Any]:
    """For the API: the signed report and its CSV and HTML, as one object (admin, regulator).
    Making it signs a ledger checkpoint, as the node's scheduler does."""
    require_role(principal, Role.ADMIN, Role.REGULATOR, what="read the node's report")
    body = node_body(node)
    csv_text, html_text = render_csv(body), render_html(body)
    return {"report": seal(body, csv_text=csv_text, html_text=html_text,
                           signer=node.config.node_id, key=node.signer.key()),
            "csv": csv_text, "html": html_text}


def build(node: Node, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Write report.json (signed by the node), report.csv and report.html into `out_dir`."""
    body = node_body(node)
    return write_report(out_dir, body, csv_text=render_csv(body), html_text=render_html(body),
                        signer=node.config.node_id, key=node.signer.key())
