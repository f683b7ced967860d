from __future__ import annotations

import pytest
from pydantic import ValidationError

from protocol.policy import DEFAULT_POLICY, POLICY_BOUNDS, Policy


def test_default_policy_is_inside_the_bounds() -> None:
    for name, (low, high) in POLICY_BOUNDS.items():
        assert low <= getattr(DEFAULT_POLICY, name) <= high


@pytest.mark.parametrize("name", sorted(POLICY_BOUNDS))
def test_each_bound_is_enforced(name: str) -> None:
    low, high = POLICY_BOUNDS[name]
    for value in (low - 1, high + 1):
        with pytest.raises(ValidationError):
            Policy.model_validate({**DEFAULT_POLICY.model_dump(), name: value})


def test_cross_field_rules() -> None:
    base = DEFAULT_POLICY.model_dump()
    with pytest.raises(ValidationError, match="2 \\* skew_ms"):
        Policy.model_validate({**base, "skew_ms": 600_000, "expiry_min_ms": 600_000})
    with pytest.raises(ValidationError, match="at least expiry_min_ms"):
        Policy.model_validate({**base, "expiry_max_ms": base["expiry_min_ms"] - 1})


def test_floats_are_refused() -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate({**DEFAULT_POLICY.model_dump(), "skew_ms": 120_000.0})
