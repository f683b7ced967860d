"""The delivery tick, run by the scheduler every `notify_interval_s` (node/scheduler.py):

1. plan    up to `batch_size_max` notifications not planned yet get one pending delivery per
           configured channel the member has an address for (none if too old: PLAN_AGE_MAX_MS).
2. claim   per channel, each due delivery in turn: attempts + 1, and the next attempt scheduled
           by the backoff, in one write. The schedule is the claim's lease: a tick that dies
           mid-send leaves the delivery to be tried again then, never lost.
3. send    outside any transaction (a network call cannot be in one).
4. record  delivered; or, after the failed attempt, pending again (its next attempt is already
           set) or failed once `attempts_max` attempts failed. A failure also ends this tick
           for that channel: a receiver that is down is not hammered with the rest of the batch.

Each (notification, channel) is sent once when nothing fails, and at least once when something
does: a crash between 3 and 4 sends it again with the same idempotency key.

Every channel takes the notification outside the node (a city's SMS or WeChat gateway behind
the webhook, a mail server), so a member's notifications are planned for her channels, and each
attempt is sent, only while she consents to `notices` (node/privacy/consents.py, asked through
`may_notify`, which node/runtime.py passes in: node/privacy sits above this layer). Without it
her notifications stay in her inbox on the node; an attempt whose consent was withdrawn after
planning fails as having no address (docs/records.md, "Consent per purpose").
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.engine import Database
from node.db.schema import notification_deliveries as deliveries
from node.db.schema import notifications
from node.notify import contacts
from node.notify.channels import Channel, DeliveryFailed, Outgoing
from node.notify.settings import DeliverySettings
from node.notify.store import Stored
from node.notify.texts import Names, gather, render
from node.states import DeliveryChannel, DeliveryState

log = logging.getLogger("hourbridge.notify")
# Whether member `local_id` consents to her notifications leaving the node, asked in the open
# transaction (node.privacy.consents.has_consent for `notices`).
NoticeConsent = Callable[[Connection, str], bool]
PENDING, DELIVERED, FAILED = DeliveryState.PENDING, DeliveryState.DELIVERED, DeliveryState.FAILED


@dataclass(frozen=True)
class TickReport:
    planned: int  # notifications whose channels were decided
    delivered: int
    retrying: int  # attempts that failed and will be made again
    failed: int  # deliveries given up on


@dataclass(frozen=True)
class _Claim:
    message: Outgoing
    address: str | None
    attempts: int


class Dispatcher:
    def __init__(self, *, db: Database, clock: Clock, settings: DeliverySettings,
                 channels: Mapping[DeliveryChannel, Channel], names: Names,
                 may_notify: NoticeConsent) -> None:
        self.db = db
        self.may_notify = may_notify
        self.clock = clock
        self.settings = settings
        self.channels = channels
        self.names = names

    def tick(self) -> TickReport:
        planned = self.plan()
        outcomes: Counter[str] = Counter()
        for channel in self.channels:
            outcomes.update(self._drain(channel))
        return TickReport(planned=planned, delivered=outcomes[DELIVERED],
                          retrying=outcomes[PENDING], failed=outcomes[FAILED])

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    # 1. plan -------------------------------------------------------------------------------

    def plan(self) -> int:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            rows = conn.execute(select(notifications.c.id, notifications.c.member_local_id,
                                       notifications.c.created_at_ms)
                                .where(notifications.c.planned_at_ms.is_(None))
                                .order_by(notifications.c.id)
                                .limit(self.settings.batch_size_max)).all()
            for row in rows:
                if now_ms - row.created_at_ms <= self.settings.plan_age_max_ms:
                    self._plan_one(conn, row, now_ms)
            if rows:
                conn.execute(update(notifications)
                             .where(notifications.c.id.in_([row.id for row in rows]))
                             .values(planned_at_ms=now_ms))
        return len(rows)

    def _addresses(self, conn: Connection, local_id: str) -> contacts.ContactDetails:
        """Where her notifications may go: her contacts while she consents to `notices`,
        nowhere otherwise (the inbox keeps them)."""
        if not self.may_notify(conn, local_id):
            return contacts.ContactDetails(email=None, gateway_recipient=None)
        return contacts.stored(conn, local_id)

    def _plan_one(self, conn: Connection, row: Any, now_ms: int) -> None:
        found = self._addresses(conn, row.member_local_id)
        for name, channel in self.channels.items():
            if channel.address(found) is not None:
                conn.execute(insert(deliveries).values(
                    notification_id=row.id, channel=name, state=PENDING, attempts=0,
                    next_attempt_at_ms=now_ms, last_error=None, created_at_ms=now_ms,
                    delivered_at_ms=None))

    # 2-4. claim, send, record --------------------------------------------------------------

    def _drain(self, channel: DeliveryChannel) -> list[DeliveryState]:
        with self.db.read() as conn:
            due = conn.execute(select(deliveries.c.notification_id, deliveries.c.attempts)
                               .where(deliveries.c.state == PENDING,
                                      deliveries.c.channel == channel,
                                      deliveries.c.next_attempt_at_ms <= self.clock.now_ms())
                               .order_by(deliveries.c.next_attempt_at_ms,
                                         deliveries.c.notification_id)
                               .limit(self.settings.batch_size_max)).all()
        outcomes: list[DeliveryState] = []
        for notification_id, attempts in due:
            claim = self._claim(channel, notification_id, attempts)
            if claim is None:
                continue  # taken meanwhile by another tick
            outcome = self._send(channel, claim)
            outcomes.append(outcome)
            if outcome is not DELIVERED:
                break
        return outcomes

    def _claim(self, channel: DeliveryChannel, notification_id: int,
               attempts: int) -> _Claim | None:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            taken = conn.execute(update(deliveries).where(
                deliveries.c.notification_id == notification_id,
                deliveries.c.channel == channel, deliveries.c.state == PENDING,
                deliveries.c.attempts == attempts).values(
                attempts=attempts + 1,
                next_attempt_at_ms=now_ms + self.settings.wait_ms(attempts + 1))).rowcount
            if taken != 1:
                return None
            row = conn.execute(select(notifications).where(
                notifications.c.id == notification_id)).one()
            note = Stored.from_row(row)
            rendered = render(note, gather(conn, [note]), self.names)
            address = self.channels[channel].address(self._addresses(conn, note.member_local_id))
        message = Outgoing(
            key=f"{self.settings.node_id}:{note.id}", node_id=self.settings.node_id,
            notification_id=note.id, member_local_id=note.member_local_id, kind=str(note.kind),
            created_at_ms=note.created_at_ms, title=rendered.title, text=rendered.text,
            data=note.payload)
        return _Claim(message=message, address=address, attempts=attempts + 1)

    def _send(self, channel: DeliveryChannel, claim: _Claim) -> DeliveryState:
        message = claim.message
        try:
            if claim.address is None:
                raise DeliveryFailed(f"member {message.member_local_id} has no {channel} "
                                     "address any more")
            self.channels[channel].send(message, claim.address, self.clock.now_ms())
        except DeliveryFailed as exc:
            final = claim.address is None or claim.attempts >= self.settings.attempts_max
            state = FAILED if final else PENDING
            (log.error if final else log.warning)(
                "notification %s on %s, attempt %s: %s", message.key, channel, claim.attempts,
                exc.detail)
            self._record(channel, claim, state=state, error=exc.detail)
            return state
        self._record(channel, claim, state=DELIVERED, error=None)
        return DELIVERED

    def _record(self, channel: DeliveryChannel, claim: _Claim, *, state: DeliveryState,
                error: str | None) -> None:
        now_ms = self.clock.now_ms()
        with self.db.write() as conn:
            conn.execute(update(deliveries).where(
                deliveries.c.notification_id == claim.message.notification_id,
                deliveries.c.channel == channel,
                deliveries.c.attempts == claim.attempts).values(
                state=state, last_error=error,
                delivered_at_ms=now_ms if state is DELIVERED else None))
