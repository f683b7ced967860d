"""The donation pool is the node's account, never a member's (issue 12, finding 2): its id is
refused wherever a member id enters, donations land in the pool the node made, and a database
where a member was registered under the pool's id (before the rule) keeps the node from starting
until `hourbridge admin reclaim-system-id` returns the account to the node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from node.access import Principal, Role
from node.cli.main import app
from node.clock import FakeClock
from node.config import NodeConfig, save_config
from node.db.engine import Database
from node.db.migrate import MIGRATIONS_DIR, upgrade
from node.db.schema import api_tokens, members, node_info, system_accounts
from node.errors import ConfigError, Conflict, ErrorCode
from node.keyring import register_first_key
from node.ledger.journal import Ledger
from node.ledger.model import SYSTEM_ACCOUNTS, AccountKind, EntryKind, Posting, member_account
from node.ledger.system_ids import ESCROW_ACCOUNT, POOL_ACCOUNT, POOL_DISPLAY_NAME
from node.ledger.verify import verify_ledger
from node.runtime import Node, open_node
from protocol.credit import SPEND_ORDER, CreditClass
from tests.conftest import Api
from tests.factories import ADMIN, by_class
from tests.support import make_config, node_key

POOL = "hardship-pool"
MINUTE_MS = 60_000


def test_registration_refuses_the_pools_id_and_writes_nothing(api: Api) -> None:
    staff = api.headers(api.token("staff", Role.STAFF, station="east"))
    for headers in (staff, api.admin):
        refused = api.client.post("/api/v1/members", headers=headers, json={
            "local_id": POOL, "display_name": "Pool", "station": "east"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "local_id_reserved"
    row = api.node.members.get(ADMIN, POOL)  # the node's own, made at init
    assert (row.station, row.display_name) == (None, POOL_DISPLAY_NAME)
    with pytest.raises(Conflict) as err:
        api.node.tokens.create(role=Role.MEMBER, member_local_id=POOL)
    assert err.value.code == ErrorCode.LOCAL_ID_RESERVED
    listed = api.client.get("/api/v1/members", headers=api.admin).json()["items"]
    assert POOL not in [m["local_id"] for m in listed]


def test_donations_land_in_the_pool_and_station_staff_cannot_move_them(api: Api) -> None:
    staff = api.headers(api.token("staff", Role.STAFF, station="east"))
    made = api.client.post("/api/v1/members", headers=staff,
                           json={"local_id": "wang", "display_name": "Wang"})
    assert made.status_code == 201, made.text
    api.node.grants.create(ADMIN, grant_id="g1", local_id="wang", amount_minutes=90,
                           credit_class=CreditClass.GRANTED, reason="test")
    donated = api.client.post("/api/v1/donations", headers=staff, json={
        "id": "d1", "member": "wang", "amount_minutes": 90, "reason": "winter"})
    assert donated.status_code == 201, donated.text
    assert api.client.get("/api/v1/pool", headers=staff).json()["available_minutes"] == 90
    taken = api.client.post("/api/v1/transfers", headers=staff, json={
        "id": "t1", "from": f"{POOL}@sh-pudong", "to": "wang@sh-pudong", "amount_minutes": 90})
    assert (taken.status_code, taken.json()["code"]) == (403, "forbidden")
    assert by_class(api.node, POOL) == {"granted": 90}


# A database made before the rule ------------------------------------------------------------


def _old_database(tmp_path: Path, clock: FakeClock) -> tuple[NodeConfig, Database, Ledger]:
    """A node's database at revision 0006, initialised as `init` did then (no pool yet)."""
    config = make_config(tmp_path / "old", "sh-pudong")
    save_config(config)
    db = Database(config.resolved_database_url())
    alembic = Config()
    alembic.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as conn:
        alembic.attributes["connection"] = conn
        command.upgrade(alembic, "0006")
    register_first_key(db, node_key("sh-pudong"), key_file=config.key_file, now_ms=clock.now_ms())
    ledger = Ledger("sh-pudong")
    with db.write() as conn:
        conn.execute(insert(node_info).values(key="node_id", value="sh-pudong"))
        for kind in SYSTEM_ACCOUNTS:
            ledger.create_account(conn, code=str(kind), kind=kind, now_ms=clock.now_ms())
    return config, db, ledger


def _member(ledger: Ledger, conn: Connection, local_id: str, *, station: str | None,
            name: str, now_ms: int) -> None:
    conn.execute(insert(members).values(
        local_id=local_id, display_name=name, station=station, birth_year=None,
        status="active", created_at_ms=now_ms))
    ledger.create_account(conn, code=member_account(local_id), kind=AccountKind.MEMBER,
                          now_ms=now_ms, member_local_id=local_id, floor_minutes=0)


def _move(ledger: Ledger, conn: Connection, debtor: str, creditor: str, minutes: int,
          now_ms: int) -> int:
    return ledger.move(conn, debtor=member_account(debtor),
                       creditor=member_account(creditor), amount_minutes=minutes,
                       spend_order=SPEND_ORDER, kind=EntryKind.TRANSFER, ref="t",
                       actor="staff:east:tok", memo="", now_ms=now_ms).height


