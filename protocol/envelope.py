"""Authenticating signed documents from nodes: evidence checks, then admission checks.

Order matters and is part of the standard (docs/standard.md §5.4). The signature is verified
before any signed member is interpreted, so a tampered document is refused as `bad_signature`
(or `malformed` if it no longer parses), whichever member was touched:

 1. size, then strict JSON parse                           too_large, malformed
 2. `standard` is "hourbridge/1"                           unsupported_version
 3. exactly one signer with exactly one key id             missing_signature, malformed
 4. the signer is in the directory; it lists the key id    unknown_sender, unknown_key
 5. the Ed25519 signature verifies                         bad_signature
 6. the key is valid at the document's signing time        key_not_valid (clock_skew if
                                                           also outside the skew bound)
 7. the document decodes                                   malformed, unsupported_message_type
 8. signer is the sender; receiver is us                   sender_mismatch, wrong_receiver
 9. the sender is active                                   sender_suspended, sender_retired
10. signing time within the skew bound of our clock        clock_skew
11. batch size within policy                               too_large

Steps 1-6 are the evidence check: they hold forever, so a regulator or a peer can verify an old
document after the sender was suspended or rotated its key. Steps 7-11 decide admission now.
"""

from __future__ import annotations

from typing import Any

from protocol.directory import Directory, KeyRecord, NodeStatus
from protocol.errors import AuthError, DecodeError
from protocol.messages import ANSWERS_FOR, AnswerMessage, RequestMessage, message_hash
from protocol.messages.routed import DeliveredMessage, ForwardingMessage, LegMessage
from protocol.messages.transfer import PrepareMessage, ReceiptMessage, RejectMessage
from protocol.reasons import ReasonCode
from protocol.signing import SignatureError, verify_object
from protocol.transaction import Response, Transaction, decode_response, decode_transaction
from protocol.version import STANDARD
from protocol.wire import parse_object


def _sole_signature(document: dict[str, Any], signer: str | None) -> tuple[str, str]:
    signatures = document.get("signatures")
    if not isinstance(signatures, dict) or not signatures:
        raise AuthError(ReasonCode.MISSING_SIGNATURE, "document has no signatures")
    if signer is None:
        if len(signatures) != 1:
            raise AuthError(ReasonCode.MALFORMED, "expected exactly one signer")
        (signer,) = signatures
    if signer not in signatures:
        raise AuthError(ReasonCode.MISSING_SIGNATURE, f"no signature by {signer}")
    by_signer = signatures[signer]
    # An entry that is there but is not one key id with one signature (`{}` included) is a
    # document of the wrong shape, not a missing signature (§5.4 step 3).
    if not isinstance(by_signer, dict) or len(by_signer) != 1:
        raise AuthError(ReasonCode.MALFORMED, f"expected exactly one key id for {signer}")
    (key_id,) = by_signer
    return str(signer), str(key_id)


def verify_evidence(
    document: dict[str, Any],
    *,
    directory: Directory,
    time_member: str,
    signer: str | None = None,
) -> KeyRecord:
    """Steps 2-6: the document was signed by a listed node with a key valid when it signed.

    `signer` names the node whose signature to check on a co-signed document; by default the
    document must carry exactly one signer.
    """
    if document.get("standard") != STANDARD:
        raise DecodeError(ReasonCode.UNSUPPORTED_VERSION, f"standard is not {STANDARD}")
    signer, key_id = _sole_signature(document, signer)
    node = directory.node(signer)
    if node is None:
        raise AuthError(ReasonCode.UNKNOWN_SENDER, f"{signer} is not in the directory")
    record = node.key(key_id)
    if record is None:
        raise AuthError(ReasonCode.UNKNOWN_KEY, f"{signer} has no key {key_id}")
    try:
        verify_object(document, signer=signer, key=record.verify_key())
    except SignatureError as exc:
        # _sole_signature found the signature, so this is a bad one, never a missing one.
        raise AuthError(ReasonCode.BAD_SIGNATURE, str(exc)) from exc
    signed_at_ms = document.get(time_member)
    if isinstance(signed_at_ms, bool) or not isinstance(signed_at_ms, int):
        raise DecodeError(ReasonCode.MALFORMED, f"{time_member} must be an integer")
    if not record.valid_at(signed_at_ms):
        raise AuthError(ReasonCode.KEY_NOT_VALID, f"{key_id} not valid at {signed_at_ms}")
    return record


