"""The idempotent-command preamble (`open_command`), on a real node's database: who may act, a
replay for the same id and body, a Conflict for another body, and the active check for new ids
only."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.access import Principal, Role
from node.db.schema import grants
from node.errors import AuthError, Conflict, ErrorCode, NotFound, RuleViolation
from node.runtime import Node
from node.services.idempotency import Opened, open_command, request_hash
from protocol.credit import CreditClass

ADMIN = Principal(Role.ADMIN, "t-admin")
STAFF_ELSEWHERE = Principal(Role.STAFF, "t-staff", station="north")
# The body GrantService hashes for the grant below.
G1_BODY = request_hash({"member": "m1", "amount_minutes": 60, "credit_class": "granted",
                        "reason": "welcome"})


@pytest.fixture
def node(sqlite_node: Node) -> Node:
    sqlite_node.members.create(ADMIN, local_id="m1", display_name="Li", station="south",
                               birth_year=None)
    sqlite_node.grants.create(ADMIN, grant_id="g1", local_id="m1", amount_minutes=60,
                              credit_class=CreditClass.GRANTED, reason="welcome")
    return sqlite_node


def _open(node: Node, principal: Principal = ADMIN, *, record_id: str,
          body_hash: str = G1_BODY, member: str = "m1") -> Opened:
    with node.db.write() as conn:
        return open_command(conn, principal, member=member, table=grants, record_id=record_id,
                            body_hash=body_hash, conflict=ErrorCode.GRANT_ID_CONFLICT)


def test_a_new_id_opens_with_the_member_and_nothing_stored(node: Node) -> None:
    opened = _open(node, record_id="g2")
    assert opened.existing is None
    assert opened.member.local_id == "m1"


def test_the_same_id_and_body_replays_the_stored_record(node: Node) -> None:
    opened = _open(node, record_id="g1")
    assert opened.existing is not None
    assert (opened.existing.id, opened.existing.amount_minutes) == ("g1", 60)


def test_the_same_id_with_another_body_is_a_conflict(node: Node) -> None:
    with pytest.raises(Conflict) as caught:
        _open(node, record_id="g1", body_hash=request_hash({"other": 1}))
    assert caught.value.code == ErrorCode.GRANT_ID_CONFLICT


def test_an_inactive_member_gets_replays_but_no_new_command(node: Node) -> None:
    node.members.deactivate(ADMIN, "m1", reason="moved away")
    assert _open(node, record_id="g1").existing is not None
    with pytest.raises(RuleViolation) as caught:
        _open(node, record_id="g2")
    assert caught.value.code == ErrorCode.MEMBER_INACTIVE


def test_who_may_act_is_checked_before_anything_is_read(node: Node) -> None:
    """Staff of another station learn nothing, not even whether the id was used."""
    for record_id in ("g1", "g2"):
        with pytest.raises(AuthError):
            _open(node, STAFF_ELSEWHERE, record_id=record_id)
    with pytest.raises(NotFound) as caught:
        _open(node, record_id="g2", member="nobody")
    assert caught.value.code == ErrorCode.MEMBER_NOT_FOUND


def test_commands_run_the_preamble_through_open_command() -> None:
    """Only the preamble itself and the payer's approval (whose transfer id is derived from the
    payment request, whose state decides a replay) look an id up on their own."""
    root = Path(__file__).resolve().parents[3] / "node"
    callers = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                     if "find_existing(" in path.read_text(encoding="utf-8"))
    assert callers == ["services/idempotency.py", "services/payments.py"]
