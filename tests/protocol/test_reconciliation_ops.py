"""Closed member sets of the reconciliation operations (standard §20.2): every member present,
no other, each of its shape; a reply answers no more than was asked."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from protocol.conformance.reconciliation import exchanges
from protocol.errors import ProtocolError
from protocol.reasons import ReasonCode
from protocol.reconciliation_ops import (
    ARGS,
    LEAVES_PER_REPLY_MAX,
    REPAIR_DETAIL_CHARS_MAX,
    RESULTS,
    check_args,
    check_result,
)

OPS = exchanges()
KEY = ["sh-pudong", "tr-0000000001"]


def _malformed(call: Any) -> str:
    with pytest.raises(ProtocolError) as refused:
        call()
    assert refused.value.code is ReasonCode.MALFORMED
    return refused.value.detail


def test_every_op_has_args_and_a_result_and_the_samples_pass() -> None:
    assert ARGS.keys() == RESULTS.keys() == OPS.keys()
    for op, (args, result) in OPS.items():
        check_args(op, args)
        check_result(op, args, result)


@pytest.mark.parametrize("op", sorted(OPS))
def test_a_member_more_or_less_is_malformed(op: str) -> None:
    args, result = OPS[op]
    assert "unknown ['extra']" in _malformed(lambda: check_args(op, {**args, "extra": 1}))
    assert "unknown ['extra']" in _malformed(
        lambda: check_result(op, args, {**result, "extra": 1}))
    first = sorted(args)[0]
    assert f"missing ['{first}']" in _malformed(
        lambda: check_args(op, {k: v for k, v in args.items() if k != first}))
    assert "must be an object" in _malformed(lambda: check_result(op, args, [result]))


def _with(op: str, where: str, path: list[str | int], value: Any) -> Any:
    args, result = copy.deepcopy(OPS[op])
    target: Any = args if where == "args" else result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    if where == "args":
        return lambda: check_args(op, args)
    return lambda: check_result(op, OPS[op][0], result)


@pytest.mark.parametrize(
    ("op", "where", "path", "value"),
    [
        ("summary", "args", ["window_index"], 0),
        ("summary", "args", ["window_index"], True),
        ("summary", "args", ["lo"], ["sh-pudong", "short"]),
        ("summary", "args", ["hi"], ["SH", "tr-0000000001"]),
        ("summary", "args", ["hi"], "sh-pudong/tr-0000000001"),
        ("propose", "args", ["final"], 0),
        ("propose", "args", ["statement"], "signed"),
        ("propose", "args", ["statement", "closing_position_minutes"], 1),
        ("propose", "args", ["late_response"], {"transaction": "{}"}),
        ("propose", "args", ["late_response"], {"transaction": {}, "response": "{}"}),
        ("evidence", "args", ["keys"], [KEY] * 5),
        ("evidence", "args", ["keys"], {"key": KEY}),
        ("history", "args", ["direction"], "both"),
        ("history", "args", ["after"], -1),
        ("history", "args", ["limit"], 0),
        ("summary", "result", ["count"], -1),
        ("summary", "result", ["digest"], "ab"),
        ("leaves", "result", ["leaves"], [["sh-pudong", "tr-0000000001", 1]]),
        ("leaves", "result", ["leaves", 0, 2], -1),
        ("leaves", "result", ["leaves", 0, 2], 2**53),
        ("leaves", "result", ["leaves", 0, 3], "A" * 64),
        ("leaves", "result", ["leaves"], [["sh-pudong", "tr-0000000001", 1, "a" * 64]]
         * (LEAVES_PER_REPLY_MAX + 1)),
        ("propose", "result", ["matched"], False),
        ("propose", "result", ["record"], {"kind": "statement"}),
        ("repair", "result", ["outcomes", 0, "outcome"], "carried"),
        ("repair", "result", ["outcomes", 0, "kind"], "duplicate"),
        ("repair", "result", ["outcomes", 0, "detail"], "x" * (REPAIR_DETAIL_CHARS_MAX + 1)),
        ("repair", "result", ["outcomes", 0, "detail"], None),
        ("history", "result", ["transactions", 0, "sequence"], 0),
        ("history", "result", ["transactions", 0, "transaction"], {"kind": "transaction"}),
    ],
)
def test_a_member_of_the_wrong_shape_is_malformed(
    op: str, where: str, path: list[str | int], value: Any
) -> None:
    _malformed(_with(op, where, path, value))


def test_a_reply_answers_no_more_than_was_asked() -> None:
    for op, answered in (("evidence", "evidence"), ("repair", "outcomes")):
        args, result = OPS[op]
        doubled = {answered: result[answered] * 2}
        assert "at most one item per key asked (1)" in _malformed(
            lambda op=op, args=args, doubled=doubled: check_result(op, args, doubled))
    args, result = OPS["history"]
    assert "at most limit (1)" in _malformed(
        lambda: check_result("history", {**args, "limit": 1}, {
            "transactions": result["transactions"] * 2}))
