"""§7 and §9: the kit pays a member of the target, replays, breaks one prepare rule at a time,
and asks for the status of transfers in every state the target can hold.

The kit is the debtor node: what the target committed is recorded in `Books`, the kit's side of
the window the settlement scenarios close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.conformance.admission import ELSEWHERE
from node.conformance.peer import Answer, Peer, new_id
from node.conformance.results import Report
from protocol.fields import GENESIS_HASH
from protocol.merkle import TransferLeaf
from protocol.messages import encode_message, message_hash
from protocol.messages.transfer import PrepareMessage, TransferState

TRANSFER = "§9 transfer"
IDEMPOTENCY = "§7 idempotency"
PREPARE = "§9.2 prepare checks"
STATUS = "§9.4 status query"
AMOUNT_MINUTES = 10  # what the committed transfer moves
PAST_MS = 60_000  # how long ago an expired prepare or query expired


@dataclass
class Books:
    """What the target committed for the kit, as the kit holds it."""

    leaves: list[TransferLeaf] = field(default_factory=list)
    owed_minutes: int = 0  # what the kit owes the target: the sum of committed amounts
    first_transaction_id: str | None = None
    # the other way (reverse.py): what the kit committed for the target, and its chain head
    incoming: list[TransferLeaf] = field(default_factory=list)
    in_sequence: int = 0
    in_head: str = GENESIS_HASH

    def commit(self, leaf: TransferLeaf) -> None:
        self.leaves.append(leaf)
        self.owed_minutes += leaf.amount_minutes


def lifetime_ms(peer: Peer) -> int:
    policy = peer.policy
    return min(2 * policy.expiry_min_ms, policy.expiry_max_ms)


def prepare(peer: Peer, creditor: str, amount_minutes: int, **changes: Any) -> dict[str, Any]:
    """A transfer.prepare (JSON value) from a member of the kit; `changes` replace members of
    the body, `message_id` the message's id."""
    now_ms = peer.now_ms()
    message_id = changes.pop("message_id", None) or new_id()
    body = {"transfer_id": new_id(), "debtor": f"conformance@{peer.kit_id}",
            "creditor": creditor, "amount_minutes": amount_minutes, "credit_class": "earned",
            "purpose": "gift", "payment_request_id": None, "created_at_ms": now_ms,
            "expires_at_ms": now_ms + lifetime_ms(peer), "memo": "conformance kit"} | changes
    return {"type": "transfer.prepare", "message_id": message_id, "body": body}


def prepare_hash(message: dict[str, Any]) -> str:
    return message_hash(PrepareMessage.model_validate(message))


def answers(answer: Answer) -> list[dict[str, Any]]:
    if answer.response is None or not answer.accepted:
        return []
    return [encode_message(m) for m in answer.response.messages]


def expect_answer(report: Report, section: str, scenario: str, answer: Answer, index: int,
                  kinds: tuple[str, ...], **members: Any) -> dict[str, Any] | None:
    """Record whether answer `index` of an accepted response has one of `kinds` and these body
    members; return its body."""
    found = answers(answer)
    if len(found) <= index:
        report.record(section, scenario, False, f"no answer {index}: {answer.describe()}")
        return None
    kind: str = found[index]["type"]
    body: dict[str, Any] = found[index]["body"]
    wrong = {k: body.get(k) for k, v in members.items() if body.get(k) != v}
    ok = kind in kinds and not wrong
    got = f"{kind} {body.get('reason') or body.get('state') or ''}".strip()
    report.record(section, scenario, ok,
                  got if ok else f"got {got}, differs in {wrong}; expected {'/'.join(kinds)} "
                  f"{members}")
    return body


