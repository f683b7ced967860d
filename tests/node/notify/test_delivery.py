"""Delivery to a real webhook receiver and a real SMTP server on 127.0.0.1: signed, once per
notification and channel when nothing fails, retried on the backoff when something does, given
up after the attempts limit. The clock is a FakeClock: nothing here sleeps."""

from __future__ import annotations

import json

from node.clock import FakeClock
from node.notify.channels import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from node.notify.delivery import TickReport
from node.notify.settings import BACKOFF_S, PLAN_AGE_MAX_MS
from node.runtime import Node
from node.scheduler import _deliver_notifications, start_scheduler
from tests.node.notify.conftest import SECRET, SENDER, Mailbox, NotifyNode, WebhookReceiver
from tests.node.notify.conftest import free_port as closed_port
from tests.node.notify.support import deliveries, set_contacts, take
from tests.node.timebank.conftest import member, people, visit_code

DAY_MS = 86_400_000
GATEWAY_ID = "+8613800000001"


def _signed(webhook: WebhookReceiver, clock: FakeClock) -> list[dict[str, object]]:
    """The POSTed documents, after checking each one's signature as a receiver would."""
    documents = []
    for posted in webhook.received:
        signature = posted.headers[SIGNATURE_HEADER.lower()]
        assert verify(SECRET.encode(), signature, posted.body, now_s=clock.now_ms() // 1000)
        document = json.loads(posted.body)
        assert posted.headers[DELIVERY_HEADER.lower()] == document["id"]
        documents.append(document)
    return documents


def test_each_notification_reaches_each_channel_exactly_once(
        notify_node: NotifyNode, webhook: WebhookReceiver, smtp: Mailbox,
        clock: FakeClock) -> None:
    node = notify_node()
    set_contacts(node, "gran", email="gran@example.org", gateway=GATEWAY_ID)
    take(node, "r1")
    node.timebank.requests.check_in(member("vol"), "r1", code=visit_code(node, "gran"))

    assert node.notifications.deliver() == TickReport(planned=2, delivered=4, retrying=0,
                                                      failed=0)
    documents = _signed(webhook, clock)
    assert [d["kind"] for d in documents] == ["request_taken", "volunteer_arriving"]
    assert [d["id"] for d in documents] == ["sh-pudong:1", "sh-pudong:2"]
    assert {d["recipient"] for d in documents} == {GATEWAY_ID}
    assert documents[0]["text"] == {"zh": "Vol 已接下您的“生活照料”需求。",
                                    "en": "Vol has taken your request: daily living help."}
    assert documents[0]["data"] == {"request": "r1", "volunteer": "vol"}
    assert smtp.recipients == [["gran@example.org"], ["gran@example.org"]]
    mail = smtp.mails[0]
    assert (mail["From"], mail["Message-ID"]) == (SENDER, "<notification-1@sh-pudong.hourbridge>")
    assert mail[DELIVERY_HEADER] == "sh-pudong:1"
    assert mail["Subject"] == "您的需求有人接了 / Your request was taken"
    body = mail.get_content()
    assert body.index("Vol 已接下您的“生活照料”需求。") < body.index("Vol has taken your request")
    assert all(row["state"] == "delivered" and row["attempts"] == 1 for row in deliveries(node))

    clock.advance(DAY_MS)
    assert node.notifications.deliver() == TickReport(0, 0, 0, 0)
    assert (len(webhook.received), len(smtp.mails)) == (2, 2)


def test_a_receiver_answering_500_gets_it_again_after_the_backoff(
        notify_node: NotifyNode, webhook: WebhookReceiver, clock: FakeClock) -> None:
    node = notify_node()
    set_contacts(node, "gran", gateway=GATEWAY_ID)
    webhook.plan = [500]
    take(node, "r1")

    assert node.notifications.deliver() == TickReport(planned=1, delivered=0, retrying=1,
                                                      failed=0)
    [row] = deliveries(node)
    assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 500")
    assert row["next_attempt_at_ms"] == clock.now_ms() + BACKOFF_S[0] * 1000

    clock.advance(BACKOFF_S[0] * 1000 - 1)
    assert node.notifications.deliver().delivered == 0  # not due yet
    assert len(webhook.received) == 1
    clock.advance(1)
    assert node.notifications.deliver().delivered == 1
    first, second = webhook.received
    assert first.body == second.body  # the same notification, the same idempotency key
    assert first.headers[DELIVERY_HEADER.lower()] == second.headers[DELIVERY_HEADER.lower()]
    assert first.headers[SIGNATURE_HEADER.lower()] != second.headers[SIGNATURE_HEADER.lower()]
    _signed(webhook, clock)
    [row] = deliveries(node)
    assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 2, None)


