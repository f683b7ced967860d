"""The receiving side's whole pure pipeline for one incoming transaction.

Authenticate and admit the transaction (envelope.py), place it on the link's chain (chain.py),
then run the stateless checks of each request it carries (message_rules.py), as a receiver that
holds nothing yet (a leg's expiry too, §22.4). What needs the database (creditor exists, caps,
stored answers by message id, a leg already held) comes after, in the node.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.chain import ChainVerdict, LinkState, check_chain
from protocol.directory import Directory
from protocol.envelope import admit_transaction
from protocol.message_rules import check_request
from protocol.messages import RequestMessage
from protocol.messages.routed import LegMessage
from protocol.reasons import ReasonCode
from protocol.routed import leg_expired
from protocol.transaction import Transaction


@dataclass(frozen=True)
class Received:
    """An admitted transaction placed on its link.

    For a REPEAT the node replays the response it stored and ignores `message_reasons`.
    """

    transaction: Transaction
    verdict: ChainVerdict
    # One entry per message, in order: the reason it must be refused, else None.
    message_reasons: tuple[ReasonCode | None, ...]


def _unheld_leg_expired(message: RequestMessage, now_ms: int) -> ReasonCode | None:
    """A leg's expiry is judged only by a receiver that does not hold it (§22.4): one that
    does answers from what it holds, however late. This pipeline holds nothing."""
    if isinstance(message, LegMessage) and leg_expired(message.body, now_ms=now_ms):
        return ReasonCode.EXPIRED
    return None


def receive_transaction(
    raw: bytes,
    *,
    directory: Directory,
    receiver: str,
    now_ms: int,
    link: LinkState,
    stored_hash: str | None,
) -> Received:
    transaction = admit_transaction(raw, directory=directory, receiver=receiver, now_ms=now_ms)
    verdict = check_chain(link, transaction, stored_hash=stored_hash)
    reasons = tuple(
        check_request(
            message,
            sender=transaction.sender,
            receiver=receiver,
            now_ms=now_ms,
            directory=directory,
        )
        or _unheld_leg_expired(message, now_ms)
        for message in transaction.messages
    )
    return Received(transaction=transaction, verdict=verdict, message_reasons=reasons)
