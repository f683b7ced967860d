"""Issuing a certificate: the volunteer's settled visits by category, signed by the node; the
node keeps the figures and the document's hash, never the document, its name, or a journal
line; refusals are audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from node.certificates.document import sha256_hex
from node.certificates.service import subject
from node.clock import FakeClock
from node.db.schema import journal_entries, tb_audit, tb_certificates
from node.errors import AuthError, ErrorCode, RuleViolation
from node.runtime import Node
from tests.factories import ADMIN
from tests.node.certificates.support import VOLUNTEER, service, settled_visits, volunteer
from tests.node.timebank.conftest import STAFF, member
from tests.support import START_MS


def test_the_certificate_counts_settled_visits_by_category(sqlite_node: Node,
                                                           clock: FakeClock) -> None:
    settled_visits(sqlite_node, clock, ("r1", "daily_living", 45), ("r2", "daily_living", 50),
                   ("r3", "health", 30))
    clock.advance(60_000)
    issued = service(sqlite_node).issue(volunteer(), VOLUNTEER, from_ms=START_MS, to_ms=None)
    document = issued["document"]
    assert document["display_name"] == "Vol" and document["member"] == "vol@sh-pudong"
    assert (document["total_minutes"], document["hours"], document["minutes"],
            document["visits"]) == (125, 2, 5, 3)
    assert document["by_category"] == {"daily_living": {"visits": 2, "minutes": 95},
                                       "health": {"visits": 1, "minutes": 30}}
    assert document["period"] == {"from_ms": START_MS, "to_ms": clock.now_ms()}
    assert document["signatures"].keys() == {"sh-pudong"}
    record = issued["record"]
    assert record["document_sha256"] == sha256_hex(document)
    assert (record["total_minutes"], record["visits"]) == (125, 3)


def test_the_node_keeps_no_name_and_journals_nothing(sqlite_node: Node,
                                                     clock: FakeClock) -> None:
    settled_visits(sqlite_node, clock, ("r1", "daily_living", 45))
    with sqlite_node.db.read() as conn:
        height = conn.execute(select(func.max(journal_entries.c.height))).scalar_one()
    issued = service(sqlite_node).issue(STAFF, VOLUNTEER, from_ms=0, to_ms=None)
    with sqlite_node.db.read() as conn:
        assert conn.execute(select(func.max(journal_entries.c.height))).scalar_one() == height
        row = conn.execute(select(tb_certificates)).one()
        actions = list(conn.execute(select(tb_audit.c.action).where(
            tb_audit.c.subject == subject(VOLUNTEER))).scalars())
    assert "Vol" not in json.dumps(row._asdict())
    assert row.id == issued["record"]["id"] and actions == ["certificate_issued"]
    assert service(sqlite_node).get(ADMIN, VOLUNTEER, row.id) == issued["record"]


def test_a_period_without_visits_certifies_none(sqlite_node: Node, clock: FakeClock) -> None:
    settled_visits(sqlite_node, clock, ("r1", "daily_living", 45))
    clock.advance(60_000)
    issued = service(sqlite_node).issue(ADMIN, VOLUNTEER, from_ms=clock.now_ms() - 1,
                                        to_ms=clock.now_ms())
    assert (issued["document"]["visits"], issued["document"]["by_category"]) == (0, {})


def test_another_member_is_refused_and_audited(sqlite_node: Node, clock: FakeClock) -> None:
    settled_visits(sqlite_node, clock, ("r1", "daily_living", 45))
    with pytest.raises(AuthError):
        service(sqlite_node).issue(member("gran"), VOLUNTEER, from_ms=0, to_ms=None)
    with sqlite_node.db.read() as conn:
        assert conn.execute(select(tb_certificates)).all() == []
        actions = list(conn.execute(select(tb_audit.c.action).where(
            tb_audit.c.subject == subject(VOLUNTEER))).scalars())
    assert actions == ["certificate_refused"]


def test_a_backwards_or_future_period_is_refused(sqlite_node: Node, clock: FakeClock) -> None:
    settled_visits(sqlite_node, clock, ("r1", "daily_living", 45))
    for from_ms, to_ms in ((clock.now_ms(), clock.now_ms() - 1), (0, clock.now_ms() + 1)):
        with pytest.raises(RuleViolation) as refused:
            service(sqlite_node).issue(ADMIN, VOLUNTEER, from_ms=from_ms, to_ms=to_ms)
        assert refused.value.code == ErrorCode.VALIDATION_FAILED
