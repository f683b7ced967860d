"""Credit classes: where hours came from, which decides what they may be used for."""

from __future__ import annotations

from enum import StrEnum


class CreditClass(StrEnum):
    EARNED = "earned"  # banked by serving others
    GRANTED = "granted"  # granted by the node to a vetted needy member
    SPONSORED = "sponsored"  # funded by a sponsor
    DONATED = "donated"  # received from a donation pool
    GROUP_EARNED = "group_earned"  # earned by a team; usable for donation only


# Order in which a payment or transfer spends a member's classes. Subsidies go first so that a
# member keeps the hours they earned themselves, which are the ones they may carry anywhere.
# Group-earned hours are absent: they may only be donated.
SPEND_ORDER: tuple[CreditClass, ...] = (
    CreditClass.GRANTED,
    CreditClass.SPONSORED,
    CreditClass.DONATED,
    CreditClass.EARNED,
)
