"""THE ERASURE TEST (issue 14): after a member's personal data is erased, no table of the
database holds her name, phone, address, ID number, emergency contact or e-mail in any text
column, while her balances, the ledger's chain and checkpoints (`verify-ledger`) and a signed
node report still verify, and the journal is byte for byte what it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, Text, insert, select

from node.clock import FakeClock
from node.db.schema import journal_entries, member_credentials, metadata, postings
from node.errors import ErrorCode, RuleViolation
from node.notify.contacts import ContactDetails
from node.privacy.consents import Purpose
from node.privacy.erasure import ERASED_NAME
from node.reports import node_report
from node.reports.verify import verify_report
from node.runtime import Node
from protocol.directory import decode_directory
from tests.factories import ADMIN
from tests.node.certificates.support import settled_visits
from tests.node.privacy.support import ID_GRAN, STAFF_EAST, log_rows
from tests.support import directory_document

NAME = "王秀英"
DATA = {"phone": "13800001111", "emergency_name": "李建国", "emergency_phone": "13900002222",
        "home_address": "南京市鼓楼区中山路18号", "id_number": ID_GRAN,
        "care_notes": "糖尿病，每周二送药"}
EMAIL = "wang.xiuying@example.org"
SECRETS = [NAME, DATA["phone"], DATA["emergency_name"], DATA["emergency_phone"],
           DATA["home_address"], ID_GRAN, DATA["care_notes"], EMAIL]
FIRST_NAME = "Gran"  # her name at registration (settled_visits), matched as a whole value


def _her_everything(node: Node, clock: FakeClock) -> None:
    settled_visits(node, clock, ("r1", "daily_living", 45))  # gran (1940) served by vol
    node.member_edits.edit(STAFF_EAST, "gran", fields={"display_name": NAME},
                           reason=f"身份证上写的是{NAME}")
    node.privacy.correct(STAFF_EAST, "gran", DATA)
    node.notifications.contacts.put(STAFF_EAST, "gran", ContactDetails(
        email=EMAIL, gateway_recipient=DATA["phone"]))
    node.privacy.set_consent(STAFF_EAST, "gran", Purpose.HOME_VISIT_CONTACT, given=True,
                             guardian_name=None)
    node.timebank.requests.post(STAFF_EAST, request_id="r-meal", recipient="gran",
                                category="daily_living", item=None,
                                description=f"送饭到{DATA['home_address']}，先打{DATA['phone']}")
    with node.db.write() as conn:
        conn.execute(insert(member_credentials).values(
            member_local_id="gran", secret_hash="$argon2id$v=19$x", version=1, failed_count=0,
            updated_at_ms=clock.now_ms()))


def _found(node: Node) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every text value holding one of her data."""
    found = []
    with node.db.read() as conn:
        for table in metadata.sorted_tables:
            texts = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in conn.execute(select(*texts)) if texts else ():
                for column, value in zip(texts, row, strict=True):
                    if isinstance(value, str) and (value == FIRST_NAME or any(
                            secret in value for secret in SECRETS)):
                        found.append((table.name, column.name, value))
    return found


def _journal(node: Node) -> list[Any]:
    with node.db.read() as conn:
        return [conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                for t in (journal_entries, postings)]


def test_erasure_leaves_no_personal_data_and_everything_verifies(
        sqlite_node: Node, clock: FakeClock, tmp_path: Path) -> None:
    node = sqlite_node
    directory = directory_document([node.config.node_id])
    node.federation.accept(directory)
    _her_everything(node, clock)
    node.ledger_admin.checkpoint()
    assert {table for table, _, _ in _found(node)} >= {
        "members", "member_changes", "personal_data", "member_contacts", "tb_service_requests"}
    balance = node.members.balance(ADMIN, "gran")
    journal = _journal(node)

    answer = node.privacy.erase(STAFF_EAST, "gran", reason="本人书面申请注销")

    assert answer["erased"] == ["personal_data", "contacts", "sign_in", "record"]
    assert _found(node) == []
    assert _journal(node) == journal
    assert node.members.balance(ADMIN, "gran") == balance
    assert node.ledger_admin.verify().ok
    path, _ = node_report.build(node, tmp_path / "report")  # a new signed checkpoint too
    assert verify_report(path, directory=decode_directory(directory)).kind == "report.node"
    assert node.ledger_admin.verify().ok
    record = node.members.get(ADMIN, "gran")
    assert (record.display_name, record.birth_year, record.status) == (
        ERASED_NAME, None, "deactivated")
    with pytest.raises(RuleViolation) as refused:  # her name is never typed back in
        node.member_edits.edit(STAFF_EAST, "gran", fields={"display_name": NAME},
                               reason="她的名字")
    assert refused.value.code == ErrorCode.MEMBER_ERASED
    assert _found(node) == []
    again = node.privacy.erase(ADMIN, "gran", reason="twice")
    assert again["already"] is True
    exported = node.privacy.export(ADMIN, "gran")
    assert exported["personal_data"]["phone"] is None
    assert {credit: minutes for credit, minutes in exported["balances"].items()
            if minutes} == balance["by_class_minutes"]
    assert ("staff:east:staff-east", "erase", "everything", "allowed") in log_rows(node, "gran")
    assert node.privacy.verify_log().ok
