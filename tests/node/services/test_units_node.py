"""node/services/units.py: the node's unit comes from the directory it holds, and converting a
local amount moves exactly whole ratio blocks of minutes while the payer keeps the rest."""

from __future__ import annotations

from math import gcd

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import ErrorCode, RuleViolation
from node.ledger.model import AMOUNT_MINUTES_MAX
from node.runtime import Node
from node.services.units import STANDARD_MINUTE, NodeUnit, node_unit
from protocol.units import RATIO_TERM_MAX, UnitRatio, to_units
from tests.factories import ADMIN, add_members, balance, grant
from tests.support import directory_document

SH = "sh-pudong"


@st.composite
def ratios(draw: st.DrawFn) -> UnitRatio:
    units = draw(st.integers(1, RATIO_TERM_MAX))
    minutes = draw(st.integers(1, RATIO_TERM_MAX))
    common = gcd(units, minutes)
    return UnitRatio(units // common, minutes // common)


def test_the_unit_is_the_minute_until_the_directory_declares_another(sqlite_node: Node) -> None:
    assert node_unit(sqlite_node.federation, SH) == STANDARD_MINUTE
    sqlite_node.federation.accept(
        directory_document([SH, "nj-gulou"], local_units={SH: ("point", 1, 6)})
    )
    assert node_unit(sqlite_node.federation, SH) == NodeUnit("point", UnitRatio(1, 6))
    assert node_unit(sqlite_node.federation, "gz-nansha") == STANDARD_MINUTE  # not listed


@settings(max_examples=300)
@given(ratio=ratios(), minutes=st.integers(-AMOUNT_MINUTES_MAX, AMOUNT_MINUTES_MAX))
def test_presenting_minutes_loses_none(ratio: UnitRatio, minutes: int) -> None:
    shown = NodeUnit("u", ratio).present(minutes)
    assert shown["units"] % ratio.units == 0
    blocks = shown["units"] // ratio.units
    assert blocks * ratio.minutes + shown["remainder_minutes"] == minutes
    assert abs(shown["remainder_minutes"]) < ratio.minutes
    assert shown["remainder_minutes"] * minutes >= 0  # same sign as the balance


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ratio=ratios(), blocks=st.integers(0, 100), data=st.data())
def test_a_local_amount_moves_whole_blocks_and_the_payer_keeps_the_rest(
    sqlite_node: Node, ratio: UnitRatio, blocks: int, data: st.DataObject
) -> None:
    node = sqlite_node  # one node for every example: set up on the first
    if not node.members.list(ADMIN, after=None, limit=1):
        add_members(node, "alice", "bob")
        grant(node, "alice", AMOUNT_MINUTES_MAX)
    remainder = data.draw(st.integers(0, ratio.units - 1), label="remainder")
    amount_units = blocks * ratio.units + remainder
    unit = NodeUnit("u", ratio)
    payer_before, payee_before = balance(node, "alice"), balance(node, "bob")
    if blocks == 0:
        with pytest.raises(RuleViolation) as refused:
            unit.convert(amount_units)
        assert refused.value.code == ErrorCode.AMOUNT_BELOW_UNIT
        return
    local = unit.convert(amount_units)
    assert (local.amount_minutes, local.remainder_units) == (blocks * ratio.minutes, remainder)

    node.transfers.create(ADMIN, transfer_id=f"p{payer_before}", debtor="alice", creditor="bob",
                          amount_minutes=local.amount_minutes, memo="", units=local)

    assert payer_before - local.amount_minutes == balance(node, "alice")
    assert payee_before + local.amount_minutes == balance(node, "bob")
    back = to_units(local.amount_minutes, ratio)
    assert (back.amount_units, back.remainder_minutes) == (blocks * ratio.units, 0)

