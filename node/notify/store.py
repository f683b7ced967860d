"""The outbox itself: a notification is one row, written in the same database transaction as
the event it tells of, so an event that rolls back tells nobody and a committed one is never
lost. The payload holds ids and integers only: names, addresses and sentences are looked up or
rendered when the notification is read or sent, and personal data never lands here."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Connection

from node.db.fast import FastStatement
from node.db.schema import notifications
from node.errors import InvariantViolation, require
from node.states import NotificationKind
from protocol.canonical import INT_ABS_MAX

Payload = Mapping[str, int | str]
# A payload value that is a string names something: a local id, an address, a node, a request.
PAYLOAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$")
PAYLOAD_KEY = re.compile(r"^[a-z][a-z_]{0,31}$")
PAYLOAD_CHARS_MAX = 500  # the column's size
PAYLOAD_KEYS_MAX = 8


def encode_payload(payload: Payload) -> str:
    """The stored JSON, after checking it holds only ids and integers. The callers are the
    node's own services, so a bad payload is a bug: InvariantViolation."""
    require(0 < len(payload) <= PAYLOAD_KEYS_MAX, f"a payload of {len(payload)} keys")
    for key, value in payload.items():
        require(PAYLOAD_KEY.fullmatch(key) is not None, f"payload key {key!r}")
        if isinstance(value, str):
            require(PAYLOAD_ID.fullmatch(value) is not None, f"payload {key} is not an id")
        else:
            require(type(value) is int and abs(value) <= INT_ABS_MAX,
                    f"payload {key} is not an integer")
    text = json.dumps(dict(payload), sort_keys=True, separators=(",", ":"))
    require(len(text) <= PAYLOAD_CHARS_MAX, f"a payload of {len(text)} characters")
    return text


def decode_payload(text: str) -> dict[str, int | str]:
    value: Any = json.loads(text)
    require(isinstance(value, dict), "a stored payload is a JSON object")
    return dict(value)


# Run in the same write as every transfer credited here: compiled once (node/db/fast.py).
_ENQUEUE = FastStatement(insert(notifications).values(
    {name: bindparam(name) for name in ("member_local_id", "kind", "payload", "created_at_ms",
                                        "read_at_ms", "planned_at_ms")},
).returning(notifications.c.id))


def enqueue(conn: Connection, *, member_local_id: str, kind: NotificationKind,
            payload: Payload, now_ms: int) -> int:
    """Add a notification to the member's outbox, in the caller's transaction; its id."""
    made = _ENQUEUE.rows(conn, {
        "member_local_id": member_local_id, "kind": str(kind), "payload": encode_payload(payload),
        "created_at_ms": now_ms, "read_at_ms": None, "planned_at_ms": None})
    if len(made) != 1:
        raise InvariantViolation("an inserted notification has no id")
    return int(made[0].id)


@dataclass(frozen=True)
class Stored:
    """A notification as stored: what happened, to whom, when."""

    id: int
    member_local_id: str
    kind: NotificationKind
    payload: dict[str, int | str]
    created_at_ms: int
    read_at_ms: int | None

    @classmethod
    def from_row(cls, row: Any) -> Stored:
        return cls(id=int(row.id), member_local_id=row.member_local_id,
                   kind=NotificationKind(row.kind), payload=decode_payload(row.payload),
                   created_at_ms=int(row.created_at_ms), read_at_ms=row.read_at_ms)
