"""A policy with several problems reports every one of them in one coded error, under the code
of the gravest (issue 15, "The IT person")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from node.errors import ConfigError, ErrorCode
from node.timebank.policy import load_policy, parse_policy


def refused(document: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_policy(document, source="city.toml")
    return err.value


def test_money_and_invalid_fields_are_reported_together() -> None:
    error = refused({"cash_payout": 1, "nonsense": 1, "unit": {"units": "x"}})
    assert error.code == ErrorCode.POLICY_MONEY_CONVERSION
    assert error.detail.startswith("city.toml (3 problems): hours are never convertible to "
                                   "money; refused field(s): cash_payout; ")
    assert "nonsense: Extra inputs are not permitted" in error.detail
    assert "unit.units: Input should be a valid integer" in error.detail
    assert error.detail.count("cash_payout") == 1  # not also as an unknown field


def test_bounds_and_contradictions_are_reported_together() -> None:
    error = refused({"unit": {"step_minutes": 7}, "expiry": {"years": 5},
                     "items": [{"code": "bath", "name": "Bath", "category": "daily_living"}] * 2})
    assert error.code == ErrorCode.POLICY_OUT_OF_BOUNDS
    assert "(3 problems)" in error.detail
    for words in ("unit.step_minutes", "expiry.", "items: codes must be unique"):
        assert words in error.detail, words


def test_one_problem_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text("[unit]\nstep_minutes = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert err.value.code == ErrorCode.POLICY_OUT_OF_BOUNDS
    assert err.value.detail.startswith(f"{path}: unit.step_minutes")