def verify_for_admission(
    document: dict[str, Any], *, directory: Directory, time_member: str, now_ms: int
) -> KeyRecord:
    """Steps 2-6 for a document to act on now. A key not valid at a signing time that is also
    outside the skew bound is refused as `clock_skew` (temporary), not `key_not_valid` (final):
    a sender whose clock lags the start of its new key re-signs once its clock is right,
    instead of freezing the link (§5.4 step 6)."""
    try:
        return verify_evidence(document, directory=directory, time_member=time_member)
    except AuthError as exc:
        if exc.code is not ReasonCode.KEY_NOT_VALID:
            raise
        signed_at_ms = document[time_member]  # an integer: verify_evidence checked it
        if abs(now_ms - signed_at_ms) > directory.policy.skew_ms:
            raise AuthError(
                ReasonCode.CLOCK_SKEW,
                f"{time_member} {signed_at_ms} is outside the skew bound of {now_ms} "
                f"(and the key is not valid then)",
            ) from exc
        raise


def _admit_routing(
    *, signer: str, sender: str, receiver: str, me: str, directory: Directory
) -> None:
    if signer != sender:
        raise AuthError(ReasonCode.SENDER_MISMATCH, f"signed by {signer}, sender is {sender}")
    if receiver != me:
        raise AuthError(ReasonCode.WRONG_RECEIVER, f"addressed to {receiver}, not {me}")
    node = directory.node(sender)
    assert node is not None  # verify_evidence found the signer, which is the sender
    if node.status is NodeStatus.SUSPENDED:
        raise AuthError(ReasonCode.SENDER_SUSPENDED, f"{sender} is suspended")
    if node.status is NodeStatus.RETIRED:
        raise AuthError(ReasonCode.SENDER_RETIRED, f"{sender} is retired")


def admit_transaction(
    raw: bytes, *, directory: Directory, receiver: str, now_ms: int
) -> Transaction:
    """Steps 1-11 for an incoming transaction, with `now_ms` read by the caller."""
    policy = directory.policy
    document = parse_object(raw, bytes_max=policy.transaction_bytes_max)
    verify_for_admission(document, directory=directory, time_member="created_at_ms", now_ms=now_ms)
    transaction = decode_transaction(document)
    (signer,) = transaction.signatures
    _admit_routing(
        signer=signer,
        sender=transaction.sender,
        receiver=transaction.receiver,
        me=receiver,
        directory=directory,
    )
    if abs(now_ms - transaction.created_at_ms) > policy.skew_ms:
        raise AuthError(
            ReasonCode.CLOCK_SKEW,
            f"created_at_ms {transaction.created_at_ms} is more than {policy.skew_ms} ms "
            f"from {now_ms}",
        )
    if len(transaction.messages) > policy.batch_size_max:
        raise DecodeError(
            ReasonCode.TOO_LARGE,
            f"{len(transaction.messages)} messages, limit {policy.batch_size_max}",
        )
    return transaction


def _answer_matches(request: RequestMessage, answer: AnswerMessage) -> bool:
    if answer.type not in ANSWERS_FOR[request.type]:
        return False
    if answer.body.in_reply_to != request.message_id:
        return False
    if isinstance(answer, ReceiptMessage | RejectMessage | ForwardingMessage | DeliveredMessage):
        # Only a prepare or a leg may be answered by these (ANSWERS_FOR), naming it exactly.
        assert isinstance(request, PrepareMessage | LegMessage)
        return (
            answer.body.transfer_id == request.body.transfer_id
            and answer.body.prepare_hash == message_hash(request)
        )
    return True


def admit_response(raw: bytes, *, directory: Directory, request: Transaction) -> Response:
    """Authenticate the answer to our own `request` and bind it to that request.

    No skew check: a receiver replays its stored response to a repeated transaction, and that
    response legitimately carries the time it was first signed. No status check either: an
    answer to our request is evidence of what the peer committed to, whatever its status now.
    """
    document = parse_object(raw, bytes_max=directory.policy.transaction_bytes_max)
    verify_evidence(document, directory=directory, time_member="created_at_ms")
    response = decode_response(document)
    (signer,) = response.signatures
    if signer != response.sender:
        raise AuthError(
            ReasonCode.SENDER_MISMATCH, f"signed by {signer}, sender is {response.sender}"
        )
    if (response.sender, response.receiver) != (request.receiver, request.sender):
        raise AuthError(ReasonCode.WRONG_RECEIVER, "response is not on the request's link")
    if (response.transaction_id, response.transaction_hash) != (
        request.transaction_id,
        request.transaction_hash(),
    ):
        raise AuthError(ReasonCode.RESPONSE_MISMATCH, "response answers another transaction")
    if response.reason is None and not (
        len(response.messages) == len(request.messages)
        and all(map(_answer_matches, request.messages, response.messages))
    ):
        raise AuthError(ReasonCode.RESPONSE_MISMATCH, "answers do not match the requests")
    return response
