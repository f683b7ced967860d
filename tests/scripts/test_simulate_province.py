"""scripts/simulate_province.py at a small size: its province gives every pair of cities a route
of at most 3 links with the provincial hub between districts, a run ends matched and conserved,
and a lost minute or an unmatched window makes it fail."""

from __future__ import annotations

import argparse
import subprocess
import sys
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import simulate_province as province  # noqa: E402

from node.db.schema import balances  # noqa: E402
from protocol.directory import decode_directory  # noqa: E402
from protocol.links import decode_links, sign_links  # noqa: E402
from protocol.routes import route  # noqa: E402
from tests.support import AUTHORITY, START_MS, directory_document  # noqa: E402


def test_every_pair_of_a_hundred_cities_has_a_route_and_districts_meet_at_the_province() -> None:
    cities = province.city_ids(100)
    node_ids = [*cities, *province.HUBS]
    directory = directory_document(node_ids)
    body = {"hops_max": province.HOPS_MAX, "links": [
        {"a": a, "b": b, "a_cap_minutes": 10, "b_cap_minutes": 10}
        for a, b in province.topology(cities)]}
    link_map = decode_links(sign_links(body, authority=AUTHORITY,
                                       directory=decode_directory(directory), serial=1,
                                       issued_at_ms=START_MS))
    active = frozenset(node_ids)
    lengths: dict[int, int] = {}
    for debtor, creditor in permutations(cities, 2):
        path = route(link_map, debtor, creditor, active=active)
        assert path is not None and len(path) - 1 <= 3, (debtor, creditor, path)
        lengths[len(path) - 1] = lengths.get(len(path) - 1, 0) + 1
        apart = province.district_of(cities.index(debtor), 100) != province.district_of(
            cities.index(creditor), 100)
        if apart and len(path) > 2:
            assert province.PROVINCE in path, path
    assert set(lengths) == {1, 2, 3}
    assert len(province.topology(cities)) < 100 * 99 // 2 // 20


def test_a_small_province_ends_matched_and_conserved() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "simulate_province.py"), "--cities", "8",
         "--transfers", "20", "--batch", "10"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "RESULT: every window matched, every minute conserved" in done.stdout
    assert "20 sent, 20 committed" in done.stdout
    for label, links, path in (
            ("a direct pair", 1, "city-001 - city-002"),
            ("between districts", 2, "city-001 - hub-province - city-003"),
            ("from district 4", 3, "city-008 - hub-d4 - hub-province - city-001")):
        assert f"| {label} | {links} | {path} | committed |" in done.stdout, done.stdout


def test_a_lost_minute_and_an_unmatched_window_fail_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_drive = province.drive

    def drive_then_lose_a_minute(fed: Any) -> bool:
        settled = real_drive(fed)
        node = fed.nodes["city-001"]
        with node.db.write() as conn:
            changed = conn.execute(update(balances).where(balances.c.account_code == "member:m0")
                                   .values(balance_minutes=balances.c.balance_minutes - 1))
            assert changed.rowcount == 1
        return settled

    def reconcile_with_one_mismatch(fed: Any) -> dict[tuple[str, str], dict[str, Any]]:
        views = province.Federation.reconcile(fed)
        first = sorted(views)[0]
        return {**views, first: {**views[first], "state": "mismatch"}}

    monkeypatch.setattr(province, "drive", drive_then_lose_a_minute)
    monkeypatch.setattr(province.ProvinceFederation, "reconcile", reconcile_with_one_mismatch)
    args = argparse.Namespace(cities=8, transfers=4, batch=4, members=1, seed=3)
    outcome = province.simulate(args, tmp_path)
    assert not outcome.ok()
    assert any(p.startswith("windows not matched") for p in outcome.problems), outcome.problems
    assert any(p.startswith("audit:") for p in outcome.problems), outcome.problems
    assert any(p.startswith("members held") for p in outcome.problems), outcome.problems
