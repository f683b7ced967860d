"""Federation policy: the parameters a directory sets, each inside bounds the standard fixes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from protocol.fields import AMOUNT_MINUTES_LIMIT, Model

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# (minimum, maximum) for every parameter. The schema in schemas/directory.schema.json repeats
# these numbers; tests/schemas checks the two agree.
POLICY_BOUNDS: dict[str, tuple[int, int]] = {
    "skew_ms": (1 * SECOND_MS, 10 * MINUTE_MS),
    "expiry_min_ms": (1 * MINUTE_MS, 1 * DAY_MS),
    "expiry_max_ms": (1 * MINUTE_MS, 7 * DAY_MS),
    "batch_size_max": (1, 1_000),
    "transaction_bytes_max": (4_096, 4 * 1024 * 1024),
    "amount_minutes_max": (60, AMOUNT_MINUTES_LIMIT),
    "net_debit_cap_per_partner_minutes_max": (0, 10_000_000),
    "net_debit_cap_overall_minutes_max": (0, 100_000_000),
    "key_overlap_min_ms": (1 * HOUR_MS, 30 * DAY_MS),
    "settlement_window_ms": (1 * HOUR_MS, 7 * DAY_MS),
}


def _bounded(name: str) -> object:
    low, high = POLICY_BOUNDS[name]
    return Field(ge=low, le=high)


class Policy(Model):
    skew_ms: Annotated[StrictInt, _bounded("skew_ms")]
    expiry_min_ms: Annotated[StrictInt, _bounded("expiry_min_ms")]
    expiry_max_ms: Annotated[StrictInt, _bounded("expiry_max_ms")]
    batch_size_max: Annotated[StrictInt, _bounded("batch_size_max")]
    transaction_bytes_max: Annotated[StrictInt, _bounded("transaction_bytes_max")]
    amount_minutes_max: Annotated[StrictInt, _bounded("amount_minutes_max")]
    net_debit_cap_per_partner_minutes_max: Annotated[
        StrictInt, _bounded("net_debit_cap_per_partner_minutes_max")
    ]
    net_debit_cap_overall_minutes_max: Annotated[
        StrictInt, _bounded("net_debit_cap_overall_minutes_max")
    ]
    key_overlap_min_ms: Annotated[StrictInt, _bounded("key_overlap_min_ms")]
    settlement_window_ms: Annotated[StrictInt, _bounded("settlement_window_ms")]

    @model_validator(mode="after")
    def _cross_field(self) -> Policy:
        # A transfer must outlive the skew twice over, or honest clocks could disagree on whether
        # it had expired before it was even sent.
        if self.expiry_min_ms < 2 * self.skew_ms:
            raise ValueError("expiry_min_ms must be at least 2 * skew_ms")
        if self.expiry_max_ms < self.expiry_min_ms:
            raise ValueError("expiry_max_ms must be at least expiry_min_ms")
        return self


DEFAULT_POLICY = Policy(
    skew_ms=2 * MINUTE_MS,
    expiry_min_ms=10 * MINUTE_MS,
    expiry_max_ms=1 * DAY_MS,
    batch_size_max=100,
    transaction_bytes_max=1024 * 1024,
    amount_minutes_max=6_000,
    net_debit_cap_per_partner_minutes_max=600_000,
    net_debit_cap_overall_minutes_max=3_000_000,
    key_overlap_min_ms=7 * DAY_MS,
    settlement_window_ms=1 * DAY_MS,
)
