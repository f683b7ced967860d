"""`hourbridge access-log export|verify|prune` on a real node folder made by `hourbridge init`:
rows exported as JSON lines and CSV for a period and a member, the chain verified, a tampered
row found (exit 1), pruning after 180 days."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from node.access import Principal, Role
from node.cli.main import app
from node.clock import FakeClock
from node.config import load_config
from node.db.schema import access_log
from node.errors import AuthError
from node.runtime import open_node
from tests.factories import ADMIN
from tests.node.cli.directory_support import CLEAN_ENV, hb

DAY_MS = 86_400_000
START_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z


def _folder(tmp_path: Path) -> Path:
    data = tmp_path / "nj"
    hb("init", "--node-id", "nj-gulou", "--region", "320106", "--url",
       "http://127.0.0.1:8712", "--data", data)
    clock = FakeClock(START_MS)
    node = open_node(load_config(data), clock=clock)
    try:
        for local_id, station in (("ann", "east"), ("bo", "west")):
            node.members.create(ADMIN, local_id=local_id, display_name=local_id.title(),
                                station=station, birth_year=1940)
        node.privacy.get(ADMIN, "ann")
        clock.advance(DAY_MS)
        with pytest.raises(AuthError):
            node.privacy.get(Principal(Role.STAFF, "t-east", station="east"), "bo")
    finally:
        node.close()
    return data


def test_export_verify_and_a_tampered_row(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    lines = hb("access-log", "export", "--data", data).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["member_local_id"], r["actor"], r["result"]) for r in rows] == [
        ("ann", "admin:test-admin", "allowed"), ("bo", "staff:east:t-east", "refused")]
    assert rows[1]["at"] == "2026-05-29T20:26:40.000+00:00"
    later = hb("access-log", "export", "--data", data, "--since", "2026-05-29",
               "--format", "csv").stdout
    table = list(csv.DictReader(io.StringIO(later)))
    assert [(r["seq"], r["member_local_id"]) for r in table] == [("2", "bo")]
    only_ann = hb("access-log", "export", "--data", data, "--member", "ann", "--until",
                  "2026-05-29T08:00:00+08:00").stdout.splitlines()
    assert len(only_ann) == 1
    exported = tmp_path / "audit.csv"
    exported.write_text("an older export, world-readable\n")
    exported.chmod(0o644)
    hb("access-log", "export", "--data", data, "--format", "csv", "--out", str(exported))
    assert exported.stat().st_mode & 0o777 == 0o600  # who read whose data stays private
    assert exported.read_text("utf-8").startswith("seq,")
    assert "verified: 2 row(s)" in hb("access-log", "verify", "--data", data).stdout
    node = open_node(load_config(data))
    try:
        with node.db.write() as conn:
            conn.execute(update(access_log).where(access_log.c.seq == 1).values(result="x"))
    finally:
        node.close()
    failed = CliRunner().invoke(app, ["access-log", "verify", "--data", str(data)],
                                env=CLEAN_ENV)
    assert failed.exit_code == 1
    assert "row 1 was changed after it was written" in failed.output
    # The system clock is months after START_MS: both rows are over 180 days old.
    assert "removed 2 row(s)" in hb("access-log", "prune", "--data", data).stdout
