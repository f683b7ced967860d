"""The node's local unit (docs/standard.md §4): how members see and ask for amounts.

The ledger and every message stay in integer standard minutes. A node MAY show its members a
local unit declared in the federation directory as a ratio; conversion goes through
protocol.units only, moves whole ratio blocks and leaves the remainder where it was. No float.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.errors import ErrorCode, RuleViolation
from node.federation import FederationService
from node.ledger.model import AMOUNT_MINUTES_MAX
from protocol.units import UnitRatio, to_minutes, to_units

MINUTE_NAME = "minute"


@dataclass(frozen=True)
class LocalAmount:
    """A requested amount of local units: what moves (minutes) and what stays with the payer."""

    amount_units: int
    amount_minutes: int
    remainder_units: int
    ratio: UnitRatio

    def view(self) -> dict[str, int]:
        return {"amount_units": self.amount_units, "remainder_units": self.remainder_units}

    def hash_fields(self) -> dict[str, Any]:
        """What the idempotency hash adds: the units asked for and the ratio that converted
        them, so a units request never matches a minutes request with the same minutes, and a
        retry after the node changed its unit is refused rather than answered with old numbers."""
        return {
            "amount_units": self.amount_units,
            "unit": {"units": self.ratio.units, "minutes": self.ratio.minutes},
        }


@dataclass(frozen=True)
class NodeUnit:
    name: str
    ratio: UnitRatio

    def view(self) -> dict[str, Any]:
        return {"name": self.name, "units": self.ratio.units, "minutes": self.ratio.minutes}

    def present(self, minutes: int) -> dict[str, int]:
        """Minutes as whole local units plus the minutes that make no whole unit. A negative
        balance (an overdraft) is shown with the same rule, both parts negative."""
        sign = -1 if minutes < 0 else 1
        shown = to_units(sign * minutes, self.ratio)
        return {"units": sign * shown.amount_units,
                "remainder_minutes": sign * shown.remainder_minutes}

    def convert(self, amount_units: int) -> LocalAmount:
        """Local units asked for → the minutes that move; refuse what moves nothing."""
        moved = to_minutes(amount_units, self.ratio)
        if moved.amount_minutes == 0:
            raise RuleViolation(
                ErrorCode.AMOUNT_BELOW_UNIT,
                f"{amount_units} {self.name} is less than one block of {self.ratio.units} "
                f"{self.name} = {self.ratio.minutes} minutes; nothing would move",
            )
        if moved.amount_minutes > AMOUNT_MINUTES_MAX:
            raise RuleViolation(
                ErrorCode.AMOUNT_OUT_OF_RANGE,
                f"{amount_units} {self.name} is {moved.amount_minutes} minutes, more than "
                f"{AMOUNT_MINUTES_MAX} per transfer",
            )
        return LocalAmount(amount_units, moved.amount_minutes, moved.remainder_units, self.ratio)


STANDARD_MINUTE = NodeUnit(MINUTE_NAME, UnitRatio(1, 1))


def node_unit(federation: FederationService, node_id: str,
              fallback: NodeUnit = STANDARD_MINUTE) -> NodeUnit:
    """The unit this node declared in the directory it holds; `fallback` (the unit of the node's
    policy, the standard minute by default) when it holds none or is not listed in it. The
    directory wins: it is what peers and the regulator read."""
    directory = federation.current()
    entry = directory.node(node_id) if directory is not None else None
    if entry is None:
        return fallback
    return NodeUnit(entry.local_unit.name, entry.local_unit.ratio())
