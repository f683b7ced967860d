"""The node report's ledger figures on both databases: days in the policy's time zone, a
reversal counted as a negative issue, and figures at the checkpoint's height even after the
ledger moved on."""

from __future__ import annotations

from pathlib import Path

from node.clock import FakeClock
from node.reports import node_report
from node.reports.verify import verify_report
from protocol.credit import CreditClass
from protocol.directory import decode_directory
from tests.conftest import NodeFactory
from tests.factories import ADMIN, add_members, grant
from tests.support import directory_document

DAY_MS = 86_400_000


def test_days_reversals_and_the_checkpoint_height(make_node: NodeFactory, backend: str,
                                                   clock: FakeClock, tmp_path: Path) -> None:
    node = make_node("sh-pudong", backend)
    directory = directory_document(["sh-pudong"])
    node.federation.accept(directory)
    add_members(node, "ann", "bo")
    grant(node, "ann", 120)
    clock.advance(DAY_MS)
    for wrong in (grant(node, "bo", 45, CreditClass.EARNED), grant(node, "ann", 5)):
        node.ledger_admin.reverse(ADMIN, height=int(wrong["entry_height"]), reason="typo")
    checkpoint = node.ledger_admin.checkpoint()
    grant(node, "bo", 30)  # after the checkpoint

    body = node_report.node_body(node, checkpoint)

    days = body["activity"]["rows"]
    assert [d["issued_minutes"] for d in days] == [120, 0]  # the grants and their reversals
    assert days[1]["issued_by_class"]["earned"] == 0
    assert body["activity"]["totals"]["issued_minutes"] == 120
    assert body["liability"]["totals"]["outstanding_minutes"] == 120
    assert body["liability"]["totals"]["supply_minutes"] == 0  # a reversed grant is no supply
    path, _ = node_report.build(node, tmp_path)  # a fresh checkpoint: the 30 now count
    verified = verify_report(path, directory=decode_directory(directory))
    assert verified.kind == "report.node"
