"""The closed member sets of the reconciliation exchange (standard §20): each operation's `args`
and `result`, every member present, no other member allowed, each value of its stated shape.

A reconciliation request or reply is a signed document like a transaction, so §3.1 applies to
it at every level: a reader that let an unknown member through, or filled in a missing one,
would co-sign or act on something the other side never said. Each check raises
DecodeError(malformed) naming the first member that breaks its rule.

Signed documents nested in the exchange travel in two ways, both kept from the reference
implementation as it runs (docs/decisions.md, "Reconciliation on the wire"): a statement (and
a co-signed record) as a JSON object, and a transaction or response as a JSON *string* holding
its canonical bytes, exactly as the node that stored it received or signed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from protocol.addresses import NODE_ID_PATTERN
from protocol.errors import DecodeError
from protocol.fields import HASH_PATTERN, ID_PATTERN
from protocol.messages.documents import Statement
from protocol.reasons import ReasonCode

# Per-call limits of the standard, so that one question costs one bounded answer.
LEAVES_PER_REPLY_MAX = 32
EVIDENCE_ITEMS_MAX = 4
HISTORY_PAGE_MAX = 20
REPAIR_DETAIL_CHARS_MAX = 500
AMOUNT_MAX = 2**53 - 1
REPAIR_KINDS = ("missing_locally", "state_mismatch")
REPAIR_OUTCOMES = ("repaired", "disputed")
DIRECTIONS = ("from_you", "to_you")

_NODE_ID = re.compile(NODE_ID_PATTERN)
_ID = re.compile(ID_PATTERN)
_HASH = re.compile(HASH_PATTERN)

Check = Callable[[str, Any], None]


def _fail(where: str, rule: str) -> DecodeError:
    return DecodeError(ReasonCode.MALFORMED, f"{where} must be {rule}")


def _integer(low: int, high: int = AMOUNT_MAX) -> Check:
    def check(where: str, value: Any) -> None:
        if type(value) is not int or not low <= value <= high:
            raise _fail(where, f"an integer in [{low}, {high}]")

    return check


def _boolean(where: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(where, "true or false")


def _text(where: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _fail(where, "a string")


def _one_of(*allowed: str) -> Check:
    def check(where: str, value: Any) -> None:
        if value not in allowed:
            raise _fail(where, "one of " + ", ".join(allowed))

    return check


def _detail(where: str, value: Any) -> None:
    if not isinstance(value, str) or len(value) > REPAIR_DETAIL_CHARS_MAX:
        raise _fail(where, f"a string of at most {REPAIR_DETAIL_CHARS_MAX} characters")


def _digest(where: str, value: Any) -> None:
    if not isinstance(value, str) or not _HASH.match(value):
        raise _fail(where, "64 lowercase hex digits")


def _key(where: str, value: Any) -> None:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
            and _NODE_ID.match(value[0]) and _ID.match(value[1])):
        raise _fail(where, "a key [debtor_node, transfer_id]")


def _leaf(where: str, value: Any) -> None:
    if not (isinstance(value, list) and len(value) == 4):
        raise _fail(where, "a leaf [debtor_node, transfer_id, amount_minutes, prepare_hash]")
    _key(where, value[:2])
    _integer(0)(where + "[2]", value[2])
    _digest(where + "[3]", value[3])


def _nullable(check: Check) -> Check:
    def run(where: str, value: Any) -> None:
        if value is not None:
            check(where, value)

    return run


def _statement(where: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise _fail(where, "a signed statement object")
    try:
        Statement.model_validate(value)
    except ValidationError as exc:
        raise _fail(where, f"a statement (§11): {exc.errors()[0]['msg']}") from exc


def _object(members: dict[str, Check]) -> Check:
    def check(where: str, value: Any) -> None:
        require_members(value, members, where=where)

    return check


def _array(item: Check, most: int) -> Check:
    def check(where: str, value: Any) -> None:
        if not isinstance(value, list) or len(value) > most:
            raise _fail(where, f"an array of at most {most} items")
        for index, entry in enumerate(value):
            item(f"{where}[{index}]", entry)

    return check


def require_members(value: Any, members: dict[str, Check], *, where: str) -> None:
    """`value` is an object with exactly `members`, each passing its check (in sorted order,
    so the first failure named is the same in every implementation)."""
    if not isinstance(value, dict):
        raise _fail(where, "an object")
    missing = sorted(members.keys() - value.keys())
    extra = sorted(value.keys() - members.keys())
    if missing or extra:
        raise _fail(where, f"exactly {{{', '.join(sorted(members))}}} "
                           f"(missing {missing}, unknown {extra})")
    for name in sorted(members):
        members[name](f"{where}.{name}", value[name])


_PAIR: dict[str, Check] = {"transaction": _text, "response": _text}
_RANGE: dict[str, Check] = {
    "window_index": _integer(1), "lo": _nullable(_key), "hi": _nullable(_key),
}
_EVIDENCE_ITEM = _object({"key": _key, **_PAIR})

ARGS: dict[str, dict[str, Check]] = {
    "propose": {"statement": _statement, "final": _boolean,
                "late_response": _nullable(_object(_PAIR))},
    "summary": _RANGE,
    "split_key": _RANGE,
    "leaves": _RANGE,
    "evidence": {"keys": _array(_key, EVIDENCE_ITEMS_MAX)},
    "repair": {"window_index": _integer(1),
               "evidence": _array(_EVIDENCE_ITEM, EVIDENCE_ITEMS_MAX)},
    "history": {"direction": _one_of(*DIRECTIONS), "after": _integer(0),
                "limit": _integer(1)},
}

RESULTS: dict[str, dict[str, Check]] = {
    "propose": {"statement": _statement, "record": _nullable(_statement), "matched": _boolean},
    "summary": {"count": _integer(0), "digest": _digest},
    "split_key": {"key": _key},
    "leaves": {"leaves": _array(_leaf, LEAVES_PER_REPLY_MAX)},
    "evidence": {"evidence": _array(_EVIDENCE_ITEM, EVIDENCE_ITEMS_MAX)},
    "repair": {"outcomes": _array(_object({
        "key": _key, "kind": _one_of(*REPAIR_KINDS), "outcome": _one_of(*REPAIR_OUTCOMES),
        "detail": _detail}), EVIDENCE_ITEMS_MAX)},
    "history": {"transactions": _array(_object({"sequence": _integer(1), **_PAIR}),
                                       HISTORY_PAGE_MAX)},
}


# op -> (the args member listing what was asked, the result member answering it one per item)
_ANSWERED = {"evidence": ("keys", "evidence"), "repair": ("evidence", "outcomes")}


def check_args(op: str, args: Any) -> None:
    """The request's `args` for `op` (a known op) have exactly the op's members."""
    require_members(args, ARGS[op], where="args")


def check_result(op: str, args: dict[str, Any], result: Any) -> None:
    """The reply's `result` to a request `op` with `args` has exactly the op's members, and
    answers no more than was asked."""
    require_members(result, RESULTS[op], where="result")
    if op == "propose" and result["matched"] != (result["record"] is not None):
        raise _fail("result.matched", "true exactly when result.record is not null")
    if op == "history" and len(result["transactions"]) > args["limit"]:
        raise _fail("result.transactions", f"at most limit ({args['limit']}) items")
    if op in _ANSWERED:
        asked, answered = _ANSWERED[op]
        if len(result[answered]) > len(args[asked]):
            raise _fail(f"result.{answered}", f"at most one item per key asked "
                                              f"({len(args[asked])})")
