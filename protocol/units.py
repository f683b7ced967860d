"""Local units at declared integer ratios to the standard minute.

A node may show its members points, time coins or half hours, but every ledger amount and every
message states integer standard minutes. A ratio says `units` local units are worth `minutes`
minutes, in lowest terms. Conversion moves whole ratio blocks only; what is left over is returned
as a remainder that stays where it was (in the payer's account), so no conversion ever creates
or destroys a fraction of a minute and no rounding direction has to be argued about.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from protocol.errors import UnitError
from protocol.reasons import ReasonCode

RATIO_TERM_MAX = 10_000
LOCAL_AMOUNT_MAX = 2**53 - 1


@dataclass(frozen=True)
class UnitRatio:
    units: int
    minutes: int

    def __post_init__(self) -> None:
        for name, term in (("units", self.units), ("minutes", self.minutes)):
            if isinstance(term, bool) or not isinstance(term, int):
                raise UnitError(ReasonCode.UNIT_RATIO_INVALID, f"{name} must be an integer")
            if not 1 <= term <= RATIO_TERM_MAX:
                raise UnitError(
                    ReasonCode.UNIT_RATIO_INVALID, f"{name}={term} outside 1..{RATIO_TERM_MAX}"
                )
        if gcd(self.units, self.minutes) != 1:
            raise UnitError(
                ReasonCode.UNIT_RATIO_INVALID,
                f"{self.units}:{self.minutes} is not in lowest terms",
            )


@dataclass(frozen=True)
class ToMinutes:
    amount_minutes: int
    remainder_units: int


@dataclass(frozen=True)
class ToUnits:
    amount_units: int
    remainder_minutes: int


def _check_amount(amount: int, name: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise UnitError(ReasonCode.AMOUNT_OUT_OF_BOUNDS, f"{name} must be an integer")
    if not 0 <= amount <= LOCAL_AMOUNT_MAX:
        raise UnitError(ReasonCode.AMOUNT_OUT_OF_BOUNDS, f"{name}={amount} outside 0..2**53-1")


def to_minutes(amount_units: int, ratio: UnitRatio) -> ToMinutes:
    """Convert local units to whole standard minutes; the remainder is less than `ratio.units`."""
    _check_amount(amount_units, "amount_units")
    blocks, remainder_units = divmod(amount_units, ratio.units)
    return ToMinutes(amount_minutes=blocks * ratio.minutes, remainder_units=remainder_units)


def to_units(amount_minutes: int, ratio: UnitRatio) -> ToUnits:
    """Convert standard minutes to whole local units; the remainder is less than `ratio.minutes`."""
    _check_amount(amount_minutes, "amount_minutes")
    blocks, remainder_minutes = divmod(amount_minutes, ratio.minutes)
    return ToUnits(amount_units=blocks * ratio.units, remainder_minutes=remainder_minutes)
