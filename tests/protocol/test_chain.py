from __future__ import annotations

import pytest

from protocol.chain import ChainVerdict, LinkState, check_chain
from protocol.conformance.samples import sample_requests
from protocol.conformance.vectors import request_transaction
from protocol.errors import ChainError
from protocol.fields import GENESIS_HASH
from protocol.reasons import ReasonCode

STATUS = sample_requests()[1]


def test_a_link_of_three() -> None:
    sender_side = receiver_side = LinkState()
    hashes = []
    for _ in range(3):
        sequence, prev_hash = sender_side.next_frame()
        transaction = request_transaction(STATUS, sequence=sequence, prev_hash=prev_hash)
        assert check_chain(receiver_side, transaction, stored_hash=None) is ChainVerdict.NEXT
        receiver_side = receiver_side.advance(transaction)
        sender_side = sender_side.advance(transaction)
        hashes.append(transaction.transaction_hash())
    assert receiver_side == sender_side == LinkState(3, hashes[-1])
    assert len(set(hashes)) == 3  # the sequence and prev_hash make each transaction distinct


def test_repeat_and_conflict_by_stored_hash() -> None:
    transaction = request_transaction(STATUS)
    stored = transaction.transaction_hash()
    link = LinkState().advance(transaction)
    assert check_chain(link, transaction, stored_hash=stored) is ChainVerdict.REPEAT
    with pytest.raises(ChainError) as refused:
        check_chain(link, transaction, stored_hash=GENESIS_HASH)
    assert refused.value.code is ReasonCode.TRANSACTION_ID_CONFLICT


@pytest.mark.parametrize(
    ("sequence", "prev_hash", "code"),
    [
        (1, GENESIS_HASH, ReasonCode.SEQUENCE_REPLAYED),
        (2, "a" * 64, ReasonCode.SEQUENCE_REPLAYED),
        (4, "b" * 64, ReasonCode.SEQUENCE_GAP),
        (3, "c" * 64, ReasonCode.PREV_HASH_MISMATCH),
    ],
)
def test_chain_errors(sequence: int, prev_hash: str, code: ReasonCode) -> None:
    link = LinkState(2, "b" * 64)
    transaction = request_transaction(STATUS, sequence=sequence, prev_hash=prev_hash)
    with pytest.raises(ChainError) as refused:
        check_chain(link, transaction, stored_hash=None)
    assert refused.value.code is code


def test_advance_refuses_to_skip() -> None:
    with pytest.raises(AssertionError):
        LinkState().advance(request_transaction(STATUS, sequence=2))