def commit_one(peer: Peer, report: Report, books: Books, creditor: str) -> None:
    """The transfer that commits, its transaction replayed, its message replayed; without it
    the checks that build on it are not run."""
    message = prepare(peer, creditor, AMOUNT_MINUTES)
    transaction = peer.transaction([message])
    first = peer.send(transaction)
    receipt = expect_answer(report, TRANSFER, "a prepare to a member commits", first, 0,
                            ("transfer.receipt",), creditor=creditor,
                            amount_minutes=AMOUNT_MINUTES, prepare_hash=prepare_hash(message))
    if receipt is None or not first.accepted:
        report.not_run(IDEMPOTENCY, "replays of the first transfer", "it did not commit")
        return
    body = message["body"]
    books.first_transaction_id = transaction.transaction_id
    books.commit(TransferLeaf(peer.kit_id, body["transfer_id"], AMOUNT_MINUTES,
                              prepare_hash(message)))
    again = peer.send(transaction)
    report.record(IDEMPOTENCY, "the same transaction again: the stored response, byte for byte",
                  again.raw == first.raw, again.describe())
    replayed = peer.send(peer.transaction([message]))
    expect_answer(report, IDEMPOTENCY, "the same message in a new transaction: the same answer",
                  replayed, 0, ("transfer.receipt",), **receipt)
    other = prepare(peer, creditor, AMOUNT_MINUTES, message_id=message["message_id"])
    conflicts = peer.send(peer.transaction([
        other, prepare(peer, creditor, AMOUNT_MINUTES + 1, transfer_id=body["transfer_id"])]))
    expect_answer(report, IDEMPOTENCY, "a message id reused for other content", conflicts, 0,
                  ("transfer.reject", "message.reject"), reason="message_id_conflict")
    expect_answer(report, IDEMPOTENCY, "a transfer id reused for other content", conflicts, 1,
                  ("transfer.reject",), reason="transfer_id_conflict")
    status_of_committed(peer, report, message, receipt)


def status_of_committed(peer: Peer, report: Report, message: dict[str, Any],
                        receipt: dict[str, Any]) -> None:
    body = message["body"]
    query = status(body["transfer_id"], prepare_hash(message), body["expires_at_ms"])
    wrong = status(body["transfer_id"], "b" * 64, body["expires_at_ms"])
    answer = peer.send(peer.transaction([query, wrong]))
    expect_answer(report, STATUS, "a committed transfer: committed, with its receipt", answer,
                  0, ("transfer.status_answer",), state=TransferState.COMMITTED.value,
                  receipt=receipt)
    expect_answer(report, STATUS, "another prepare hash: transfer_id_conflict", answer, 1,
                  ("message.reject",), reason="transfer_id_conflict")


def status(transfer_id: str, hash_: str, expires_at_ms: int) -> dict[str, Any]:
    return {"type": "transfer.status", "message_id": new_id(), "body": {
        "transfer_id": transfer_id, "prepare_hash": hash_, "expires_at_ms": expires_at_ms}}


def _rule_cases(peer: Peer, creditor: str) -> list[tuple[str, str, dict[str, Any]]]:
    now_ms, life_ms, policy = peer.now_ms(), lifetime_ms(peer), peer.policy
    member = creditor.split("@")[0]
    return [
        ("debtor not at the sender", "debtor_not_at_sender",
         prepare(peer, creditor, 1, debtor=f"conformance@{ELSEWHERE}")),
        ("creditor not at the receiver", "creditor_not_at_receiver",
         prepare(peer, f"{member}@{ELSEWHERE}", 1)),
        ("expired by the receiver's clock", "expired",
         prepare(peer, creditor, 1, created_at_ms=now_ms - PAST_MS - life_ms,
                 expires_at_ms=now_ms - PAST_MS)),
        ("lifetime under expiry_min_ms", "expiry_out_of_bounds",
         prepare(peer, creditor, 1, expires_at_ms=now_ms + policy.expiry_min_ms - 1)),
        ("amount over amount_minutes_max", "amount_out_of_bounds",
         prepare(peer, creditor, policy.amount_minutes_max + 1)),
        ("no such creditor", "creditor_unknown",
         prepare(peer, f"no-such-member-{new_id()[:8]}@{peer.target_id}", 1)),
    ]


