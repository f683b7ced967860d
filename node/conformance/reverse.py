"""§9 the other way: the target pays members of the kit.

A peer cannot make another node pay; the target's operator can. Given the target's admin token,
the kit asks HourBridge's admin API (`POST /api/v1/transfers`, docs/api.md) for two transfers
from the target's member to the kit: one the kit commits, one it rejects as final. It then
watches, as the receiver (inbound.py), that the target's transactions pass a conforming node's
admission and chain checks, that the target sends the same transaction again after a temporary
refusal, and, through the same API, that the target commits the first and releases the second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from node.conformance.inbound import REFUSED_MEMBER, KitReceiver
from node.conformance.peer import Peer, new_id
from node.conformance.results import Report
from node.conformance.transfers import Books
from protocol.messages.transfer import TransferState

REVERSE = "§9 transfers to the kit"
TRANSFERS_PATH = "/api/v1/transfers"
REVERSE_MINUTES = 7
WAIT_S = 30.0  # how long the kit waits for the target's sender, which may be backing off
POLL_S = 0.05


def wait_for(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Poll `condition` until it holds or `timeout_s` passes (the target works on its own)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True


def _state(admin: httpx.Client, transfer_id: str) -> str:
    got = admin.get(f"{TRANSFERS_PATH}/{transfer_id}")
    return str(got.json().get("state")) if got.status_code == httpx.codes.OK else ""


def _order(admin: httpx.Client, report: Report, payer: str, creditor: str) -> str | None:
    transfer_id = new_id()
    made = admin.post(TRANSFERS_PATH, json={"id": transfer_id, "from": payer, "to": creditor,
                                            "amount_minutes": REVERSE_MINUTES})
    if made.status_code >= 300:
        report.record(REVERSE, f"the operator's API starts a transfer to {creditor}", False,
                      f"HTTP {made.status_code}: {made.text[:200]}")
        return None
    return transfer_id


def run_reverse(peer: Peer, report: Report, books: Books, receiver: KitReceiver,
                admin: httpx.Client, payer: str) -> None:
    paid = _order(admin, report, payer, f"kit-member@{peer.kit_id}")
    refused = _order(admin, report, payer, f"{REFUSED_MEMBER}@{peer.kit_id}")
    if paid is None or refused is None:
        return
    # The target names its transfers on the wire as it likes (not by the API's id): wait for
    # one receipt and one reject.
    answered = wait_for(lambda: len(receiver.leaves) >= 1
                        and len(receiver.answers) >= len(receiver.leaves) + 1)
    report.record(REVERSE, "the target's transactions reach the kit and are answered",
                  answered, f"{len(receiver.deliveries)} deliveries")
    report.record(REVERSE, "the target's transactions pass a conforming node's checks",
                  answered and not receiver.errors, "; ".join(receiver.errors) or "admitted")
    retried = {tid for tid, _ in receiver.deliveries if tid in receiver.stored}
    same = all(len({h for t, h in receiver.deliveries if t == tid}) == 1 for tid in retried)
    report.record(REVERSE, "after a temporary refusal: the same transaction again",
                  bool(retried) and retried <= receiver.refused_once and same,
                  f"{len(receiver.refused_once)} refused once, {len(retried)} sent again")
    committed = wait_for(lambda: _state(admin, paid) == TransferState.COMMITTED)
    report.record(REVERSE, "the target commits on the kit's receipt", committed,
                  f"state {_state(admin, paid)}")
    released = wait_for(lambda: _state(admin, refused) == TransferState.REJECTED)
    report.record(REVERSE, "the target releases on the kit's final reject", released,
                  f"state {_state(admin, refused)}")
    with receiver.lock:
        books.incoming.extend(receiver.leaves)
        books.in_sequence = receiver.link.last_sequence
        books.in_head = receiver.link.last_hash
