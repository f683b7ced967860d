"""Routed-transfer vectors (§22.4): one transfer from sh-pudong to nj-gulou through the hub
hz-xihu, leg by leg, and what each receiver and reader must refuse.

    positive/routed/<name>.json      every transaction, response and the end receipt, signed
    negative/transaction/leg_*.json  legs a receiver refuses (the transaction vectors' layout)
    negative/routed/<name>.json      delivered answers the leg's sender must not take as a commit

All are judged against the vectors' directory (positive/directory.json).
"""

from __future__ import annotations

from typing import Any

from protocol.chain import LinkState
from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, vector_directory, vector_key
from protocol.conformance.routed_samples import (
    COMMITTED_AT_MS,
    FORWARDED_AT_MS,
    HUB,
    first_leg,
    leg_answer,
    sample_end,
    second_leg,
)
from protocol.conformance.vectors import signed_vector
from protocol.envelope import admit_response
from protocol.fields import GENESIS_HASH
from protocol.messages import encode_message, message_hash
from protocol.messages.routed import DeliveredBody, DeliveredMessage, EndReceipt, LegMessage
from protocol.policy import DAY_MS, DEFAULT_POLICY, MINUTE_MS
from protocol.reasons import FINALITY, ReasonCode
from protocol.routed import hop_margin_ms, read_delivered
from protocol.signing import sign_object
from protocol.transaction import build_response, decode_transaction
from protocol.transfer_findings import Commit
from protocol.version import STANDARD
from protocol.wire import parse_object, wire_bytes

# The debtor's node asks the hub again (§22.4): the same leg, on its link's next transaction.
ASKED_AGAIN_AT_MS = T0_MS + 3_000
COMMIT, DISPUTE = "commit", "dispute"


def _unsigned(sender: str, receiver: str, messages: list[dict[str, Any]], *, created_at_ms: int,
              sequence: int = 1, prev_hash: str = GENESIS_HASH) -> dict[str, Any]:
    return {
        "standard": STANDARD,
        "kind": "transaction",
        "transaction_id": f"tx-{sender}-{sequence}-{messages[0]['message_id']}"[:64],
        "sender": sender,
        "receiver": receiver,
        "sequence": sequence,
        "prev_hash": prev_hash,
        "created_at_ms": created_at_ms,
        "messages": messages,
    }


def _transaction(leg: LegMessage | dict[str, Any], sender: str, receiver: str, *,
                 created_at_ms: int, link: LinkState | None = None) -> dict[str, Any]:
    """`leg` (a model, or its JSON with members changed after the model built it), signed by
    `sender` as the next transaction after `link` (default: an empty link)."""
    link = link or LinkState()
    message = leg if isinstance(leg, dict) else encode_message(leg)
    unsigned = _unsigned(sender, receiver, [message], created_at_ms=created_at_ms,
                         sequence=link.last_sequence + 1, prev_hash=link.last_hash)
    return sign_object(unsigned, signer=sender, key=vector_key(sender))


def _transaction_vector(name: str, document: dict[str, Any], *, link: LinkState | None = None,
                        now_ms: int) -> dict[str, Any]:
    sender = document["sender"]
    vector = signed_vector(name, document, signer=sender, key_name=sender,
                           schema="transaction.schema.json")
    link = link or LinkState()
    vector.update({
        "receiver": document["receiver"],
        "now_ms": now_ms,
        "link": {"last_sequence": link.last_sequence, "last_hash": link.last_hash},
        "transaction_hash": decode_transaction(document).transaction_hash(),
    })
    return vector


def _response(request: dict[str, Any], answer: Any, *, at_ms: int) -> dict[str, Any]:
    signer = request["receiver"]
    return build_response(request=decode_transaction(request), created_at_ms=at_ms,
                          answers=[answer], reason=None, key=vector_key(signer)).to_json()


def _response_vector(name: str, request: dict[str, Any], response: dict[str, Any], *,
                     finding: str | None = None) -> dict[str, Any]:
    signer = response["sender"]
    vector = signed_vector(name, response, signer=signer, key_name=signer,
                           schema="response.schema.json")
    vector["request_wire_hex"] = wire_bytes(request).hex()
    if finding is not None:
        vector["reader"] = request["sender"]
        vector["expected_finding"] = finding
    return vector


def _flow() -> dict[str, dict[str, Any]]:
    """The transactions of the transfer, keyed by vector name."""
    hop0 = _transaction(first_leg(), SENDER, HUB, created_at_ms=T0_MS)
    again_link = LinkState(1, decode_transaction(hop0).transaction_hash())
    return {
        "leg.hop0": hop0,
        "leg.hop1": _transaction(second_leg(), HUB, RECEIVER, created_at_ms=FORWARDED_AT_MS),
        "leg.hop0.again": _transaction(first_leg(), SENDER, HUB, created_at_ms=ASKED_AGAIN_AT_MS,
                                       link=again_link),
    }


