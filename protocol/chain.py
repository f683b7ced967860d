"""The bilateral hash chain: per directed link, a sequence number and the previous hash.

Each transaction on a link from A to B carries `sequence` (1, 2, 3, ...) and `prev_hash`, the
transaction hash of the transaction before it (GENESIS_HASH for sequence 1). A sender retries each
transaction with the same id until it is answered, so the receiver sees the next transaction, a
repeat of one it stored, or an error; a sender with a window of several in flight (§6.5) may
also deliver one before its predecessor, which the receiver holds a moment or refuses as a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from protocol.errors import ChainError
from protocol.fields import GENESIS_HASH
from protocol.reasons import ReasonCode
from protocol.transaction import Transaction

# A window of transactions in flight per link (standard §6.5): the most a node may announce or
# use, fixed by the standard; and the reference node's default.
WINDOW_MAX = 16
WINDOW_DEFAULT = 4


class ChainVerdict(StrEnum):
    NEXT = "next"  # process it, store it with its response, then advance the link
    REPEAT = "repeat"  # already processed: replay the stored response, change nothing


@dataclass(frozen=True)
class LinkState:
    """What one side knows about a directed link: the last accepted sequence and its hash."""

    last_sequence: int = 0
    last_hash: str = GENESIS_HASH

    def next_frame(self) -> tuple[int, str]:
        """The (sequence, prev_hash) the sender puts on its next transaction."""
        return self.last_sequence + 1, self.last_hash

    def advance(self, transaction: Transaction) -> LinkState:
        assert transaction.sequence == self.last_sequence + 1
        assert transaction.prev_hash == self.last_hash
        return LinkState(
            last_sequence=transaction.sequence, last_hash=transaction.transaction_hash()
        )


def check_chain(
    link: LinkState, transaction: Transaction, *, stored_hash: str | None
) -> ChainVerdict:
    """Classify an authenticated incoming transaction against the receiver's link state.

    `stored_hash` is the transaction hash the receiver stored under (sender, transaction id),
    or None if it has never accepted a transaction with that id.
    """
    tx_hash = transaction.transaction_hash()
    if stored_hash is not None:
        if stored_hash == tx_hash:
            return ChainVerdict.REPEAT
        raise ChainError(
            ReasonCode.TRANSACTION_ID_CONFLICT,
            f"transaction id {transaction.transaction_id} was used for different content",
        )
    expected_sequence, expected_hash = link.next_frame()
    if transaction.sequence < expected_sequence:
        raise ChainError(
            ReasonCode.SEQUENCE_REPLAYED,
            f"sequence {transaction.sequence} already used (next is {expected_sequence})",
        )
    if transaction.sequence > expected_sequence:
        raise ChainError(
            ReasonCode.SEQUENCE_GAP,
            f"sequence {transaction.sequence} skips ahead (next is {expected_sequence})",
        )
    if transaction.prev_hash != expected_hash:
        raise ChainError(
            ReasonCode.PREV_HASH_MISMATCH,
            f"prev_hash {transaction.prev_hash} is not the link head {expected_hash}",
        )
    return ChainVerdict.NEXT
