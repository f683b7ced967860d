"""A stolen node key (issue 12, finding 1): transactions and statements signed as that node,
saying whatever the holder of the key wants.

    raw = mint_transaction(sender=NJ, receiver=SH, key=key, sequence=1, prev_hash=GENESIS_HASH,
                           now_ms=now, credits=[("m0@sh-pudong", 600)])
    statement = hiding_statement(issuer=NJ, counterparty=SH, index=1, key=key, ...)

`mint_transaction` credits members of the receiver without any member of the sender paying:
no debtor's node holds a record of these transfers, so they are hours that were never issued.
`hiding_statement` is the closer's statement of a window whose cuts leave those transactions
out. Used by the in-process tests, the simulation's adversary and the real-process test.
"""

from __future__ import annotations

import uuid
from typing import Any

from protocol.canonical import canonical_bytes
from protocol.credit import CreditClass
from protocol.fields import GENESIS_HASH
from protocol.merkle import transfers_root
from protocol.messages.transfer import PrepareBody, PrepareMessage, Purpose
from protocol.signing import SigningKey, sign_object
from protocol.statements import WindowFacts, statement_document
from protocol.transaction import build_transaction

EXPIRY_MS = 15 * 60 * 1000


def _id() -> str:
    return uuid.uuid4().hex


def mint_transaction(*, sender: str, receiver: str, key: SigningKey, sequence: int,
                     prev_hash: str, now_ms: int,
                     credits: list[tuple[str, int]]) -> tuple[bytes, str]:
    """The sender's next transaction on the link, every prepare a gift from nobody: its wire
    bytes, and its hash (the next forged transaction's `prev_hash`)."""
    messages = [PrepareMessage(message_id=_id(), body=PrepareBody(
        transfer_id=_id(), debtor=f"nobody@{sender}", creditor=creditor, amount_minutes=minutes,
        credit_class=CreditClass.EARNED, purpose=Purpose.GIFT, payment_request_id=None,
        created_at_ms=now_ms, expires_at_ms=now_ms + EXPIRY_MS, memo=""))
        for creditor, minutes in credits]
    transaction = build_transaction(transaction_id=_id(), sender=sender, receiver=receiver,
                                    sequence=sequence, prev_hash=prev_hash, created_at_ms=now_ms,
                                    messages=messages, key=key)
    return canonical_bytes(transaction.to_json()), transaction.transaction_hash()


def hiding_statement(*, issuer: str, counterparty: str, index: int, key: SigningKey,
                     issued_at_ms: int, merkle_root: str | None = None) -> dict[str, Any]:
    """A window of a link that carried nothing honest, cut at 0 on both chains: it matches the
    victim's view of the link at those cuts, and leaves out every forged prepare. Another
    `merkle_root` makes it differ (a window the victim holds open without a dispute)."""
    facts = WindowFacts(
        issuer=issuer, counterparty=counterparty, window_index=index,
        outgoing_sequence_cut=0, incoming_sequence_cut=0, outgoing_head_hash=GENESIS_HASH,
        incoming_head_hash=GENESIS_HASH, opening_position_minutes=0, outgoing=(0, 0),
        incoming=(0, 0), pending=(0, 0), merkle_root=merkle_root or transfers_root([]))
    return sign_object(statement_document(facts, issued_at_ms=issued_at_ms), signer=issuer,
                       key=key)
