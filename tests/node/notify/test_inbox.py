"""A member's notifications: newest first a page at a time, an unread count, marking read, and
who may see them (the member, her station's staff, an admin; never another member or the
regulator)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.db.schema import access_log
from node.errors import AuthError, ErrorCode, InvariantViolation, NotFound
from node.notify.store import enqueue
from node.runtime import Node
from node.states import NotificationKind
from tests.factories import ADMIN
from tests.node.api.support import db_digest
from tests.node.notify.support import take
from tests.node.timebank.conftest import STAFF, member, people

WEST = Principal(Role.STAFF, "staff-west", station="west")
REGULATOR = Principal(Role.REGULATOR, "regulator")


@pytest.fixture
def town(node: Node) -> Node:
    """On SQLite, and on PostgreSQL when HOURBRIDGE_TEST_PG_URL names a server."""
    people(node, ("gran", 1940), ("vol", 1990))
    for number in range(1, 6):
        take(node, f"r{number}")
    return node


def test_pages_walk_every_notification_newest_first(town: Node) -> None:
    inbox = town.notifications.inbox
    seen, before = [], None
    while True:
        page = inbox.page(member("gran"), "gran", before_id=before, limit=2)
        assert page["unread"] == 5
        seen += [item["data"]["request"] for item in page["items"]]
        before = page["next_before_id"]
        if before is None:
            break
    assert seen == ["r5", "r4", "r3", "r2", "r1"]


def test_marking_read_is_idempotent_and_keeps_the_first_time(town: Node) -> None:
    inbox = town.notifications.inbox
    first = inbox.mark_read(member("gran"), "gran", 2)
    assert first["read_at_ms"] is not None and first["text"]["zh"].startswith("Vol 已接下")
    before = db_digest(town)
    assert inbox.mark_read(STAFF, "gran", 2)["read_at_ms"] == first["read_at_ms"]
    assert db_digest(town) == before
    assert inbox.page(ADMIN, "gran", before_id=None, limit=1)["unread"] == 4


@pytest.mark.parametrize("principal", [member("vol"), WEST, REGULATOR])
def test_others_are_refused_and_nothing_changes(town: Node, principal: Principal) -> None:
    """Refused, and nothing changes but the access log's row of the refused read."""
    inbox = town.notifications.inbox
    before = db_digest(town)
    with pytest.raises(AuthError) as refused:
        inbox.page(principal, "gran", before_id=None, limit=10)
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(AuthError):
        inbox.mark_read(principal, "gran", 1)
    after = db_digest(town)
    assert after.pop("access_log") != before.pop("access_log")
    after.pop("access_log_head"), before.pop("access_log_head")
    assert after == before
    with town.db.read() as conn:
        rows = conn.execute(select(access_log.c.actor, access_log.c.fields,
                                   access_log.c.result)).all()
    assert [tuple(row) for row in rows] == [(principal.actor, "notifications", "refused")]


def test_a_member_learns_nothing_about_ids_that_do_not_exist(town: Node) -> None:
    with pytest.raises(AuthError):
        town.notifications.inbox.page(member("vol"), "nobody", before_id=None, limit=10)
    with pytest.raises(NotFound) as missing:
        town.notifications.inbox.page(ADMIN, "nobody", before_id=None, limit=10)
    assert missing.value.code == ErrorCode.MEMBER_NOT_FOUND


def test_another_members_notification_is_not_found(town: Node) -> None:
    """vol may mark only her own: gran's notification 1 is not hers to see or to mark."""
    with pytest.raises(NotFound) as missing:
        town.notifications.inbox.mark_read(member("vol"), "vol", 1)
    assert missing.value.code == ErrorCode.NOTIFICATION_NOT_FOUND


@pytest.mark.parametrize("payload", [
    {"name": "Wang Xiuying"},  # a space: not an id (names never go in a payload)
    {"minutes": 1.5},
    {"flag": True},
    {},
    {"Bad-Key": 1},
])
def test_a_payload_holds_ids_and_integers_only(town: Node, payload: dict[str, object]) -> None:
    with pytest.raises(InvariantViolation), town.db.write() as conn:
        enqueue(conn, member_local_id="gran", kind=NotificationKind.HOURS_RECEIVED,
                payload=payload, now_ms=0)  # type: ignore[arg-type]
