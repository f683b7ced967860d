"""Stateless checks of each request in an admitted transaction, by the receiver's clock.

Prepares get the transfer rules of standard §9.2. The other requests get their addressing and
expiry rules, and the documents they carry (statements, checkpoints) must be the sender's own,
with a signature that holds as evidence. What needs the database comes after, in the node.
"""

from __future__ import annotations

from protocol.addresses import MemberAddress
from protocol.directory import Directory
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.messages import RequestMessage
from protocol.messages.documents import CheckpointMessage, StatementMessage
from protocol.messages.other import PaymentRequestMessage, RelocationMessage
from protocol.messages.routed import LegMessage
from protocol.messages.transfer import PrepareMessage
from protocol.reasons import ReasonCode
from protocol.routed import check_leg
from protocol.transfer_rules import check_prepare


def _node_of(address: str) -> str:
    return MemberAddress.parse(address).node_id


def _check_signed_document(
    document: dict[str, object], *, issuer: str, sender: str, directory: Directory
) -> ReasonCode | None:
    if issuer != sender:
        return ReasonCode.SENDER_MISMATCH
    try:
        verify_evidence(document, directory=directory, time_member="issued_at_ms", signer=issuer)
    except ProtocolError as exc:
        return exc.code
    return None


def check_request(
    message: RequestMessage, *, sender: str, receiver: str, now_ms: int, directory: Directory
) -> ReasonCode | None:
    """The reason this request must be refused, or None if the stateless checks pass."""
    if isinstance(message, PrepareMessage):
        return check_prepare(
            message.body, sender=sender, receiver=receiver, now_ms=now_ms, policy=directory.policy
        )
    if isinstance(message, LegMessage):
        return check_leg(message.body, sender=sender, receiver=receiver, now_ms=now_ms,
                         policy=directory.policy)
    if isinstance(message, RelocationMessage):
        if _node_of(message.body.member) != sender:
            return ReasonCode.MALFORMED
        return ReasonCode.EXPIRED if now_ms >= message.body.expires_at_ms else None
    if isinstance(message, PaymentRequestMessage):
        body = message.body
        if (_node_of(body.payee), _node_of(body.payer)) != (sender, receiver):
            return ReasonCode.MALFORMED
        return ReasonCode.EXPIRED if now_ms >= body.expires_at_ms else None
    if isinstance(message, StatementMessage):
        statement = message.body.statement
        if statement.counterparty != receiver:
            return ReasonCode.WRONG_RECEIVER
        return _check_signed_document(
            message.body.model_dump(mode="json")["statement"],
            issuer=statement.issuer,
            sender=sender,
            directory=directory,
        )
    if isinstance(message, CheckpointMessage):
        return _check_signed_document(
            message.body.model_dump(mode="json")["checkpoint"],
            issuer=message.body.checkpoint.node,
            sender=sender,
            directory=directory,
        )
    return None
