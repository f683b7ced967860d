"""The reconciliation exchange: signed request and reply documents between two nodes of a link
(docs/reconciliation.md), outside the link's transaction chain.

Reconciliation must work exactly when the chain may be broken, so it does not ride on it. Each
request is a signed document naming its operation; the reply is signed by the receiver and bound
to the request by the request's hash, so a reply is evidence of what the peer said when asked.

    request: standard, kind "reconciliation.request", request_id, sender, receiver, op,
             args (object), issued_at_ms, signatures
    reply:   standard, kind "reconciliation.reply", request_hash, op (the request's), sender,
             receiver, result (object), issued_at_ms, signatures

A request is admitted like a transaction (standard §5.4 steps 1-10: size, parse, evidence,
routing, sender status, skew). A reply is checked for evidence and binding only (no skew: a
reply is read right away by the node that asked). Both have closed member sets at every level
(protocol.reconciliation_ops); the whole exchange is specified in docs/standard.md §20.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from protocol.canonical import canonical_bytes, sha256_hex
from protocol.directory import Directory
from protocol.envelope import _admit_routing, verify_evidence, verify_for_admission
from protocol.errors import AuthError, DecodeError
from protocol.fields import ID_PATTERN
from protocol.merkle import LeafKey, TransferLeaf
from protocol.messages import message_hash
from protocol.messages.other import RelocationMessage
from protocol.reasons import ReasonCode
from protocol.reconciliation_ops import check_args, check_result
from protocol.signing import SigningKey, sign_object, signing_bytes
from protocol.version import STANDARD
from protocol.wire import parse_object

REQUEST_KIND = "reconciliation.request"
REPLY_KIND = "reconciliation.reply"
REQUEST_MEMBERS = frozenset({"standard", "kind", "request_id", "sender", "receiver", "op", "args",
                             "issued_at_ms", "signatures"})
REPLY_MEMBERS = frozenset({"standard", "kind", "request_hash", "op", "sender", "receiver",
                           "result", "issued_at_ms", "signatures"})
OPS = frozenset({"propose", "summary", "split_key", "leaves", "evidence", "repair", "history"})
_ID = re.compile(ID_PATTERN)
# A request or reply may carry a few transactions with their responses as evidence, so its size
# limit is this many times the policy's transaction limit.
SIZE_FACTOR = 9


def bytes_max(directory: Directory) -> int:
    return SIZE_FACTOR * directory.policy.transaction_bytes_max


@dataclass(frozen=True)
class Request:
    request_id: str
    sender: str
    receiver: str
    op: str
    args: dict[str, Any]
    request_hash: str


def _hash(document: dict[str, Any]) -> str:
    return sha256_hex(signing_bytes(document))


def build_request(*, request_id: str, sender: str, receiver: str, op: str,
                  args: dict[str, Any], issued_at_ms: int, key: SigningKey) -> bytes:
    document = {
        "standard": STANDARD, "kind": REQUEST_KIND, "request_id": request_id, "sender": sender,
        "receiver": receiver, "op": op, "args": args, "issued_at_ms": issued_at_ms,
        "signatures": {},
    }
    return canonical_bytes(sign_object(document, signer=sender, key=key))


def _field(document: dict[str, Any], name: str, kind: type) -> Any:
    value = document.get(name)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise DecodeError(ReasonCode.MALFORMED, f"{name} must be a {kind.__name__}")
    return value


def admit_request(raw: bytes, *, directory: Directory, receiver: str, now_ms: int) -> Request:
    """Standard §20.3: §5.4 steps 1-10 with the request's own member rules at step 7."""
    document = parse_object(raw, bytes_max=bytes_max(directory))
    verify_for_admission(document, directory=directory, time_member="issued_at_ms",
                         now_ms=now_ms)
    _members(document, REQUEST_MEMBERS)
    if document["kind"] != REQUEST_KIND:
        raise DecodeError(ReasonCode.MALFORMED, f"kind must be {REQUEST_KIND}")
    request_id = _field(document, "request_id", str)
    if not _ID.match(request_id):
        raise DecodeError(ReasonCode.MALFORMED, "request_id is not an id")
    op = _field(document, "op", str)
    if op not in OPS:
        raise DecodeError(ReasonCode.UNSUPPORTED_MESSAGE_TYPE, f"unknown operation {op[:40]}")
    args = document["args"]
    check_args(op, args)
    sender = _field(document, "sender", str)
    (signer,) = document["signatures"]
    _admit_routing(signer=signer, sender=sender, receiver=_field(document, "receiver", str),
                   me=receiver, directory=directory)
    if abs(now_ms - document["issued_at_ms"]) > directory.policy.skew_ms:
        raise AuthError(ReasonCode.CLOCK_SKEW, "issued_at_ms outside the skew bound")
    return Request(request_id, sender, receiver, op, args, _hash(document))


