"""The refusals a peer can drive only once the target's operator prepared something (fixtures.py):
a key of the kit's that is not valid now, a suspended and a retired sender, members who may not
receive, at their balance cap or moved away, a credit class the target does not take. A row
whose fixture is absent is "not run" and says what to give; a row passes only on the code the
standard asks for. Codes no peer can provoke on a healthy target are listed "not run" too.
"""

from __future__ import annotations

from typing import Any

from node.conformance.admission import ADMISSION, expect_refusal, status_message
from node.conformance.fixtures import Fixtures, OtherSender
from node.conformance.peer import Peer, new_id
from node.conformance.results import Report
from node.conformance.transfers import PREPARE, Books, answers, expect_answer, prepare, prepare_hash
from protocol.directory import NodeStatus
from protocol.fields import GENESIS_HASH
from protocol.merkle import TransferLeaf
from protocol.messages.transfer import PrepareMessage
from protocol.transaction import build_transaction

CODES = "§12 reason codes"
RELOCATED_SECTION = "§10 relocation"
RELOCATED_SCENARIO = ("a member of the target moved away; a prepare to her old address: "
                      "creditor_relocated")
FIXTURE_MINUTES = 1  # what each fixture prepare moves: one minute passes a cap she is at
NEVER_DRIVEN = [
    ("overall_cap_exceeded", "the debtor node's own check before it sends (§9.2); a receiver "
     "never answers it, so it never reaches a peer on the wire"),
    ("response_mismatch (sender side)", "the target's reaction to a response that does not "
     "answer its transaction is not observable apart from a resend; not driven yet"),
    ("rate_limited", "a healthy target sheds no load at the kit's few requests; a peer cannot "
     "make it without flooding it"),
    ("receiver_unavailable", "a healthy target is available; only its operator's maintenance "
     "or a storage fault provokes it"),
]


def _key_not_valid(peer: Peer, report: Report, fixtures: Fixtures) -> None:
    scenario = "signed with a key of the sender not valid at the signing time"
    key = fixtures.closed_key
    if key is None:
        report.not_run(ADMISSION, scenario, "give `closed_key` in --fixtures: a second kit key "
                       "the directory lists with a window that has ended or not begun")
        return
    entry = peer.directory.node(peer.kit_id)
    record = None if entry is None else entry.key(key.key_id)
    now_ms = peer.now_ms()
    if record is None or record.valid_at(now_ms):
        report.not_run(ADMISSION, scenario, f"the directory lists no closed window for "
                       f"{peer.kit_id}'s key {key.key_id} (`closed_key` in --fixtures)")
        return
    transaction = build_transaction(
        transaction_id=new_id(), sender=peer.kit_id,
        receiver=peer.target_id, sequence=peer.sequence + 1, prev_hash=peer.head,
        created_at_ms=now_ms, messages=[status_message(peer)], key=key)
    expect_refusal(report, ADMISSION, scenario, peer.send(transaction), "key_not_valid",
                   signed=False)


def _other_sender(peer: Peer, report: Report, sender: OtherSender | None,
                  status: NodeStatus, code: str) -> None:
    scenario = f"the sender is {status.value} in the directory"
    fixture = f"{status.value}_node"
    if sender is None:
        report.not_run(ADMISSION, scenario, f"give `{fixture}` in --fixtures: a node the "
                       f"directory lists as {status.value}, and its key")
        return
    entry = peer.directory.node(sender.node_id)
    if entry is None or entry.status is not status or entry.key(sender.key.key_id) is None:
        report.not_run(ADMISSION, scenario, f"the directory does not list {sender.node_id} as "
                       f"{status.value} with key {sender.key.key_id} (`{fixture}`)")
        return
    transaction = build_transaction(
        transaction_id=new_id(), sender=sender.node_id,
        receiver=peer.target_id, sequence=1, prev_hash=GENESIS_HASH,
        created_at_ms=peer.now_ms(), messages=[status_message(peer)], key=sender.key)
    expect_refusal(report, ADMISSION, scenario, peer.send(transaction), code, signed=False)


def _creditor_cases(peer: Peer, fixtures: Fixtures,
                    member: str) -> list[tuple[str, str, dict[str, Any] | str, str]]:
    """(section, scenario, the prepare or what to give for it, the code expected)."""
    def to(local_id: str | None, fixture: str, what: str,
           **changes: Any) -> dict[str, Any] | str:
        if local_id is None:
            return f"give `{fixture}` in --fixtures: {what}"
        return prepare(peer, f"{local_id}@{peer.target_id}", FIXTURE_MINUTES, **changes)

    credit_class, purpose = fixtures.untransferable or (None, None)
    return [
        (PREPARE, "a creditor who may not receive", to(
            fixtures.cannot_receive_member, "cannot_receive_member",
            "a member who may not receive gifts (e.g. deactivated)"), "creditor_cannot_receive"),
        (PREPARE, "a creditor at her balance cap", to(
            fixtures.balance_cap_member, "balance_cap_member",
            "a member at her balance cap, so that one more minute passes it"),
         "balance_cap_exceeded"),
        (PREPARE, "a credit class the target does not take so", to(
            member if credit_class else None, "untransferable",
            "a credit class and purpose the target does not take from a peer",
            credit_class=credit_class, purpose=purpose), "credit_class_not_transferable"),
        (RELOCATED_SECTION, RELOCATED_SCENARIO, to(
            fixtures.relocated_member, "relocated_member",
            "the old local id of a member of the target who moved away"), "creditor_relocated"),
    ]


def _valid(message: dict[str, Any]) -> str:
    """Why `message` is no valid prepare (a fixture that makes none), or empty."""
    try:
        PrepareMessage.model_validate(message)
    except ValueError as exc:
        return f"the fixture makes no valid prepare: {exc}"
    return ""


def _creditor_refusals(peer: Peer, report: Report, books: Books, fixtures: Fixtures,
                       member: str) -> None:
    """One prepare per prepared creditor, in one transaction. A receipt (the target took what
    it should have refused) goes into the kit's books, so the windows still match."""
    runnable = []
    for section, scenario, message, code in _creditor_cases(peer, fixtures, member):
        why = message if isinstance(message, str) else _valid(message)
        if why:
            report.not_run(section, scenario, why)
        else:
            assert isinstance(message, dict)
            runnable.append((section, scenario, message, code))
    if not runnable:
        return
    answer = peer.send(peer.transaction([message for _, _, message, _ in runnable]))
    found = answers(answer)
    for index, (section, scenario, message, code) in enumerate(runnable):
        extra = {"relocated_to": fixtures.relocated_to} \
            if code == "creditor_relocated" and fixtures.relocated_to else {}
        expect_answer(report, section, scenario, answer, index, ("transfer.reject",),
                      reason=code, **extra)
        if index < len(found) and found[index]["type"] == "transfer.receipt":
            books.commit(TransferLeaf(peer.kit_id, message["body"]["transfer_id"],
                                      FIXTURE_MINUTES, prepare_hash(message)))


def run_prepared(peer: Peer, report: Report, books: Books, fixtures: Fixtures,
                 member: str) -> None:
    """Every refusal that needs the operator's set-up, then the codes no peer can drive."""
    _key_not_valid(peer, report, fixtures)
    _other_sender(peer, report, fixtures.suspended, NodeStatus.SUSPENDED, "sender_suspended")
    _other_sender(peer, report, fixtures.retired, NodeStatus.RETIRED, "sender_retired")
    _creditor_refusals(peer, report, books, fixtures, member)
    for code, why in NEVER_DRIVEN:
        report.not_run(CODES, code, why)
