from __future__ import annotations

from math import gcd

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.errors import UnitError
from protocol.reasons import ReasonCode
from protocol.units import LOCAL_AMOUNT_MAX, RATIO_TERM_MAX, UnitRatio, to_minutes, to_units

HALF_HOUR = UnitRatio(units=1, minutes=30)
POINTS = UnitRatio(units=10, minutes=1)
ODD = UnitRatio(units=3, minutes=2)


def test_half_hour_units() -> None:
    result = to_minutes(3, HALF_HOUR)
    assert (result.amount_minutes, result.remainder_units) == (90, 0)
    back = to_units(95, HALF_HOUR)
    assert (back.amount_units, back.remainder_minutes) == (3, 5)


def test_finer_units_leave_a_remainder_that_stays_with_the_payer() -> None:
    result = to_minutes(25, POINTS)
    assert (result.amount_minutes, result.remainder_units) == (2, 5)


def test_ratio_converts_whole_blocks_only() -> None:
    # 3 units = 2 minutes: 7 units are two whole blocks (6 units = 4 minutes) and 1 unit left.
    result = to_minutes(7, ODD)
    assert (result.amount_minutes, result.remainder_units) == (4, 1)
    back = to_units(5, ODD)
    assert (back.amount_units, back.remainder_minutes) == (6, 1)


@pytest.mark.parametrize(
    ("units", "minutes"),
    [(0, 1), (1, 0), (RATIO_TERM_MAX + 1, 1), (2, 4), (True, 1), (1, "60")],
)
def test_invalid_ratios(units: object, minutes: object) -> None:
    with pytest.raises(UnitError) as refused:
        UnitRatio(units=units, minutes=minutes)  # type: ignore[arg-type]
    assert refused.value.code is ReasonCode.UNIT_RATIO_INVALID


@pytest.mark.parametrize("amount", [-1, LOCAL_AMOUNT_MAX + 1, 1.0, False])
def test_invalid_amounts(amount: object) -> None:
    for convert in (to_minutes, to_units):
        with pytest.raises(UnitError) as refused:
            convert(amount, HALF_HOUR)  # type: ignore[arg-type]
        assert refused.value.code is ReasonCode.AMOUNT_OUT_OF_BOUNDS


@st.composite
def coprime_ratios(draw: st.DrawFn) -> UnitRatio:
    units = draw(st.integers(1, RATIO_TERM_MAX))
    minutes = draw(st.integers(1, RATIO_TERM_MAX).filter(lambda m: gcd(units, m) == 1))
    return UnitRatio(units=units, minutes=minutes)


@given(ratio=coprime_ratios(), amount=st.integers(0, 2**40))
def test_conversion_conserves_value_exactly(ratio: UnitRatio, amount: int) -> None:
    # Value in "1/units minutes" is conserved: converted part plus remainder equals the input.
    forward = to_minutes(amount, ratio)
    assert forward.amount_minutes * ratio.units + forward.remainder_units * ratio.minutes == (
        amount * ratio.minutes
    )
    assert 0 <= forward.remainder_units < ratio.units
    backward = to_units(amount, ratio)
    assert backward.amount_units * ratio.minutes + backward.remainder_minutes * ratio.units == (
        amount * ratio.units
    )
    assert 0 <= backward.remainder_minutes < ratio.minutes
    # Converting the converted part back is exact: no rounding anywhere.
    assert to_units(forward.amount_minutes, ratio).remainder_minutes == 0