@pytest.fixture
def hijacked(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[NodeConfig, int]]:
    """Station staff registered `hardship-pool` (station east) on a fresh node; the time bank
    adopted it as the pool a minute later; a member donated 100 minutes to it and the same
    staff moved 60 of them to their own member `mallory`. Yields the config and the height of
    that theft."""
    config, db, ledger = _old_database(tmp_path, clock)
    now = clock.now_ms()
    with db.write() as conn:
        for local_id in ("alice", "mallory"):
            _member(ledger, conn, local_id, station="east", name=local_id.title(), now_ms=now)
        _member(ledger, conn, POOL, station="east", name="Pool", now_ms=now)
        conn.execute(insert(api_tokens).values(
            id="hijack", secret_hash="0" * 64, role="member", member_local_id=POOL,
            station=None, label="pool", created_at_ms=now))
        # The old ensure_accounts on first use: the escrow account, and the member adopted.
        ledger.create_account(conn, code=ESCROW_ACCOUNT, kind=AccountKind.PENDING,
                              now_ms=now + MINUTE_MS)
        ledger.post(conn, kind=EntryKind.GRANT, ref="g1", actor="admin:t", memo="",
                    now_ms=now, legs=(Posting("issuance", CreditClass.GRANTED, -100),
                                      Posting(member_account("alice"), CreditClass.GRANTED, 100)))
        _move(ledger, conn, "alice", POOL, 100, now)
        theft = _move(ledger, conn, POOL, "mallory", 60, now)
    upgrade(db)
    db.dispose()
    yield config, theft


def test_a_node_with_a_member_under_the_pools_id_refuses_to_start(
        hijacked: tuple[NodeConfig, int], clock: FakeClock) -> None:
    config, _ = hijacked
    with pytest.raises(ConfigError) as err:
        open_node(config, clock=clock, key=node_key("sh-pudong"))
    assert err.value.code == ErrorCode.SYSTEM_ACCOUNT_TAKEN
    assert "hourbridge admin reclaim-system-id hardship-pool --keep-as" in err.value.detail


def _reclaim(config: NodeConfig, *extra: str) -> str:
    result = CliRunner().invoke(app, ["admin", "reclaim-system-id", POOL, "--keep-as",
                                      "pool.impostor", "--data", config.data_dir, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_operator_command_returns_the_account_to_the_node(
        hijacked: tuple[NodeConfig, int], clock: FakeClock) -> None:
    config, theft = hijacked
    output = _reclaim(config)
    assert "pool.impostor" in output and str(theft) in output  # the theft, listed for review
    node = open_node(config, clock=clock, key=node_key("sh-pudong"))
    try:
        pool = node.members.get(ADMIN, POOL)
        assert (pool.station, pool.display_name) == (None, POOL_DISPLAY_NAME)
        kept = node.members.get(ADMIN, "pool.impostor")
        assert (kept.station, kept.display_name) == ("east", "Pool")
        # Hours stay where the ledger put them: no balance was edited.
        assert by_class(node, POOL) == {"granted": 40}
        assert by_class(node, "pool.impostor") == {}
        assert by_class(node, "mallory") == {"granted": 60}
        _assert_sound(node)
        with node.db.read() as conn:
            token = conn.execute(select(api_tokens).where(api_tokens.c.id == "hijack")).one()
        assert token.revoked_at_ms is not None
        # Station staff can no longer act for the pool; a new registration is refused.
        staff = Principal(Role.STAFF, "tok", station="east")
        with pytest.raises(Conflict):
            node.members.create(staff, local_id=POOL, display_name="x", station=None,
                                birth_year=None)
    finally:
        node.close()
    again = CliRunner().invoke(app, ["admin", "reclaim-system-id", POOL, "--keep-as", "other",
                                     "--data", config.data_dir])
    assert again.exit_code != 0  # nothing left to reclaim


def test_the_operator_may_move_the_members_own_hours_by_a_ledger_entry(
        hijacked: tuple[NodeConfig, int], clock: FakeClock) -> None:
    config, _ = hijacked
    assert "moved 15 minutes" in _reclaim(config, "--move-minutes", "15")
    node = open_node(config, clock=clock, key=node_key("sh-pudong"))
    try:
        assert by_class(node, POOL) == {"granted": 25}
        assert by_class(node, "pool.impostor") == {"granted": 15}
        _assert_sound(node)
    finally:
        node.close()


def test_a_pool_the_node_made_before_the_rule_is_recognised(tmp_path: Path,
                                                            clock: FakeClock) -> None:
    config, db, ledger = _old_database(tmp_path, clock)
    now = clock.now_ms()
    with db.write() as conn:  # what the old ensure_accounts wrote, in one call
        ledger.create_account(conn, code=ESCROW_ACCOUNT, kind=AccountKind.PENDING, now_ms=now)
        _member(ledger, conn, POOL, station=None, name=POOL_DISPLAY_NAME, now_ms=now)
    upgrade(db)
    with db.read() as conn:
        marked = set(conn.execute(select(system_accounts.c.code)).scalars())
    db.dispose()
    assert {POOL_ACCOUNT, ESCROW_ACCOUNT, "issuance"} <= marked
    open_node(config, clock=clock, key=node_key("sh-pudong")).close()


def test_a_database_without_a_pool_gets_one_at_start(tmp_path: Path, clock: FakeClock) -> None:
    config, db, _ = _old_database(tmp_path, clock)
    upgrade(db)
    db.dispose()
    node = open_node(config, clock=clock, key=node_key("sh-pudong"))
    try:
        assert node.members.get(ADMIN, POOL).display_name == POOL_DISPLAY_NAME
        with node.db.read() as conn:
            marked = set(conn.execute(select(system_accounts.c.code)).scalars())
        assert {POOL_ACCOUNT, ESCROW_ACCOUNT} <= marked
    finally:
        node.close()


def _assert_sound(node: Node) -> None:
    with node.db.read() as conn:
        result = verify_ledger(conn, node_id=node.config.node_id, verify_key=None)
    assert result.ok, result.problems
