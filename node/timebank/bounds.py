"""The federation's bounds on a node's policy (docs/timebank.md, "Federation bounds").

Each city writes its own rules, but only inside these: a member who moves or whose hours travel
must not meet a rule no other node would recognise. `check_bounds` returns every breach as data
(field path, value, bound), so an operator sees all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Steps a node may record service time in: divisors of an hour, so steps line up with hours.
STEP_MINUTES_ALLOWED = (1, 5, 10, 15, 20, 30, 60)

# (minimum, maximum), inclusive. A field set to null (no cap, no age limit) is not bounded.
NUMERIC_BOUNDS: dict[str, tuple[int, int]] = {
    "categories[].weight_percent": (50, 300),
    "items[].price_minutes": (5, 480),
    "goods.items[].price_minutes": (5, 6_000),
    "caps.daily_minutes": (60, 1_440),
    "caps.balance_minutes": (6_000, 600_000),
    # A station's subsidised visits per local day: one hour up to 240 hours.
    "caps.station_subsidised_daily_minutes": (60, 14_400),
    "provider.min_age": (14, 70),
    "provider.max_age": (50, 90),
    "redeemer.min_age": (50, 80),
    "redeemer.hardship_min_age": (40, 80),
    # The redeem_min_balance rule: one hour up to 500 hours of earned service before a first
    # redemption (Guangzhou asks 100 hours).
    "redeemer.min_balance_minutes": (60, 30_000),
    # A volunteer under provider.min_age with a guardian: from 14, the youngest provider age.
    "provider.guardian_min_age": (14, 17),
    "transfers.giver_min_age": (16, 80),
    "service.duration_max_minutes": (30, 720),
    "service.utc_offset_minutes": (-720, 840),
}

# The standard's five categories: every node offers at least these, so a request made for a
# parent in another city names something that node understands.
STANDARD_CATEGORIES = (
    "daily_living",
    "health",
    "home_safety",
    "education_recreation",
    "professional",
)

# Words that would make hours money. Hours are never convertible to money (regulators have
# warned against schemes that sell time coins for cash): a policy naming any of these in a key
# is refused before anything else is read.
MONEY_WORDS = ("money", "cash", "currency", "yuan", "rmb", "cny", "fiat", "sell", "payout")


@dataclass(frozen=True)
class Breach:
    field: str
    value: object
    bound: str

    def message(self) -> str:
        return f"{self.field} = {self.value!r} is outside the federation bound {self.bound}"


def money_keys(document: Any, path: str = "") -> list[str]:
    """Every key path in a raw policy document whose name speaks of money."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            here = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in MONEY_WORDS):
                found.append(here)
            found += money_keys(value, here)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += money_keys(value, f"{path}[{index}]")
    return found


def numeric(field: str, value: int | None, *, shown: str | None = None) -> list[Breach]:
    if value is None:
        return []
    low, high = NUMERIC_BOUNDS[field]
    if low <= value <= high:
        return []
    return [Breach(shown or field, value, f"{low}..{high}")]
