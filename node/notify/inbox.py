"""A member's notifications as the personal centre shows them: newest first, a page at a time,
rendered in both languages, and marked read by the member (or staff acting for her)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from node.access import AccessLogger, Principal, Role
from node.clock import Clock
from node.db.engine import Database
from node.db.schema import notifications
from node.errors import AuthError, ErrorCode, NotFound
from node.notify.guard import precheck, require_for_member
from node.notify.store import Stored
from node.notify.texts import Facts, Names, gather, render

PAGE_SIZE_MAX = 100
UNREAD_COUNT_MAX = 999  # the badge says "999+" past this; counting further costs for nothing


def view(note: Stored, names: Names, facts: Facts) -> dict[str, Any]:
    rendered = render(note, facts, names)
    return {"id": note.id, "kind": str(note.kind), "title": rendered.title,
            "text": rendered.text, "data": note.payload, "created_at_ms": note.created_at_ms,
            "read_at_ms": note.read_at_ms}


@dataclass
class Inbox:
    db: Database
    clock: Clock
    names: Names
    # Who read whose messages (node/privacy's access log, handed in by node/runtime.py); a
    # member's read of her own inbox is not logged, so her pages stay plain reads.
    log_access: AccessLogger | None = None

    def page(self, principal: Principal, local_id: str, *, before_id: int | None,
             limit: int) -> dict[str, Any]:
        """Newest first; `next_before_id` continues the list when there is more."""
        what = "read the notifications"
        limit = max(1, min(limit, PAGE_SIZE_MAX))
        query = (select(notifications).where(notifications.c.member_local_id == local_id)
                 .order_by(notifications.c.id.desc()).limit(limit + 1))
        if before_id is not None:
            query = query.where(notifications.c.id < before_id)
        logged = self.log_access is not None and not (
            principal.role == Role.MEMBER and principal.member_local_id == local_id)
        if not logged:
            precheck(principal, local_id, what)
        refused: AuthError | None = None
        with self.db.write() if logged else self.db.read() as conn:
            if logged:
                refused = self._logged_check(conn, principal, local_id, what)
            else:
                require_for_member(conn, principal, local_id, what)
            notes = [] if refused else [Stored.from_row(row) for row in conn.execute(query)]
            facts = gather(conn, notes[:limit])
            unread = conn.execute(select(func.count()).select_from(
                select(notifications.c.id).where(
                    notifications.c.member_local_id == local_id,
                    notifications.c.read_at_ms.is_(None)).limit(UNREAD_COUNT_MAX + 1)
                .subquery())).scalar_one()
        if refused is not None:
            raise refused  # after its access-log row is committed
        items = [view(note, self.names, facts) for note in notes[:limit]]
        return {"items": items, "unread": int(unread),
                "next_before_id": items[-1]["id"] if len(notes) > limit else None}

    def _logged_check(self, conn: Connection, principal: Principal, local_id: str,
                      what: str) -> AuthError | None:
        """Whether `principal` may read her inbox, logged either way (NotFound unlogged)."""
        assert self.log_access is not None
        try:
            require_for_member(conn, principal, local_id, what)
        except AuthError as refused:
            self.log_access(conn, member_local_id=local_id, principal=principal, change=False,
                            fields=["notifications"], allowed=False,
                            now_ms=self.clock.now_ms())
            return refused
        self.log_access(conn, member_local_id=local_id, principal=principal, change=False,
                        fields=["notifications"], allowed=True, now_ms=self.clock.now_ms())
        return None

    def mark_read(self, principal: Principal, local_id: str,
                  notification_id: int) -> dict[str, Any]:
        """Idempotent: a notification read before keeps the time it was first read."""
        what = "mark the notifications read"
        precheck(principal, local_id, what)
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            require_for_member(conn, principal, local_id, what)
            row = conn.execute(select(notifications).where(
                notifications.c.id == notification_id,
                notifications.c.member_local_id == local_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.NOTIFICATION_NOT_FOUND,
                               f"member {local_id} has no notification {notification_id}")
            note = Stored.from_row(row)
            if note.read_at_ms is None:
                conn.execute(update(notifications).where(
                    notifications.c.id == notification_id).values(read_at_ms=now_ms))
                note = replace(note, read_at_ms=now_ms)
            return view(note, self.names, gather(conn, [note]))