def test_the_attempts_limit_marks_a_delivery_failed(
        notify_node: NotifyNode, webhook: WebhookReceiver, clock: FakeClock) -> None:
    node = notify_node(notify_attempts_max=3)
    set_contacts(node, "gran", gateway=GATEWAY_ID)
    webhook.always = 500
    take(node, "r1")

    reports = []
    for wait_s in (0, BACKOFF_S[0], BACKOFF_S[1]):
        clock.advance(wait_s * 1000)
        reports.append(node.notifications.deliver())
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    [row] = deliveries(node)
    assert (row["state"], row["attempts"], row["last_error"]) == ("failed", 3, "HTTP 500")

    clock.advance(DAY_MS)
    node.notifications.deliver()
    assert len(webhook.received) == 3


def test_a_failure_ends_the_tick_for_that_channel_only(
        notify_node: NotifyNode, webhook: WebhookReceiver, smtp: Mailbox,
        clock: FakeClock) -> None:
    """A gateway that is down gets one attempt per tick, not the whole batch; e-mail goes on."""
    node = notify_node()
    set_contacts(node, "gran", email="gran@example.org", gateway=GATEWAY_ID)
    webhook.always = 503
    take(node, "r1")
    take(node, "r2")

    report = node.notifications.deliver()
    assert (report.delivered, report.retrying) == (2, 1)
    assert len(webhook.received) == 1 and len(smtp.mails) == 2
    webhook_rows = [row for row in deliveries(node) if row["channel"] == "webhook"]
    assert [row["attempts"] for row in webhook_rows] == [1, 0]


def test_an_unreachable_smtp_server_is_tried_again(notify_node: NotifyNode,
                                                   clock: FakeClock) -> None:
    node = notify_node(notify_smtp_port=closed_port(), notify_webhook_url="")
    set_contacts(node, "gran", email="gran@example.org")
    take(node, "r1")
    assert node.notifications.deliver().retrying == 1
    [row] = deliveries(node)
    assert row["state"] == "pending"
    assert row["last_error"].startswith("SMTP: ConnectionRefusedError")


def test_only_channels_the_member_has_an_address_for(
        notify_node: NotifyNode, webhook: WebhookReceiver, smtp: Mailbox) -> None:
    node = notify_node()
    set_contacts(node, "gran2", email="gran2@example.org")
    take(node, "r1")  # gran has no contacts: her page shows it, nothing is sent
    take(node, "r2", recipient="gran2")

    assert node.notifications.deliver().planned == 2
    assert [(row["notification_id"], row["channel"]) for row in deliveries(node)] == [
        (2, "email")]
    assert webhook.received == [] and smtp.recipients == [["gran2@example.org"]]


def test_contacts_removed_before_a_retry_end_the_delivery(
        notify_node: NotifyNode, webhook: WebhookReceiver, clock: FakeClock) -> None:
    node = notify_node()
    set_contacts(node, "gran", gateway=GATEWAY_ID)
    webhook.plan = [500]
    take(node, "r1")
    node.notifications.deliver()
    set_contacts(node, "gran")  # erased
    clock.advance(BACKOFF_S[0] * 1000)
    assert node.notifications.deliver().failed == 1
    [row] = deliveries(node)
    assert row["state"] == "failed" and "no webhook address" in row["last_error"]
    assert len(webhook.received) == 1


def test_a_notification_first_seen_a_day_late_is_not_sent(
        notify_node: NotifyNode, webhook: WebhookReceiver, clock: FakeClock) -> None:
    node = notify_node()
    set_contacts(node, "gran", gateway=GATEWAY_ID)
    take(node, "r1")
    clock.advance(PLAN_AGE_MAX_MS + 1)
    assert node.notifications.deliver() == TickReport(planned=1, delivered=0, retrying=0,
                                                      failed=0)
    assert deliveries(node) == [] and webhook.received == []


def test_a_node_without_channels_keeps_notifications_for_the_page(sqlite_node: Node) -> None:
    people(sqlite_node, ("gran", 1940), ("vol", 1990))
    set_contacts(sqlite_node, "gran", email="gran@example.org", gateway=GATEWAY_ID)
    take(sqlite_node, "r1")
    assert sqlite_node.notifications.deliver() == TickReport(planned=1, delivered=0,
                                                             retrying=0, failed=0)
    assert deliveries(sqlite_node) == []


def test_the_scheduler_runs_the_ticks_at_the_configured_interval(
        notify_node: NotifyNode, webhook: WebhookReceiver) -> None:
    node = notify_node(notify_interval_s=7)
    scheduler = start_scheduler(node)
    try:
        assert scheduler.get_job("notifications").trigger.interval.total_seconds() == 7
    finally:
        scheduler.shutdown(wait=False)
    set_contacts(node, "gran", gateway=GATEWAY_ID)
    take(node, "r1")
    _deliver_notifications(node)  # the job itself, as apscheduler calls it from its thread
    assert len(webhook.received) == 1

    off = notify_node(notify_interval_s=0)
    scheduler = start_scheduler(off)
    try:
        assert scheduler.get_job("notifications") is None
    finally:
        scheduler.shutdown(wait=False)
