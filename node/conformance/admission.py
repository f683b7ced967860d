"""§5.4 and §6.3: transactions the target must refuse whole, each with its code.

A refusal at steps 1-11 must be a problem document whose `reason` is the code (§21.2: 422, or
413/400/415 when the body is not read); one at step 12 (the chain) a signed refused response.
Either way nothing changes at the target, which the last check shows: the kit's next
transaction on its chain is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node.conformance.peer import Answer, Peer, new_id
from node.conformance.results import Report
from protocol.canonical import canonical_bytes
from protocol.signing import SigningKey, b64url_decode, b64url_encode, sign_object
from protocol.transaction import BATCH_SIZE_LIMIT

ADMISSION = "§5.4 admission"
CHAIN = "§6.3 hash chain"
STRANGER = "zz-stranger"  # a node id no directory of the kit's lists
ELSEWHERE = "zz-elsewhere"
SKEW_MARGIN_MS = 60_000  # how far beyond the skew bound the kit signs a clock_skew case
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
HTTP_UNPROCESSABLE = 422
# §21.2: a refusal before the document is read may come with another status than 422.
PROBLEM_STATUSES = {"too_large": (413, 422), "malformed": (400, 415, 422)}


def expect_refusal(report: Report, section: str, scenario: str, answer: Answer, code: str, *,
                   signed: bool) -> bool:
    """Record whether `answer` refuses with `code` in the form §21.2 gives it: a signed refused
    response (`signed`: §5.4 step 12), else a problem document with that `reason` and a status
    the binding allows for it."""
    if answer.error:
        return report.record(section, scenario, False, answer.describe())
    if answer.accepted or answer.result is not None:
        return report.record(section, scenario, False, f"accepted; expected `{code}`")
    got = answer.describe()
    if answer.code != code:
        return report.record(section, scenario, False, f"{got}; expected `{code}`")
    if signed != answer.signed_refusal:
        form = "a signed refused response" if signed else "a problem document"
        return report.record(section, scenario, False, f"{got}; §21.2 asks for {form}")
    statuses = PROBLEM_STATUSES.get(code, (HTTP_UNPROCESSABLE,))
    if not signed and answer.status not in statuses:
        return report.record(section, scenario, False, f"{got}; §21.2 asks for HTTP "
                             f"{' or '.join(map(str, statuses))}")
    return report.record(section, scenario, True, got)


def status_message(peer: Peer) -> dict[str, Any]:
    """A harmless request: the status of a transfer the target never saw (answered unknown)."""
    return {"type": "transfer.status", "message_id": new_id(), "body": {
        "transfer_id": new_id(), "prepare_hash": "a" * 64,
        "expires_at_ms": peer.now_ms() + peer.policy.expiry_max_ms}}


def resign(document: dict[str, Any], key: SigningKey, signer: str,
           **changes: Any) -> dict[str, Any]:
    """The document with `changes`, signed afresh (its old signatures dropped)."""
    unsigned = {k: v for k, v in document.items() if k != "signatures"} | changes
    return sign_object(unsigned | {"signatures": {}}, signer=signer, key=key)


def _valid(peer: Peer) -> dict[str, Any]:
    return peer.transaction([status_message(peer)]).to_json()


def _wire(document: dict[str, Any]) -> bytes:
    return canonical_bytes(document)


def _tampered(peer: Peer) -> bytes:
    document = _valid(peer)
    document["transaction_id"] = new_id()
    return _wire(document)


def _non_canonical_signature(peer: Peer) -> bytes:
    """The same 64 signature bytes spelled with unused trailing bits set (§5.1)."""
    document = _valid(peer)
    text = document["signatures"][peer.kit_id][peer.key.key_id]
    assert b64url_encode(b64url_decode(text)) == text  # protocol/ signs canonically
    spelled = text[:-1] + B64URL[B64URL.index(text[-1]) ^ 1]
    document["signatures"] = {peer.kit_id: {peer.key.key_id: spelled}}
    return _wire(document)


def _stranger_key() -> SigningKey:
    """A key no directory lists."""
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


def _batch(peer: Peer) -> bytes:
    count = min(peer.policy.batch_size_max + 1, BATCH_SIZE_LIMIT + 1)
    messages = [status_message(peer) for _ in range(count)]
    return _wire(resign(_valid(peer), peer.key, peer.kit_id, messages=messages))


def _oversized(peer: Peer) -> bytes:
    raw = _wire(_valid(peer))
    return raw + b" " * (peer.policy.transaction_bytes_max + 1 - len(raw))


@dataclass(frozen=True)
class Case:
    scenario: str
    code: str
    build: Callable[[Peer], bytes]


def _signed(**changes: Any) -> Callable[[Peer], bytes]:
    return lambda peer: _wire(resign(_valid(peer), peer.key, peer.kit_id, **changes))


CASES = (
    Case("body over transaction_bytes_max", "too_large", _oversized),
    Case("not JSON", "malformed", lambda peer: b'{"standard": "hourbridge/1", '),
    Case("standard hourbridge/2", "unsupported_version",
         _signed(standard="hourbridge/2")),
    Case("no signatures", "missing_signature",
         lambda peer: _wire(_valid(peer) | {"signatures": {}})),
    Case("empty signature entry", "malformed",
         lambda peer: _wire(_valid(peer) | {"signatures": {peer.kit_id: {}}})),
    Case("signer not in the directory", "unknown_sender",
         lambda peer: _wire(resign(_valid(peer), _stranger_key(), STRANGER, sender=STRANGER))),
    Case("key not in the directory", "unknown_key",
         lambda peer: _wire(resign(_valid(peer), _stranger_key(), peer.kit_id))),
    Case("changed after signing", "bad_signature", _tampered),
    Case("non-canonical base64url signature", "bad_signature", _non_canonical_signature),
    Case("unknown member", "malformed", _signed(extra=1)),
    Case("unknown message type", "unsupported_message_type",
         lambda peer: _wire(resign(_valid(peer), peer.key, peer.kit_id, messages=[
             {"type": "transfer.bogus", "message_id": new_id(), "body": {}}]))),
    Case("answer type in a transaction", "unsupported_message_type",
         lambda peer: _wire(resign(_valid(peer), peer.key, peer.kit_id, messages=[
             {"type": "message.ack", "message_id": new_id(), "body": {"in_reply_to": new_id()}}
         ]))),
    Case("signer is not the sender", "sender_mismatch", _signed(sender=STRANGER)),
    Case("addressed to another node", "wrong_receiver", _signed(receiver=ELSEWHERE)),
    Case("signed after now + skew", "clock_skew", lambda peer: _signed(
        created_at_ms=peer.now_ms() + peer.policy.skew_ms + SKEW_MARGIN_MS)(peer)),
    Case("signed before now - skew", "clock_skew", lambda peer: _signed(
        created_at_ms=peer.now_ms() - peer.policy.skew_ms - SKEW_MARGIN_MS)(peer)),
    Case("more messages than batch_size_max", "too_large", _batch),
)


def run_admission(peer: Peer, report: Report) -> None:
    for case in CASES:
        answer = peer.send_raw(case.build(peer))
        expect_refusal(report, ADMISSION, case.scenario, answer, case.code, signed=False)


def run_chain(peer: Peer, report: Report, *, first_transaction_id: str | None) -> None:
    """Step 12 on the kit's own chain; needs one transaction accepted before."""
    if first_transaction_id is None or peer.sequence < 1:
        for name in ("sequence gap", "sequence replayed", "prev_hash mismatch",
                     "transaction id reused"):
            report.not_run(CHAIN, name, "no transaction of the kit was accepted")
        return
    message = [status_message(peer)]
    cases = (
        ("sequence gap", "sequence_gap", peer.transaction(message, sequence=peer.sequence + 2)),
        ("sequence replayed", "sequence_replayed",
         peer.transaction(message, sequence=peer.sequence)),
        ("prev_hash mismatch", "prev_hash_mismatch",
         peer.transaction(message, prev_hash="f" * 64)),
        ("transaction id reused", "transaction_id_conflict",
         peer.transaction(message, transaction_id=first_transaction_id)),
    )
    for scenario, code, transaction in cases:
        expect_refusal(report, CHAIN, scenario, peer.send(transaction), code, signed=True)
    answer = peer.send(peer.transaction([status_message(peer)]))
    report.record(CHAIN, "refusals changed nothing: the next transaction is accepted",
                  answer.accepted, answer.describe())
