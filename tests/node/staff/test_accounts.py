"""Staff accounts: who may create them, what a password must be, signing in with its lockout
and per-client limit, and disabling (which ends the account's sessions)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.clock import FakeClock
from node.db.schema import tb_audit
from node.errors import AuthError, ErrorCode, NodeError
from node.people.errors import SignInLocked, SignInRefused, TooManyAttempts
from node.people.throttle import CLIENT_FAILURES_MAX, LOCK_AFTER_FAILURES, LOCK_MS
from node.runtime import Node
from node.staff.passwords import check_password

ADMIN = Principal(Role.ADMIN, "t-admin")
PASSWORD = "ferry-Lantern-42"


@pytest.fixture
def node(sqlite_node: Node) -> Node:
    sqlite_node.stations.create(ADMIN, station_id="lujiazui", name="陆家嘴服务站", address="",
                                district_code="310115")
    sqlite_node.staff.create(ADMIN, username="zhou.min", role=Role.STAFF, station="lujiazui",
                             password=PASSWORD)
    return sqlite_node


def _code(call: object, *args: object, **kwargs: object) -> str:
    assert callable(call)
    with pytest.raises(NodeError) as refused:
        call(*args, **kwargs)
    return str(refused.value.code)


@pytest.mark.parametrize("password", [
    "short-1", "aaaaaaaaaaaa", "abababababab", "1234567890", "password1", "qwerty123",
    "zhou.min-2024", " leading-space1", "x" * 65])
def test_weak_passwords_are_refused(password: str) -> None:
    assert _code(check_password, password, username="zhou.min") == ErrorCode.PASSWORD_TOO_WEAK


def test_creating_accounts_needs_an_admin_and_a_registered_station(node: Node) -> None:
    staff = Principal(Role.STAFF, "t", station="lujiazui")
    create = node.staff.create
    assert _code(create, staff, username="a.b", role=Role.STAFF, station="lujiazui",
                 password=PASSWORD) == ErrorCode.FORBIDDEN
    assert _code(create, ADMIN, username="desk", role=Role.STAFF, station="huamu",
                 password=PASSWORD) == ErrorCode.STATION_UNKNOWN
    assert _code(create, ADMIN, username="desk", role=Role.STAFF, station=None,
                 password=PASSWORD) == ErrorCode.STATION_UNKNOWN
    assert _code(create, ADMIN, username="boss", role=Role.ADMIN, station="lujiazui",
                 password=PASSWORD) == ErrorCode.VALIDATION_FAILED
    assert _code(create, ADMIN, username="Zhou Min", role=Role.STAFF, station="lujiazui",
                 password=PASSWORD) == ErrorCode.VALIDATION_FAILED
    assert _code(create, ADMIN, username="zhou.min", role=Role.STAFF, station="lujiazui",
                 password=PASSWORD) == ErrorCode.STAFF_ACCOUNT_EXISTS
    boss = create(ADMIN, username="boss", role=Role.ADMIN, station=None, password=PASSWORD)
    assert boss.role == Role.ADMIN and not boss.disabled
    assert [a.username for a in node.staff.list(ADMIN)] == ["boss", "zhou.min"]


def test_signing_in_acts_as_the_accounts_role_and_station(node: Node) -> None:
    signed = node.staff_sign_in.sign_in(username="Zhou.Min", password=PASSWORD, client="c1")
    assert signed.principal.role == Role.STAFF and signed.principal.station == "lujiazui"
    assert signed.principal.actor == "staff:lujiazui:acct.zhou.min"
    assert node.staff_sign_in.principal("zhou.min", signed.version) == signed.principal


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(node: Node,
                                                                   clock: FakeClock) -> None:
    sign_in = node.staff_sign_in.sign_in
    for _ in range(LOCK_AFTER_FAILURES - 1):
        with pytest.raises(SignInRefused):
            sign_in(username="zhou.min", password="wrong-password-1", client="c1")
    with pytest.raises(SignInLocked) as locked:
        sign_in(username="zhou.min", password="wrong-password-1", client="c1")
    assert locked.value.retry_after_s == LOCK_MS // 1000
    with pytest.raises(SignInLocked):  # the right password too, while locked
        sign_in(username="zhou.min", password=PASSWORD, client="c1")
    clock.advance(LOCK_MS)
    assert sign_in(username="zhou.min", password=PASSWORD, client="c1").username == "zhou.min"
    # An unknown username answers and locks the same way.
    for _ in range(LOCK_AFTER_FAILURES - 1):
        with pytest.raises(SignInRefused):
            sign_in(username="nobody", password=PASSWORD, client="c2")
    with pytest.raises(SignInLocked):
        sign_in(username="nobody", password=PASSWORD, client="c2")
    with node.db.read() as conn:
        actions = conn.execute(select(tb_audit.c.action).where(
            tb_audit.c.subject == "staff:zhou.min")).scalars().all()
    assert actions.count("staff_sign_in_locked") == 1 and "staff_signed_in" in actions


def test_one_client_is_limited_across_usernames(node: Node) -> None:
    for number in range(CLIENT_FAILURES_MAX):
        with pytest.raises((SignInRefused, SignInLocked)):
            node.staff_sign_in.sign_in(username=f"guess{number}", password="x", client="c9")
    with pytest.raises(TooManyAttempts):
        node.staff_sign_in.sign_in(username="zhou.min", password=PASSWORD, client="c9")


def test_disabling_ends_sessions_and_refuses_sign_in_until_re_enabled(node: Node) -> None:
    signed = node.staff_sign_in.sign_in(username="zhou.min", password=PASSWORD, client="c1")
    node.staff.set_disabled(ADMIN, "zhou.min", disabled=True)
    with pytest.raises(AuthError) as ended:
        node.staff_sign_in.principal("zhou.min", signed.version)
    assert ended.value.code == ErrorCode.UNAUTHENTICATED
    with pytest.raises(SignInRefused):
        node.staff_sign_in.sign_in(username="zhou.min", password=PASSWORD, client="c1")
    node.staff.set_disabled(ADMIN, "zhou.min", disabled=False)
    with pytest.raises(AuthError):  # re-enabling does not revive the old session
        node.staff_sign_in.principal("zhou.min", signed.version)
    again = node.staff_sign_in.sign_in(username="zhou.min", password=PASSWORD, client="c1")
    assert again.version == signed.version + 2
    me = Principal(Role.ADMIN, "acct.boss")
    assert _code(node.staff.set_disabled, me, "boss", disabled=True) == ErrorCode.FORBIDDEN
    with node.db.read() as conn:
        actions = conn.execute(select(tb_audit.c.action).where(
            tb_audit.c.subject == "staff:zhou.min").order_by(tb_audit.c.id)).scalars().all()
    assert [a for a in actions if not a.startswith("staff_sign")] == [
        "staff_created", "staff_disabled", "staff_enabled"]
