"""Stateless per-request checks other than the prepare's (those are in test_transfer_rules)."""

from __future__ import annotations

from typing import Any

from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, vector_key
from protocol.conformance.samples import sample_requests
from protocol.directory import Directory
from protocol.message_rules import check_request
from protocol.messages import RequestMessage, decode_request, encode_message
from protocol.policy import HOUR_MS
from protocol.reasons import ReasonCode
from protocol.signing import sign_object

SAMPLES = {message.type: message for message in sample_requests()}


def _check(message: RequestMessage, directory: Directory, now_ms: int = T0_MS) -> Any:
    return check_request(
        message, sender=SENDER, receiver=RECEIVER, now_ms=now_ms, directory=directory
    )


def _edited(kind: str, path: list[str], value: Any, *, resign_as: str | None = None) -> Any:
    document = encode_message(SAMPLES[kind])
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    if resign_as is not None:
        inner = document["body"][kind]
        unsigned = {k: v for k, v in inner.items() if k != "signatures"}
        document["body"][kind] = sign_object(unsigned, signer=resign_as, key=vector_key(resign_as))
    return decode_request(document)


def test_samples_pass(directory: Directory) -> None:
    for message in SAMPLES.values():
        assert _check(message, directory) is None


def test_relocation(directory: Directory) -> None:
    foreign = _edited("relocation.prepare", ["body", "member"], "wang.nainai@hz-xihu")
    assert _check(foreign, directory) is ReasonCode.MALFORMED
    expires = SAMPLES["relocation.prepare"].body.expires_at_ms  # type: ignore[union-attr]
    assert _check(SAMPLES["relocation.prepare"], directory, expires - 1) is None
    assert _check(SAMPLES["relocation.prepare"], directory, expires) is ReasonCode.EXPIRED


def test_payment_request(directory: Directory) -> None:
    for member, address in (("payee", "zhao@hz-xihu"), ("payer", "li.wei@hz-xihu")):
        misaddressed = _edited("payment.request", ["body", member], address)
        assert _check(misaddressed, directory) is ReasonCode.MALFORMED
    late = T0_MS + 72 * HOUR_MS
    assert _check(SAMPLES["payment.request"], directory, late) is ReasonCode.EXPIRED


def test_statement_must_be_the_senders_about_us_and_signed(directory: Directory) -> None:
    path = ["body", "statement"]
    not_ours = _edited("statement", [*path, "counterparty"], "hz-xihu", resign_as=SENDER)
    assert _check(not_ours, directory) is ReasonCode.WRONG_RECEIVER
    foreign = _edited("statement", [*path, "issuer"], "hz-xihu", resign_as="hz-xihu")
    assert _check(foreign, directory) is ReasonCode.SENDER_MISMATCH
    tampered = _edited("statement", [*path, "window_index"], 2)
    assert _check(tampered, directory) is ReasonCode.BAD_SIGNATURE


def test_checkpoint_must_be_the_senders_and_signed(directory: Directory) -> None:
    path = ["body", "checkpoint"]
    foreign = _edited("checkpoint", [*path, "node"], "hz-xihu", resign_as="hz-xihu")
    assert _check(foreign, directory) is ReasonCode.SENDER_MISMATCH
    tampered = _edited("checkpoint", [*path, "height"], 43)
    assert _check(tampered, directory) is ReasonCode.BAD_SIGNATURE
