"""No hours land on a relocated account (issue 12, finding 5): a member who is recipient or
volunteer of a service request that can still pay, refund or hold hours cannot relocate
(409 open_service_requests), and the ledger itself refuses to credit a member who moved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from node.access import Principal, Role
from node.db.schema import members
from node.errors import ErrorCode, RuleViolation
from node.ledger.model import EntryKind, Posting, member_account
from node.runtime import Node
from node.timebank.disputes import Outcome
from protocol.credit import CreditClass
from tests.factories import ADMIN, by_class
from tests.federation import Federation, audit
from tests.node.timebank.conftest import visit_code
from tests.node.timebank.support import escrow

SH, NJ = "sh-pudong", "nj-gulou"
VISIT_MINUTES = 30


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600)
    yield federation
    federation.close()


def member(local_id: str) -> Principal:
    return Principal(Role.MEMBER, f"tok-{local_id}", member_local_id=local_id)


def relocate(fed: Federation, local_id: str, relocation_id: str) -> Any:
    return fed.call(SH, "POST", f"/api/v1/members/{local_id}/relocation",
                    {"id": relocation_id, "to_node": NJ, "new_local_id": f"{local_id}.nj"})


def refused(fed: Federation, local_id: str) -> None:
    answer = relocate(fed, local_id, f"refused-{local_id}")
    assert (answer.status_code, answer.json()["code"]) == (409, "open_service_requests")
    assert fed.nodes[SH].members.get(ADMIN, local_id).status == "active"


def visit(fed: Federation, request_id: str, *, until: str) -> None:
    """m0 is served by volunteer m1, up to `until`: posted, accepted or checked_out."""
    requests = fed.nodes[SH].timebank.requests
    requests.post(member("m0"), request_id=request_id, recipient="m0",
                  category="daily_living", item=None, description="help at home")
    if until == "posted":
        return
    requests.accept(member("m1"), request_id, volunteer="m1")
    if until == "accepted":
        return
    requests.check_in(member("m1"), request_id, code=visit_code(fed.nodes[SH], "m0"))
    fed.clock.advance(VISIT_MINUTES * 60_000)
    requests.check_out(member("m1"), request_id)


def test_an_open_or_accepted_request_keeps_both_parties_until_cancelled(
        fed: Federation) -> None:
    visit(fed, "r-open", until="posted")
    refused(fed, "m0")
    visit(fed, "r-acc", until="accepted")
    refused(fed, "m1")
    for request_id in ("r-open", "r-acc"):
        fed.nodes[SH].timebank.requests.cancel(member("m0"), request_id, reason="moving")
    assert relocate(fed, "m0", "rel-m0").status_code == 201
    assert relocate(fed, "m1", "rel-m1").status_code == 201
    fed.settle()
    assert fed.balance(f"m0.nj@{NJ}") == fed.balance(f"m1.nj@{NJ}") == 600
    audit(fed)


def test_a_volunteer_who_checked_out_moves_once_he_is_paid(fed: Federation) -> None:
    visit(fed, "r1", until="checked_out")
    assert escrow(fed.nodes[SH]) == VISIT_MINUTES
    refused(fed, "m1")
    refused(fed, "m0")
    fed.nodes[SH].timebank.requests.confirm(member("m0"), "r1", rating=5, comment="")
    assert relocate(fed, "m1", "rel-m1").status_code == 201
    fed.settle()
    # His pay travelled with him; nothing is left on the old account.
    assert by_class(fed.nodes[NJ], "m1.nj") == {"earned": VISIT_MINUTES, "granted": 600}
    assert fed.balance(f"m1@{SH}") == 0
    audit(fed)


def test_a_disputed_hold_keeps_the_recipient_until_it_is_resolved(fed: Federation) -> None:
    visit(fed, "r1", until="checked_out")
    disputes = fed.nodes[SH].timebank.disputes
    disputes.complain(member("m0"), "r1", reason="did not come")
    refused(fed, "m0")
    refused(fed, "m1")
    disputes.resolve(ADMIN, "r1", outcome=Outcome.REFUND, released_minutes=None, reason="no visit")
    assert relocate(fed, "m0", "rel-m0").status_code == 201
    fed.settle()
    assert fed.balance(f"m0.nj@{NJ}") == 600  # the refund moved with her
    assert escrow(fed.nodes[SH]) == 0
    audit(fed)


def _credit(node: Node, local_id: str, kind: str = "grant") -> None:
    node.writer.run(lambda conn: node.ledger.post(
        conn, kind=kind, ref=None, actor="admin:test", memo="", now_ms=node.clock.now_ms(),
        legs=(Posting("issuance", CreditClass.GRANTED, -5),
              Posting(member_account(local_id), CreditClass.GRANTED, 5))))


def test_the_ledger_credits_no_member_who_moved_or_is_moving(fed: Federation) -> None:
    sh = fed.nodes[SH]
    assert relocate(fed, "m2", "rel-m2").status_code == 201
    with pytest.raises(RuleViolation) as moving:
        _credit(sh, "m2")
    assert moving.value.code == ErrorCode.MEMBER_INACTIVE
    fed.settle()
    with pytest.raises(RuleViolation) as moved:
        _credit(sh, "m2")
    assert moved.value.code == ErrorCode.MEMBER_RELOCATED
    with pytest.raises(RuleViolation):
        _credit(sh, "m2", kind=EntryKind.RELOCATION_OUT)  # only a relocating member's release
    assert fed.balance(f"m2@{SH}") == 0
    audit(fed)


def test_a_settlement_that_would_pay_a_moved_volunteer_is_refused(fed: Federation) -> None:
    """The backstop on the settle path: a volunteer moved by a path that skipped the check
    (an older node) is not paid onto the dead account; the hold stays in escrow."""
    visit(fed, "r1", until="checked_out")
    sh = fed.nodes[SH]
    with sh.db.write() as conn:
        conn.execute(update(members).where(members.c.local_id == "m1").values(
            status="relocated", relocated_to=f"m1.nj@{NJ}"))
    with pytest.raises(RuleViolation) as err:
        sh.timebank.requests.confirm(member("m0"), "r1", rating=5, comment="")
    assert err.value.code == ErrorCode.MEMBER_RELOCATED
    assert escrow(sh) == VISIT_MINUTES
    assert sh.timebank.requests.get(ADMIN, "r1")["state"] == "completed"