def _members(document: dict[str, Any], members: frozenset[str]) -> None:
    """§3.1: exactly these top-level members (`unsigned` included: v1 defines none here)."""
    if document.keys() != members:
        missing, extra = sorted(members - document.keys()), sorted(document.keys() - members)
        raise DecodeError(ReasonCode.MALFORMED,
                          f"members must be exactly {sorted(members)} "
                          f"(missing {missing}, unknown {extra})")


def build_reply(request: Request, *, result: dict[str, Any], issued_at_ms: int,
                key: SigningKey) -> bytes:
    document = {
        "standard": STANDARD, "kind": REPLY_KIND, "request_hash": request.request_hash,
        "op": request.op, "sender": request.receiver, "receiver": request.sender, "result": result,
        "issued_at_ms": issued_at_ms, "signatures": {},
    }
    return canonical_bytes(sign_object(document, signer=request.receiver, key=key))


def admit_reply(raw: bytes, *, directory: Directory, request: bytes) -> dict[str, Any]:
    """The result of the reply to our `request` (its bytes as sent), §20.4: evidence, then
    exactly the reply's members, the binding to the request, then the op's result members."""
    sent = parse_object(request, bytes_max=len(request))
    document = parse_object(raw, bytes_max=bytes_max(directory))
    verify_evidence(document, directory=directory, time_member="issued_at_ms")
    _members(document, REPLY_MEMBERS)
    (signer,) = document["signatures"]
    if signer != document["sender"]:
        raise AuthError(ReasonCode.SENDER_MISMATCH,
                        f"signed by {signer}, sender is {document['sender']}")
    if (document["kind"], document["request_hash"], document["op"]) != (
            REPLY_KIND, _hash(sent), sent["op"]):
        raise AuthError(ReasonCode.RESPONSE_MISMATCH, "the reply answers another request")
    if (document["sender"], document["receiver"]) != (sent["receiver"], sent["sender"]):
        raise AuthError(ReasonCode.RESPONSE_MISMATCH, "the reply is not on the request's link")
    result = document["result"]
    check_result(sent["op"], sent["args"], result)
    return result  # type: ignore[no-any-return]


# Leaves and keys on the wire ------------------------------------------------------------------


def relocation_leaf(old_node: str, prepare: RelocationMessage) -> TransferLeaf:
    """A committed relocation's leaf (standard §20.1): the old node as `debtor_node`, the
    relocation id as `transfer_id`, the sum of the balances it moved as `amount_minutes` and
    the message hash of its prepare as `prepare_hash`."""
    body = prepare.body
    moved = sum(balance.amount_minutes for balance in body.balances)
    return TransferLeaf(old_node, body.relocation_id, moved, message_hash(prepare))


def leaf_to_json(leaf: TransferLeaf) -> list[Any]:
    return [leaf.debtor_node, leaf.transfer_id, leaf.amount_minutes, leaf.prepare_hash]


def leaf_from_json(value: Any) -> TransferLeaf:
    if not (isinstance(value, list) and len(value) == 4):
        raise DecodeError(ReasonCode.MALFORMED, "a leaf is [debtor_node, id, minutes, hash]")
    debtor_node, transfer_id, amount, prepare_hash = value
    if not (isinstance(debtor_node, str) and isinstance(transfer_id, str)
            and isinstance(prepare_hash, str) and type(amount) is int):
        raise DecodeError(ReasonCode.MALFORMED, "a leaf is [debtor_node, id, minutes, hash]")
    return TransferLeaf(debtor_node, transfer_id, amount, prepare_hash)


def key_from_json(value: Any) -> LeafKey | None:
    """A range bound: null (unbounded) or [debtor_node, transfer_id]."""
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(part, str) for part in value)):
        raise DecodeError(ReasonCode.MALFORMED, "a key is [debtor_node, transfer_id] or null")
    return (value[0], value[1])
