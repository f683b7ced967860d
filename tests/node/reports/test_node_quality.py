"""What the node report states beyond its ledger: transfers in doubt at the report's time and the
time bank's service quality. Both are the node's signed claim; the verifier refuses a report
whose figures contradict themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.clock import FakeClock
from node.reports import node_report
from node.reports.evidence import unsigned
from node.reports.verify import ReportInvalid, verify_report
from protocol.canonical import canonical_bytes
from protocol.directory import decode_directory
from protocol.signing import sign_object
from tests.conftest import NodeFactory
from tests.factories import grant
from tests.federation import Federation
from tests.node.timebank.conftest import STAFF, member, people, serve
from tests.support import directory_document, node_key

SH, NJ = "sh-pudong", "nj-gulou"
EXPIRY_MS = 15 * 60 * 1000  # the node's default transfer lifetime


def refused(path: Path, document: dict, signer: str, directory: object) -> str:
    """Re-sign the edited report as its node (no CSV or HTML beside it) and verify it."""
    path.write_bytes(canonical_bytes(sign_object(unsigned(document), signer=signer,
                                                 key=node_key(signer))))
    for name in ("report.csv", "report.html"):
        path.with_name(name).unlink(missing_ok=True)
    with pytest.raises(ReportInvalid) as caught:
        verify_report(path, directory=directory)  # type: ignore[arg-type]
    return " | ".join(caught.value.problems)


def test_a_transfer_past_its_expiry_without_an_answer_is_in_doubt(tmp_path: Path) -> None:
    fed = Federation(tmp_path / "fed", [SH, NJ], members=2, grant_minutes=600)
    try:
        fed.send(f"m0@{SH}", f"m0@{NJ}", 60, transfer_id="t")
        fed.network.down.add(NJ)
        fed.pump(SH, NJ)
        fed.clock.advance(EXPIRY_MS)
        fed.tick()
        assert fed.transfer(SH, "t")["state"] == "in_doubt"
        path, document = node_report.build(fed.nodes[SH], tmp_path / "report")
    finally:
        fed.close()
    doubt = document["in_doubt"]
    assert (doubt["count"], doubt["minutes"]) == (1, 60)
    (item,) = doubt["items"]
    assert (item["peer"], item["amount_minutes"]) == (NJ, 60)
    assert item["since_ms"] <= document["issued_at_ms"]
    # The checkpoint signs the 60 minutes as reserved for the open transfer.
    assert {t["account_kind"]: t["balance_minutes"]
            for t in document["checkpoint"]["totals"]}["pending"] == 60
    assert "in_doubt,total,1,60," in path.with_name("report.csv").read_text(encoding="utf-8")
    directory = decode_directory(fed.directory)
    verify_report(path, directory=directory)
    document["in_doubt"]["minutes"] = 30
    assert "sh-pudong minutes in doubt: the report states 30" in refused(path, document, SH,
                                                                          directory)


def test_service_quality_counts_ratings_complaints_and_held_minutes(
        make_node: NodeFactory, backend: str, clock: FakeClock, tmp_path: Path) -> None:
    node = make_node(SH, backend)
    directory = directory_document([SH])
    node.federation.accept(directory)
    people(node, ("gran", 1940), ("pop", 1942), ("vol", 1990))
    grant(node, "gran", 120)
    grant(node, "pop", 120)
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=45, clock=clock)
    node.timebank.requests.confirm(member("gran"), "r1", rating=4, comment="kind")
    serve(node, "r2", recipient="pop", volunteer="vol", minutes=30, clock=clock)
    node.timebank.disputes.complain(member("pop"), "r2", reason="left early")
    node.timebank.requests.post(STAFF, request_id="r3", recipient="gran",
                                category="daily_living", item=None, description="shopping")

    path, document = node_report.build(node, tmp_path)

    service = document["service"]
    assert service["requests"]["posted"] == 3
    assert service["requests"]["completed"] == 2  # paid, and disputed after check-out
    assert service["requests"]["by_state"] == {"disputed": 1, "open": 1, "paid": 1}
    assert (service["ratings"]["count"], service["ratings"]["sum"]) == (1, 4)
    assert service["disputes"] == {"raised": 1, "open": 1, "outcomes": {}, "held_minutes": 30}
    assert service["to_ms"] - service["from_ms"] == 365 * 86_400_000
    page = path.with_name("report.html").read_text(encoding="utf-8")
    assert "Service quality" in page and "4.00" in page
    held = decode_directory(directory)
    verify_report(path, directory=held)
    service["ratings"]["count"] = 2
    service["requests"]["completed"] = 3
    found = refused(path, document, SH, held)
    assert "sh-pudong ratings count: the report states 2" in found
    assert "sh-pudong requests completed: the report states 3" in found
