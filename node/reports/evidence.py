"""Checks of the signed documents a report embeds, against the federation directory alone.

Each check returns the problems it found as sentences (empty: all verified), so a verifier can
name every failure at once, and a collector can refuse one node's answer without stopping.
Signatures are judged at each document's own signing time (docs/standard.md §5.2), so a report
stays verifiable after a node rotated its key or was suspended.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from node.states import WindowState
from protocol.directory import Directory, KeyRecord, accept_directory, decode_directory
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.messages.documents import Checkpoint, Statement
from protocol.signing import SignatureError, VerifyKey, verify_object

WINDOW_STATES = ("open", "matched", "disputed")
WINDOW_MEMBERS = ("peer", "window_index", "state", "statement", "peer_statement", "record")


def report_window(view: dict[str, Any]) -> dict[str, Any]:
    """A window as reports carry it: the signed documents and what the node says of them."""
    return {name: view.get(name) for name in WINDOW_MEMBERS}


def unsigned(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("signatures", "unsigned")}


def _signed_by(document: Any, signer: str, directory: Directory, what: str) -> list[str]:
    if not isinstance(document, dict):
        return [f"{what} is not an object"]
    try:
        verify_evidence(document, directory=directory, time_member="issued_at_ms", signer=signer)
    except ProtocolError as exc:
        return [f"{what}: signature by {signer}: {exc.code.value}: {exc.detail}"]
    return []


def _statement(document: Any, *, issuer: str, counterparty: str, directory: Directory,
               what: str) -> tuple[Statement | None, list[str]]:
    problems = _signed_by(document, issuer, directory, what)
    if problems:
        return None, problems
    try:
        statement = Statement.model_validate(document)
    except ValidationError as exc:
        return None, [f"{what} is not a statement: {exc.errors()[0]['msg']}"]
    if (statement.issuer, statement.counterparty) != (issuer, counterparty):
        return None, [f"{what} is {statement.issuer}'s statement about {statement.counterparty}"]
    return statement, []


def check_record(record: Any, *, node: str, peer: str, directory: Directory,
                 what: str) -> tuple[Statement | None, list[str]]:
    """A co-signed record of the link node–peer: signed by both, and a statement of one of
    them about the other (nothing else, not even an `unsigned` member)."""
    problems = [p for signer in (node, peer)
                for p in _signed_by(record, signer, directory, what)]
    if problems:
        return None, problems
    try:
        statement = Statement.model_validate(record)
    except ValidationError as exc:
        return None, [f"{what} is not a statement: {exc.errors()[0]['msg']}"]
    if {statement.issuer, statement.counterparty} != {node, peer}:
        return None, [f"{what} is about {statement.issuer}–{statement.counterparty}"]
    return statement, []


def check_window(window: Any, *, node: str, directory: Directory) -> list[str]:
    """One link's newest window as `node` reported it: its own statement signed by itself, the
    peer's signed by the peer, and the record, if any, one of the two co-signed by both."""
    if not isinstance(window, dict) or not isinstance(window.get("peer"), str):
        return [f"{node}: a window without a peer"]
    peer = window["peer"]
    where = f"{node}→{peer}"
    mine, problems = _statement(window.get("statement"), issuer=node, counterparty=peer,
                                directory=directory, what=f"{where} statement")
    if mine is not None and mine.window_index != window.get("window_index"):
        problems.append(f"{where}: window_index {window.get('window_index')} is not the "
                        f"statement's {mine.window_index}")
    if window.get("state") not in WINDOW_STATES:
        problems.append(f"{where}: state {window.get('state')!r} is not one of {WINDOW_STATES}")
    theirs = window.get("peer_statement")
    if theirs is not None:
        problems += _statement(theirs, issuer=peer, counterparty=node, directory=directory,
                               what=f"{where} peer statement")[1]
    record = window.get("record")
    if record is not None:
        problems += check_record(record, node=node, peer=peer, directory=directory,
                                 what=f"{where} record")[1]
        candidates = [d for d in (window.get("statement"), theirs) if isinstance(d, dict)]
        if isinstance(record, dict) and unsigned(record) not in [unsigned(d) for d in candidates]:
            problems.append(f"{where}: the record is neither side's statement")
    elif window.get("state") == WindowState.MATCHED:
        problems.append(f"{where}: matched without a co-signed record")
    return problems


def check_checkpoint(document: Any, *, node: str, directory: Directory) -> list[str]:
    problems = _signed_by(document, node, directory, f"{node} checkpoint")
    if problems:
        return problems
    try:
        checkpoint = Checkpoint.model_validate(document)
    except ValidationError as exc:
        return [f"{node} checkpoint is not a checkpoint: {exc.errors()[0]['msg']}"]
    if checkpoint.node != node:
        return [f"the checkpoint is {checkpoint.node}'s, not {node}'s"]
    return []


def load_directory(document: Any, *, anchors: list[VerifyKey] | None = None) -> Directory:
    """A signed directory, checked against `anchors` (the authority keys a regulator pins), or,
    without anchors, against the authority keys it lists itself (its integrity only: say which
    key signed it so a person can compare). Raises ProtocolError."""
    directory = decode_directory(document)
    own = [record.verify_key() for record in directory.authority_keys]
    return accept_directory(document, anchors=anchors or own, current=None)


def authority_key(directory: Directory, key_id: str, at_ms: int) -> KeyRecord | None:
    return next((k for k in directory.authority_keys
                 if k.key_id == key_id and k.valid_at(at_ms)), None)


def check_report_signature(document: dict[str, Any], *, directory: Directory) -> tuple[str,
                                                                                        list[str]]:
    """The report's own signature: by a node of the directory or by the federation authority,
    with a key valid at `issued_at_ms`. Returns the signer and the problems."""
    signatures = document.get("signatures")
    if not isinstance(signatures, dict) or len(signatures) != 1:
        return "?", ["the report must carry exactly one signer"]
    (signer,) = signatures
    if signer != directory.federation_id:
        return signer, _signed_by(document, signer, directory, "the report")
    by_signer = signatures[signer]
    issued_at_ms = document.get("issued_at_ms")
    if not isinstance(by_signer, dict) or len(by_signer) != 1 or not isinstance(issued_at_ms,
                                                                                  int):
        return signer, ["the report's authority signature is malformed"]
    (key_id,) = by_signer
    record = authority_key(directory, key_id, issued_at_ms)
    if record is None:
        return signer, [f"the report: authority key {key_id} is not listed valid at "
                        f"{issued_at_ms}"]
    try:
        verify_object(document, signer=signer, key=record.verify_key())
    except SignatureError as exc:
        return signer, [f"the report: {exc}"]
    return signer, []