def prepare_rules(peer: Peer, report: Report, creditor: str) -> None:
    """One prepare per rule of §9.2 in one transaction; then the status of a final reject, of
    a transfer never seen before and after its expiry, and a prepare after unknown_expired."""
    cases = _rule_cases(peer, creditor)
    answer = peer.send(peer.transaction([message for _, _, message in cases]))
    for index, (scenario, code, _) in enumerate(cases):
        expect_answer(report, PREPARE, scenario, answer, index, ("transfer.reject",),
                      reason=code)
    rejected = cases[-1][2]
    now_ms = peer.now_ms()
    gone = new_id()
    queries = [
        status(rejected["body"]["transfer_id"], prepare_hash(rejected),
               rejected["body"]["expires_at_ms"]),
        status(new_id(), "c" * 64, now_ms + lifetime_ms(peer)),
        status(gone, "d" * 64, now_ms - PAST_MS),
    ]
    answer = peer.send(peer.transaction(queries))
    expect_answer(report, STATUS, "a final reject: rejected, with its reject", answer, 0,
                  ("transfer.status_answer",), state=TransferState.REJECTED.value)
    expect_answer(report, STATUS, "never seen, before its expiry: unknown", answer, 1,
                  ("transfer.status_answer",), state=TransferState.UNKNOWN.value, receipt=None,
                  reject=None)
    expect_answer(report, STATUS, "never seen, after its expiry: unknown_expired", answer, 2,
                  ("transfer.status_answer",), state=TransferState.UNKNOWN_EXPIRED.value)
    late = peer.send(peer.transaction([prepare(peer, creditor, 1, transfer_id=gone)]))
    expect_answer(report, IDEMPOTENCY, "a prepare after unknown_expired: expired", late, 0,
                  ("transfer.reject",), reason="expired")


def over_cap(peer: Peer, report: Report, books: Books, creditor: str) -> None:
    """Over the kit's per-partner cap: a temporary reject that stores nothing (§9.2)."""
    entry = peer.directory.node(peer.kit_id)
    assert entry is not None  # the kit checked it is listed before it began
    amount = entry.net_debit_cap_per_partner_minutes - books.owed_minutes + 1
    scenario = "over the kit's net_debit_cap_per_partner_minutes"
    if not 1 <= amount <= peer.policy.amount_minutes_max:
        report.not_run(PREPARE, scenario,
                       f"one prepare cannot pass the cap ({entry.net_debit_cap_per_partner_minutes}"
                       f" minutes; list the kit with a cap of at most "
                       f"{peer.policy.amount_minutes_max} minutes)")
        return
    message = prepare(peer, creditor, amount)
    answer = peer.send(peer.transaction([message]))
    expect_answer(report, PREPARE, scenario, answer, 0, ("transfer.reject",),
                  reason="partner_cap_exceeded")
    body = message["body"]
    query = peer.send(peer.transaction([
        status(body["transfer_id"], prepare_hash(message), body["expires_at_ms"])]))
    expect_answer(report, STATUS, "after a temporary reject: unknown (nothing stored)", query,
                  0, ("transfer.status_answer",), state=TransferState.UNKNOWN.value)


def commit_more(peer: Peer, books: Books, creditor: str, *, count: int) -> str:
    """`count` more committed transfers of one minute each, in one transaction; why they did
    not all commit (empty: they did)."""
    messages = [prepare(peer, creditor, 1) for _ in range(count)]
    answer = peer.send(peer.transaction(messages))
    kinds = [found["type"] for found in answers(answer)]
    if kinds != ["transfer.receipt"] * count:
        return f"transfers for the window did not commit: {answer.describe()} {kinds}"
    for message in messages:
        books.commit(TransferLeaf(peer.kit_id, message["body"]["transfer_id"], 1,
                                  prepare_hash(message)))
    return ""


def run_transfers(peer: Peer, report: Report, books: Books, creditor: str) -> None:
    commit_one(peer, report, books, creditor)
    prepare_rules(peer, report, creditor)
    over_cap(peer, report, books, creditor)
