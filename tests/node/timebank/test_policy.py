"""Policies as data: every example loads inside the federation's bounds; a policy outside them,
or one that would make hours money, is refused with a message naming the field and the bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from node.errors import ConfigError, ErrorCode
from node.runtime import Node
from node.timebank.bounds import NUMERIC_BOUNDS
from node.timebank.policy import (
    DEFAULT_POLICY,
    bound_breaches,
    load_policy,
    parse_policy,
)
from node.timebank.service import policy_for
from tests.node.timebank.conftest import EXAMPLES, PolicyNode

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.toml"))


def test_the_six_example_programmes_ship() -> None:
    assert [p.stem for p in EXAMPLE_FILES] == ["beijing-2022", "chengdu-pidu",
                                               "guangzhou-nansha", "nanjing-2019", "ruian",
                                               "shanghai-2026"]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_each_example_loads_inside_the_bounds(path: Path) -> None:
    policy = load_policy(path)
    assert bound_breaches(policy) == []
    assert policy.programme == path.stem.replace("-", "_")


def test_the_default_policy_is_inside_the_bounds_and_open() -> None:
    assert bound_breaches(DEFAULT_POLICY) == []
    assert DEFAULT_POLICY.transfers.recipients == "anyone"
    assert DEFAULT_POLICY.redeemer.min_age is None
    assert DEFAULT_POLICY.caps.station_subsidised_daily_minutes == 2_400
    assert policy_for("", Path("/nowhere")) is DEFAULT_POLICY


def refused(document: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_policy(document)
    return err.value


@pytest.mark.parametrize(("document", "field", "bound"), [
    ({"caps": {"balance_minutes": 1_000}}, "caps.balance_minutes", "6000..600000"),
    ({"caps": {"daily_minutes": 2_000}}, "caps.daily_minutes", "60..1440"),
    ({"caps": {"station_subsidised_daily_minutes": 20_000}},
     "caps.station_subsidised_daily_minutes", "60..14400"),
    ({"redeemer": {"min_age": 45}}, "redeemer.min_age", "50..80"),
    ({"provider": {"min_age": 10}}, "provider.min_age", "14..70"),
    ({"redeemer": {"min_balance_minutes": 40_000}}, "redeemer.min_balance_minutes",
     "60..30000"),
    ({"provider": {"min_age": 18, "guardian_min_age": 12}}, "provider.guardian_min_age",
     "14..17"),
    ({"unit": {"step_minutes": 7}}, "unit.step_minutes", "one of [1, 5, 10, 15, 20, 30, 60]"),
    ({"categories": [{"code": "health", "name": "Health"}]}, "categories", "five categories"),
])
def test_a_policy_outside_the_bounds_is_refused_naming_field_and_bound(
        document: dict[str, Any], field: str, bound: str) -> None:
    error = refused(document)
    assert error.code == ErrorCode.POLICY_OUT_OF_BOUNDS
    assert field in error.detail and bound in error.detail


def test_weights_and_prices_are_bounded_per_entry() -> None:
    categories = [c.model_dump() for c in DEFAULT_POLICY.categories]
    categories[2]["weight_percent"] = 400
    error = refused({"categories": categories})
    assert "categories[2].weight_percent = 400" in error.detail
    assert NUMERIC_BOUNDS["categories[].weight_percent"] == (50, 300)


@pytest.mark.parametrize("document", [
    {"money": {"yuan_per_hour": 20}},
    {"goods": {"allowed": True, "cash_out": True}},
    {"exchange_to_currency": True},
])
def test_hours_are_never_convertible_to_money(document: dict[str, Any]) -> None:
    error = refused(document)
    assert error.code == ErrorCode.POLICY_MONEY_CONVERSION
    assert "never convertible to money" in error.detail


@pytest.mark.parametrize(("document", "words"), [
    ({"unknown_rule": 1}, "unknown_rule"),
    ({"caps": {"balance_minutes": 9000.5}}, "caps.balance_minutes"),
    ({"pricing": "per_item"}, "at least one item"),
    ({"goods": {"items": [{"code": "rice", "name": "Rice", "price_minutes": 60}]}},
     "goods.allowed = false"),
    ({"redeemer": {"min_age": 60, "hardship_min_age": 65}}, "hardship_min_age"),
    ({"credit": {"classes": ["earned"]}}, "subsidised_services"),
    # The subsidy cap is never unset, and one visit (480 minutes at most here) always fits.
    ({"caps": {"station_subsidised_daily_minutes": None}},
     "caps.station_subsidised_daily_minutes"),
    ({"caps": {"station_subsidised_daily_minutes": 120}}, "could never be paid"),
    ({"caps": {"balance_minutes": 6_000}, "redeemer": {"min_balance_minutes": 6_060}},
     "no member could ever redeem"),
    ({"provider": {"guardian_min_age": 16}}, "guardian_min_age must be below"),
    ({"provider": {"min_age": 16, "guardian_min_age": 16}}, "guardian_min_age must be below"),
])
def test_inconsistent_or_malformed_policies_are_refused(document: dict[str, Any],
                                                        words: str) -> None:
    error = refused(document)
    assert error.code == ErrorCode.POLICY_INVALID
    assert words in error.detail


def test_expiry_is_refused_until_the_node_can_expire_hours() -> None:
    assert refused({"expiry": {"years": 5}}).code == ErrorCode.POLICY_UNSUPPORTED


def test_a_bad_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("programme = [", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(bad)
    assert err.value.code == ErrorCode.POLICY_INVALID
    with pytest.raises(ConfigError):
        load_policy(tmp_path / "missing.toml")


def test_a_node_runs_its_configured_policy(policy_node: PolicyNode) -> None:
    node: Node = policy_node("ruian")
    assert node.timebank.policy.programme == "ruian"
    assert node.members.unit().view() == {"name": "小时 hour", "units": 1, "minutes": 60}
