"""Notifications leave the node only with her consent to `notices` (issue 14, item 3): without
it nothing is planned for her channels and her inbox still has every notification; consent
given through the API starts deliveries; withdrawn between plan and send, the attempt fails
for want of an address. Real receivers on 127.0.0.1, a FakeClock."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.api.app import create_app
from node.clock import FakeClock
from node.notify.contacts import ContactDetails
from node.notify.delivery import TickReport
from node.notify.settings import BACKOFF_S
from node.privacy.consents import Purpose
from node.runtime import Node
from tests.factories import ADMIN
from tests.node.notify.conftest import Mailbox, NotifyNode, WebhookReceiver
from tests.node.notify.support import deliveries, kinds, take

GATEWAY_ID = "+8613800000001"


def _contacts_only(node: Node, local_id: str) -> None:
    node.notifications.contacts.put(
        ADMIN, local_id, ContactDetails(email=f"{local_id}@example.org",
                                        gateway_recipient=GATEWAY_ID))


def test_without_consent_nothing_leaves_the_node_and_the_inbox_keeps_it(
        notify_node: NotifyNode, webhook: WebhookReceiver, smtp: Mailbox) -> None:
    node = notify_node()
    _contacts_only(node, "gran")
    take(node, "r1")
    assert node.notifications.deliver() == TickReport(planned=1, delivered=0, retrying=0,
                                                      failed=0)
    assert deliveries(node) == [] and webhook.received == [] and smtp.mails == []
    assert kinds(node, "gran") == ["request_taken"]  # her page on the node still shows it


def test_consent_given_through_the_api_sends_on_both_channels(
        notify_node: NotifyNode, webhook: WebhookReceiver, smtp: Mailbox) -> None:
    node = notify_node()
    _contacts_only(node, "gran")
    token = node.tokens.create(role=ADMIN.role, label="desk").token
    with TestClient(create_app(node)) as client:
        answer = client.put("/api/v1/members/gran/consents/notices", json={"given": True},
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["current"]["notices"] is True
    take(node, "r1")
    assert node.notifications.deliver().delivered == 2
    assert len(webhook.received) == 1 and smtp.recipients == [["gran@example.org"]]


def test_consent_withdrawn_before_a_retry_ends_the_delivery(
        notify_node: NotifyNode, webhook: WebhookReceiver, clock: FakeClock) -> None:
    node = notify_node()
    node.notifications.contacts.put(ADMIN, "gran", ContactDetails(
        email=None, gateway_recipient=GATEWAY_ID))
    node.privacy.set_consent(ADMIN, "gran", Purpose.NOTICES, given=True, guardian_name=None)
    webhook.plan = [500]
    take(node, "r1")
    assert node.notifications.deliver().retrying == 1
    node.privacy.set_consent(ADMIN, "gran", Purpose.NOTICES, given=False, guardian_name=None)
    clock.advance(BACKOFF_S[0] * 1000)
    assert node.notifications.deliver().failed == 1
    [row] = deliveries(node)
    assert row["state"] == "failed" and "no webhook address" in row["last_error"]
    assert len(webhook.received) == 1
