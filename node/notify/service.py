"""The notifications of one node, assembled by node/runtime.py: the member's inbox, the
contacts, and the dispatcher the scheduler ticks."""

from __future__ import annotations

from dataclasses import dataclass

from node.access import AccessLogger
from node.clock import Clock
from node.db.engine import Database
from node.notify.channels import Channel, EmailChannel, WebhookChannel
from node.notify.contacts import Contacts
from node.notify.delivery import Dispatcher, NoticeConsent, TickReport
from node.notify.inbox import Inbox
from node.notify.settings import DeliverySettings
from node.notify.texts import Names
from node.states import DeliveryChannel


@dataclass
class Notifications:
    inbox: Inbox
    contacts: Contacts
    dispatcher: Dispatcher

    def deliver(self) -> TickReport:
        """One delivery tick (the scheduler's job; tests call it after moving the clock)."""
        return self.dispatcher.tick()

    def close(self) -> None:
        self.dispatcher.close()


def build_notifications(*, db: Database, clock: Clock, settings: DeliverySettings,
                        names: Names, log_access: AccessLogger,
                        may_notify: NoticeConsent) -> Notifications:
    """`settings`: load_settings(config), checked before any service is built; `log_access`:
    the access log's append for the contacts; `may_notify`: her consent to `notices`
    (node/runtime.py passes both)."""
    channels: dict[DeliveryChannel, Channel] = {}
    if settings.webhook is not None:
        channels[DeliveryChannel.WEBHOOK] = WebhookChannel(settings.webhook)
    if settings.smtp is not None:
        channels[DeliveryChannel.EMAIL] = EmailChannel(settings.smtp)
    return Notifications(
        inbox=Inbox(db=db, clock=clock, names=names, log_access=log_access),
        contacts=Contacts(db=db, clock=clock, log_access=log_access),
        dispatcher=Dispatcher(db=db, clock=clock, settings=settings, channels=channels,
                              names=names, may_notify=may_notify),
    )
