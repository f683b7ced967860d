"""Checking the target's settlement answers as a closer must (§20.4): a co-signed record and the
target's mirrored statement; an evidence item that proves a transfer."""

from __future__ import annotations

from typing import Any

from node.conformance.peer import Answer, Peer
from node.conformance.results import Report
from protocol.canonical import canonical_bytes
from protocol.envelope import admit_response, verify_evidence
from protocol.errors import ProtocolError
from protocol.merkle import TransferLeaf
from protocol.messages import encode_message
from protocol.messages.documents import Statement
from protocol.statements import compare
from protocol.transaction import decode_transaction
from protocol.wire import parse_object


def _unsigned(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "signatures"}


def mirror_problems(mine: dict[str, Any], theirs: Any, peer: Peer) -> list[str]:
    """Why the target's statement is not the kit's seen from the other end (empty: it is)."""
    try:
        verify_evidence(theirs, directory=peer.directory, time_member="issued_at_ms",
                        signer=peer.target_id)
        statement = Statement.model_validate(theirs)
    except (ProtocolError, ValueError, TypeError, AttributeError) as exc:
        return [f"the target's statement: {exc}"]
    if (statement.issuer, statement.counterparty) != (peer.target_id, peer.kit_id):
        return ["the target's statement is about another link"]
    return [d.value for d in compare(Statement.model_validate(mine), statement)]


def record_problems(record: Any, mine: dict[str, Any], peer: Peer) -> list[str]:
    """Why `record` is not the kit's statement unchanged, signed by both (empty: it is)."""
    if not isinstance(record, dict) or _unsigned(record) != _unsigned(mine):
        return ["the record is not the kit's statement unchanged"]
    try:
        for signer in (peer.kit_id, peer.target_id):
            verify_evidence(record, directory=peer.directory, time_member="issued_at_ms",
                            signer=signer)
    except ProtocolError as exc:
        return [f"the record's signatures: {exc}"]
    return []


def check_match(report: Report, section: str, scenario: str, answer: Answer,
                mine: dict[str, Any], peer: Peer) -> bool:
    result = answer.result
    if result is None:
        return report.record(section, scenario, False, answer.describe())
    problems = mirror_problems(mine, result["statement"], peer)
    if not result["matched"]:
        problems.append("matched is false")
    else:
        problems += record_problems(result["record"], mine, peer)
    return report.record(section, scenario, not problems, "; ".join(problems) or "co-signed")


def _commits(item: dict[str, Any], peer: Peer, leaf: TransferLeaf) -> str:
    """Why the evidence item does not prove `leaf` committed (empty: it does)."""
    raw = item["transaction"].encode("utf-8")
    document = parse_object(raw, bytes_max=peer.policy.transaction_bytes_max)
    if canonical_bytes(document) != raw:
        return "the transaction is not in canonical form"
    verify_evidence(document, directory=peer.directory, time_member="created_at_ms")
    transaction = decode_transaction(document)
    if (transaction.sender, transaction.receiver) != (peer.kit_id, peer.target_id):
        return "the transaction is not on the kit's link"
    response = admit_response(item["response"].encode("utf-8"), directory=peer.directory,
                              request=transaction)
    bodies = [encode_message(m)["body"] for m in response.messages]
    if not any(body.get("transfer_id") == leaf.transfer_id
               and body.get("prepare_hash") == leaf.prepare_hash
               and "committed_at_ms" in body for body in bodies):
        return "the response holds no receipt of that transfer"
    return ""


def check_evidence(report: Report, section: str, scenario: str, answer: Answer, peer: Peer,
                   leaf: TransferLeaf) -> bool:
    if answer.result is None:
        return report.record(section, scenario, False, answer.describe())
    items = answer.result["evidence"]
    if len(items) != 1 or items[0]["key"] != list(leaf.key):
        return report.record(section, scenario, False, f"{len(items)} items, not the one asked")
    try:
        why = _commits(items[0], peer, leaf)
    except ProtocolError as exc:
        why = f"{exc.code}: {exc.detail}"
    return report.record(section, scenario, not why, why or "transaction and receipt verify")
