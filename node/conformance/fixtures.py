"""What the target's operator prepared so that the kit can drive the refusals a peer cannot
provoke alone (docs/conformance.md, "Refusals that need the operator"): a small JSON file,
`--fixtures FILE`, every member optional.

    {
      "closed_key": "kit-old.pem",                 # a second kit key, listed with a window
                                                   # that has ended or not begun: key_not_valid
      "suspended_node": {"node_id": "ck-susp", "key": "susp.pem"},   # sender_suspended
      "retired_node": {"node_id": "ck-ret", "key": "ret.pem"},       # sender_retired
      "cannot_receive_member": "LOCAL_ID",         # may not receive gifts: creditor_cannot_receive
      "balance_cap_member": "LOCAL_ID",            # at her balance cap: balance_cap_exceeded
      "relocated_member": "LOCAL_ID",              # moved away: creditor_relocated
      "relocated_to": "ADDRESS",                   # optional: her new address, checked
      "untransferable": {"credit_class": "group_earned", "purpose": "gift"}
    }

Key paths are read relative to the file's folder. A row whose fixture is absent is "not run".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.conformance.peer import KitError, load_key
from protocol.signing import SigningKey

FIXTURES_BYTES_MAX = 65_536  # a handful of ids and paths
LOCAL_IDS = ("cannot_receive_member", "balance_cap_member", "relocated_member")
KNOWN = {"closed_key", "suspended_node", "retired_node", "relocated_to", "untransferable",
         *LOCAL_IDS}


@dataclass(frozen=True)
class OtherSender:
    """A node the directory lists, not active, whose key the kit signs with."""

    node_id: str
    key: SigningKey


@dataclass(frozen=True)
class Fixtures:
    closed_key: SigningKey | None = None
    suspended: OtherSender | None = None
    retired: OtherSender | None = None
    cannot_receive_member: str | None = None
    balance_cap_member: str | None = None
    relocated_member: str | None = None
    relocated_to: str | None = None
    untransferable: tuple[str, str] | None = None  # (credit_class, purpose)


def _text(document: dict[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise KitError(f"fixtures: `{name}` must be a non-empty string")
    return value


def _sender(document: dict[str, Any], name: str, folder: Path,
            passphrase: bytes | None) -> OtherSender | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"node_id", "key"}:
        raise KitError(f"fixtures: `{name}` must be {{\"node_id\": ..., \"key\": PATH}}")
    node_id, key = _text(value, "node_id"), _text(value, "key")
    assert node_id is not None and key is not None  # both present, checked just above
    return OtherSender(node_id, load_key(folder / key, passphrase))


def _untransferable(document: dict[str, Any]) -> tuple[str, str] | None:
    value = document.get("untransferable")
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("credit_class"), str):
        raise KitError("fixtures: `untransferable` must be {\"credit_class\": ..., "
                       "\"purpose\": ...}")
    purpose = value.get("purpose", "gift")
    if not isinstance(purpose, str):
        raise KitError("fixtures: `untransferable.purpose` must be a string")
    return value["credit_class"], purpose


def load_fixtures(path: Path | None, passphrase: bytes | None = None) -> Fixtures:
    """The operator's fixtures; none at all when no file is given."""
    if path is None:
        return Fixtures()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KitError(f"cannot read the fixtures {path}: {exc}") from exc
    if len(raw) > FIXTURES_BYTES_MAX:
        raise KitError(f"the fixtures {path} are over {FIXTURES_BYTES_MAX} bytes")
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise KitError(f"the fixtures {path} are not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise KitError(f"the fixtures {path} must be a JSON object")
    unknown = set(document) - KNOWN
    if unknown:
        raise KitError(f"fixtures: unknown members {sorted(unknown)}; known: {sorted(KNOWN)}")
    folder = path.parent
    closed = _text(document, "closed_key")
    return Fixtures(
        closed_key=None if closed is None else load_key(folder / closed, passphrase),
        suspended=_sender(document, "suspended_node", folder, passphrase),
        retired=_sender(document, "retired_node", folder, passphrase),
        cannot_receive_member=_text(document, "cannot_receive_member"),
        balance_cap_member=_text(document, "balance_cap_member"),
        relocated_member=_text(document, "relocated_member"),
        relocated_to=_text(document, "relocated_to"),
        untransferable=_untransferable(document))