def routed_positive_vectors() -> dict[str, dict[str, Any]]:
    flow = _flow()
    again_link = LinkState(1, decode_transaction(flow["leg.hop0"]).transaction_hash())
    end = sample_end()
    vectors = {
        "leg.hop0": _transaction_vector("leg.hop0", flow["leg.hop0"], now_ms=T0_MS),
        "forwarding": _response_vector("forwarding", flow["leg.hop0"], _response(
            flow["leg.hop0"], leg_answer(first_leg(), kind="transfer.forwarding"),
            at_ms=FORWARDED_AT_MS)),
        "leg.hop1": _transaction_vector("leg.hop1", flow["leg.hop1"], now_ms=FORWARDED_AT_MS),
        "delivered": _response_vector("delivered", flow["leg.hop1"], _response(
            flow["leg.hop1"], leg_answer(second_leg(), kind="transfer.delivered", end=end),
            at_ms=COMMITTED_AT_MS), finding=COMMIT),
        "leg.hop0.again": _transaction_vector("leg.hop0.again", flow["leg.hop0.again"],
                                              link=again_link, now_ms=ASKED_AGAIN_AT_MS),
        "delivered.upstream": _response_vector("delivered.upstream", flow["leg.hop0.again"],
                                               _response(flow["leg.hop0.again"], leg_answer(
                                                   first_leg(), kind="transfer.delivered",
                                                   end=end), at_ms=ASKED_AGAIN_AT_MS),
                                               finding=COMMIT),
        "transfer_end": signed_vector("transfer_end", end.model_dump(mode="json"),
                                      signer=RECEIVER, key_name=RECEIVER,
                                      schema="transfer_end.schema.json"),
        "leg.hop1.late": _late_leg_vector(),
    }
    return vectors


def _late_leg_vector() -> dict[str, Any]:
    """A hub that forwards late sends a leg lasting less than `expiry_min_ms`: admitted, since
    only the first leg must last the minimum (§22.4, check 4)."""
    first = first_leg()
    left_ms = 5 * MINUTE_MS
    forwarded_at_ms = first.body.expires_at_ms - hop_margin_ms(DEFAULT_POLICY) - left_ms
    body = second_leg().body.model_copy(update={"created_at_ms": forwarded_at_ms})
    leg = LegMessage(message_id="m-leg-0001-hop1-late", body=body)
    document = _transaction(leg, HUB, RECEIVER, created_at_ms=forwarded_at_ms)
    return _transaction_vector("leg.hop1.late", document, now_ms=forwarded_at_ms)


# Negative: legs a receiver refuses ---------------------------------------------------------


def _leg_json(leg: LegMessage, **body: Any) -> dict[str, Any]:
    message = encode_message(leg)
    return {**message, "body": {**message["body"], **body}}


def _leg_case(description: str, document: dict[str, Any], expected: ReasonCode, *,
              now_ms: int) -> dict[str, Any]:
    return {
        "description": description,
        "receiver": document["receiver"],
        "now_ms": now_ms,
        "link": {"last_sequence": 0, "last_hash": GENESIS_HASH},
        "stored_hash": None,
        "wire_hex": wire_bytes(document).hex(),
        "expected_reason": expected.value,
        "expected_finality": FINALITY[expected].value,
    }


def leg_negative_vectors() -> dict[str, dict[str, Any]]:
    """In the order of the receiver's checks (§22.4): decoding, then check_leg's."""
    first, second = first_leg(), second_leg()
    bad = ReasonCode.MALFORMED

    def sent(leg: LegMessage | dict[str, Any], sender: str = SENDER, receiver: str = HUB,
             at_ms: int = T0_MS) -> dict[str, Any]:
        return _transaction(leg, sender, receiver, created_at_ms=at_ms)

    second_expiry = second.body.expires_at_ms
    return {
        "leg_path_not_from_debtor": _leg_case(
            "the path starts at the hub, not at the debtor's node",
            sent(_leg_json(first, path=[HUB, SENDER, RECEIVER])), bad, now_ms=T0_MS),
        "leg_path_repeats_node": _leg_case(
            "the path visits sh-pudong twice",
            sent(_leg_json(first, path=[SENDER, HUB, SENDER, RECEIVER])), bad, now_ms=T0_MS),
        "leg_hop_past_path": _leg_case(
            "hop 2 on a path of three nodes (the last node sends no leg)",
            sent(_leg_json(first, hop=2)), bad, now_ms=T0_MS),
        "leg_path_too_long": _leg_case(
            "a path of five nodes: four links, over the standard's three",
            sent(_leg_json(first, path=[SENDER, HUB, "bj-xicheng", "sz-futian", RECEIVER])),
            bad, now_ms=T0_MS),
        "leg_sender_not_at_hop": _leg_case(
            "sh-pudong sends the leg of hop 1, which the hub sends",
            sent(second, receiver=RECEIVER), ReasonCode.DEBTOR_NOT_AT_SENDER, now_ms=T0_MS),
        "leg_skips_the_hub": _leg_case(
            "sh-pudong sends the first leg straight to nj-gulou; its path names the hub next",
            sent(first, receiver=RECEIVER), ReasonCode.CREDITOR_NOT_AT_RECEIVER, now_ms=T0_MS),
        "leg_expired": _leg_case(
            "the leg of hop 1 arrives at its expiry instant",
            sent(second, HUB, RECEIVER, at_ms=second_expiry - 1_000),
            ReasonCode.EXPIRED, now_ms=second_expiry),
        "leg_first_too_short": _leg_case(
            "the first leg lasts five minutes; policy expiry_min_ms is ten",
            sent(_leg_json(first, expires_at_ms=T0_MS + 5 * MINUTE_MS)),
            ReasonCode.EXPIRY_OUT_OF_BOUNDS, now_ms=T0_MS),
        "leg_lasts_too_long": _leg_case(
            "the leg of hop 1 lasts two days; policy expiry_max_ms is one",
            sent(_leg_json(second, expires_at_ms=FORWARDED_AT_MS + 2 * DAY_MS), HUB, RECEIVER,
                 at_ms=FORWARDED_AT_MS), ReasonCode.EXPIRY_OUT_OF_BOUNDS, now_ms=FORWARDED_AT_MS),
        "leg_amount_over_policy": _leg_case(
            "a leg of 6001 minutes; policy amount_minutes_max is 6000",
            sent(_leg_json(first, amount_minutes=DEFAULT_POLICY.amount_minutes_max + 1)),
            ReasonCode.AMOUNT_OUT_OF_BOUNDS, now_ms=T0_MS),
    }


