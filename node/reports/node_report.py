"""`hourbridge report node` and `GET /api/v1/reports/node`: one node's signed report (DESIGN §8).

Every ledger figure is summed from the journal up to the height of the checkpoint the report
embeds, so the report's totals agree with that signed checkpoint: hours issued over all days =
−issuance, redeemed = redemption, expired = expiry, outstanding over all age bands = member.
Transfers in doubt, frozen links and service quality (the time bank's statistics over the 365
days before the report) are as of the report's time and are the node's signed claim: the
verifier checks only that they agree with themselves (node/reports/quality.py). So are the
windows and the hours past each link's last co-signed cut (node/reports/unreconciled.py), read
in the same database snapshot as the windows they are measured against.
The command signs a fresh checkpoint first; the API, which a regulator may call and which
therefore writes nothing, reports at the newest checkpoint (the scheduler signs them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from node.access import Principal, Role, require_role
from node.ledger.checkpoint import latest_checkpoint
from node.reconcile import records
from node.reports import figures, node_data, quality, unreconciled
from node.reports.document import NODE_KIND, envelope, seal, write_report
from node.reports.evidence import report_window
from node.reports.render_csv import render_csv
from node.reports.render_html import render_html
from node.runtime import Node


def node_body(node: Node, checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The unsigned node report, with ledger figures at `checkpoint`'s height."""
    now_ms = node.clock.now_ms()
    policy = node.timebank.policy
    height = int(checkpoint["height"])
    with node.db.read() as conn:
        windows = [report_window(w.view()) for w in records.latest_windows(conn)]
        activity = node_data.activity(conn, height=height,
                                      utc_offset_minutes=policy.service.utc_offset_minutes)
        liability = node_data.liability(conn, height=height, now_ms=now_ms, policy=policy)
        ages, open_items = node_data.discrepancy_ages(conn, now_ms=now_ms)
        in_doubt = node_data.in_doubt(conn)
        frozen = node_data.frozen_links(conn)
        past_cuts = node_data.unreconciled(conn, me=node.config.node_id)
    # [from, to) up to and including the report's millisecond.
    stats = node.timebank.statistics_for(from_ms=now_ms + 1 - quality.SERVICE_PERIOD_MS,
                                         to_ms=now_ms + 1)
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
        "in_doubt": in_doubt,
        "service": quality.service(stats, frozen),
        "unreconciled": unreconciled.node_section(past_cuts),
    }


def directory_names(node: Node) -> dict[str, str]:
    """Node id -> name in the directory in force, for the report's page and CSV."""
    directory = node.federation.current()
    return {} if directory is None else {n.node_id: n.name for n in directory.nodes}


def rendered(node: Node, principal: Principal) -> dict[str, Any]:
    """For the API: the signed report and its CSV and HTML, as one object (admin, regulator),
    at the newest checkpoint (404 `checkpoint_not_found` before the first)."""
    require_role(principal, Role.ADMIN, Role.REGULATOR, what="read the node's report")
    with node.db.read() as conn:
        checkpoint = latest_checkpoint(conn)
    body = node_body(node, checkpoint)
    names = directory_names(node)
    csv_text, html_text = render_csv(body, names=names), render_html(body, names=names)
    return {"report": seal(body, csv_text=csv_text, html_text=html_text,
                           signer=node.config.node_id, key=node.signer.key()),
            "csv": csv_text, "html": html_text}


def build(node: Node, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Sign a checkpoint now, then write report.json (signed by the node), report.csv and
    report.html into `out_dir`."""
    body = node_body(node, node.ledger_admin.checkpoint())
    names = directory_names(node)
    return write_report(out_dir, body, csv_text=render_csv(body, names=names),
                        html_text=render_html(body, names=names),
                        signer=node.config.node_id, key=node.signer.key())