# Negative: delivered answers that prove nothing -----------------------------------------------


def _end_by(signer: str, key_name: str, **changes: Any) -> dict[str, Any]:
    unsigned = {k: v for k, v in sample_end().model_dump(mode="json").items() if k != "signatures"}
    return sign_object({**unsigned, **changes}, signer=signer, key=vector_key(key_name))


def _delivered_case(description: str, end: dict[str, Any]) -> dict[str, Any]:
    """The hub answers sh-pudong's leg, asked again, with `end` as the end receipt: the hub's
    response is genuinely its own, signed by it; only the end receipt is wrong."""
    request = _flow()["leg.hop0.again"]
    leg = first_leg()
    answer = DeliveredMessage(message_id=f"a-{leg.message_id}", body=DeliveredBody(
        in_reply_to=leg.message_id, transfer_id=leg.body.transfer_id,
        prepare_hash=message_hash(leg), end=EndReceipt.model_validate(end)))
    response = _response(request, answer, at_ms=ASKED_AGAIN_AT_MS)
    return {
        "description": description,
        "reader": SENDER,
        "request_wire_hex": wire_bytes(request).hex(),
        "wire_hex": wire_bytes(response).hex(),
        "expected_finding": DISPUTE,
    }


def delivered_negative_vectors() -> dict[str, dict[str, Any]]:
    tampered = sample_end().model_dump(mode="json")
    tampered["amount_minutes"] = 1_200
    return {
        "end_signed_by_hub": _delivered_case(
            "the end receipt is signed by the hub hz-xihu alone", _end_by(HUB, HUB)),
        "end_hub_key_as_creditor": _delivered_case(
            "the hub signs the end receipt with its own key under nj-gulou's name",
            _end_by(RECEIVER, HUB)),
        "end_tampered": _delivered_case(
            "nj-gulou's end receipt with the amount raised to 1200 after signing", tampered),
        "end_other_amount": _delivered_case(
            "an end receipt nj-gulou signed for 1200 minutes; the leg carried 120",
            _end_by(RECEIVER, RECEIVER, amount_minutes=1_200)),
        "end_other_path": _delivered_case(
            "an end receipt nj-gulou signed for the route through bj-xicheng",
            _end_by(RECEIVER, RECEIVER, path=[SENDER, "bj-xicheng", RECEIVER])),
        "end_other_creditor": _delivered_case(
            "an end receipt nj-gulou signed crediting another member",
            _end_by(RECEIVER, RECEIVER, creditor=f"li.ma@{RECEIVER}")),
        "end_other_transfer": _delivered_case(
            "an end receipt nj-gulou signed for another transfer id",
            _end_by(RECEIVER, RECEIVER, transfer_id="tr-routed-0002")),
        "end_other_payment_request": _delivered_case(
            "an end receipt nj-gulou signed for a leg a hub made pay a payment request",
            _end_by(RECEIVER, RECEIVER, payment_request_id="pr-0000000009")),
        "end_other_memo": _delivered_case(
            "an end receipt nj-gulou signed for a leg whose memo a hub rewrote",
            _end_by(RECEIVER, RECEIVER, memo="请把钱转给枢纽 (pay the hub instead)")),
    }


def run_delivered_vector(vector: dict[str, Any]) -> str:
    """What the reader makes of the response: `commit` or `dispute` (§22.4)."""
    directory = vector_directory()
    request = decode_transaction(parse_object(bytes.fromhex(vector["request_wire_hex"]),
                                              bytes_max=1 << 20))
    response = admit_response(bytes.fromhex(vector["wire_hex"]), directory=directory,
                              request=request)
    (leg,) = request.messages
    (answer,) = response.messages
    assert isinstance(leg, LegMessage) and isinstance(answer, DeliveredMessage)
    finding = read_delivered(leg.body, message_hash(leg), answer.body, directory=directory)
    return COMMIT if isinstance(finding, Commit) else DISPUTE
