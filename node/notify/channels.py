"""The two channels a node sends notifications through, each behind one `send` method that
either returns (the receiver took it) or raises DeliveryFailed (try again later).

Webhook: one POST of JSON per notification to the configured URL, so a city can connect its SMS
or WeChat gateway. Signed with HMAC-SHA256 under the shared secret, over the timestamp and the
exact body bytes (docs/notifications.md has a receiver's check):

    X-HourBridge-Signature: t=<unix seconds>,v1=<hex of HMAC-SHA256(secret, "<t>." + body)>
    X-HourBridge-Delivery:  <node id>:<notification id>       the idempotency key

E-mail: one message over SMTP (STARTTLS unless switched off), Chinese then English, with a
Message-ID made from the same key, so a mail system drops a repeat.

A delivery is at least once: the node records it delivered after the receiver answered, and a
crash in between sends it again with the same key. Receivers drop repeats by the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

import httpx

from node.errors import ErrorCode, FixedCodeError
from node.notify.contacts import ContactDetails
from node.notify.settings import SmtpSettings, WebhookSettings
from node.notify.texts import Text

SIGNATURE_HEADER = "X-HourBridge-Signature"
DELIVERY_HEADER = "X-HourBridge-Delivery"
SIGNATURE_VERSION = "v1"
# What a receiver should allow between the timestamp and its own clock (docs/notifications.md).
REPLAY_WINDOW_S = 300
ERROR_CHARS_MAX = 200  # notification_deliveries.last_error
EMAIL_FOOTER = ("这是时间银行自动发出的通知，请不要回复。",
                "This message was sent automatically by your time bank; please do not reply.")


class DeliveryFailed(FixedCodeError):
    """A channel did not take a notification: unreachable, refused, or no address to send to."""

    CODE = ErrorCode.DELIVERY_FAILED


@dataclass(frozen=True)
class Outgoing:
    """One notification, rendered, as every channel sends it."""

    key: str  # "<node id>:<notification id>": the receivers' idempotency key
    node_id: str
    notification_id: int
    member_local_id: str
    kind: str
    created_at_ms: int
    title: Text
    text: Text
    data: dict[str, int | str]


class Channel(Protocol):
    def address(self, contacts: ContactDetails) -> str | None: ...

    def send(self, message: Outgoing, address: str, now_ms: int) -> None: ...

    def close(self) -> None: ...


def sign(secret: bytes, timestamp_s: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp_s`."""
    mac = hmac.new(secret, f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp_s},{SIGNATURE_VERSION}={mac}"


def verify(secret: bytes, header: str, body: bytes, *, now_s: int,
           window_s: int = REPLAY_WINDOW_S) -> bool:
    """A receiver's check, as docs/notifications.md shows it: a well-formed header, a timestamp
    within `window_s` of the receiver's clock, and a matching MAC (compared in constant time)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, mac = parts.get("t", ""), parts.get(SIGNATURE_VERSION, "")
    if not timestamp.isdigit() or abs(now_s - int(timestamp)) > window_s:
        return False
    expected = sign(secret, int(timestamp), body).rsplit("=", 1)[1]
    return hmac.compare_digest(expected, mac)


def webhook_body(message: Outgoing, recipient: str) -> bytes:
    document: dict[str, Any] = {
        "id": message.key, "node": message.node_id, "notification": message.notification_id,
        "member": message.member_local_id, "recipient": recipient, "kind": message.kind,
        "created_at_ms": message.created_at_ms, "title": message.title, "text": message.text,
        "data": message.data,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _failed(what: str) -> DeliveryFailed:
    return DeliveryFailed(what[:ERROR_CHARS_MAX])


class WebhookChannel:
    def __init__(self, settings: WebhookSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout_s, follow_redirects=False)

    def address(self, contacts: ContactDetails) -> str | None:
        return contacts.gateway_recipient

    def send(self, message: Outgoing, address: str, now_ms: int) -> None:
        body = webhook_body(message, address)
        headers = {"Content-Type": "application/json; charset=utf-8",
                   SIGNATURE_HEADER: sign(self.settings.secret, now_ms // 1000, body),
                   DELIVERY_HEADER: message.key}
        try:
            response = self.client.post(self.settings.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise _failed(f"unreachable: {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise _failed(f"HTTP {response.status_code}")

    def close(self) -> None:
        self.client.close()


def email_message(message: Outgoing, *, sender: str, to: str, now_ms: int) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = f"{message.title['zh']} / {message.title['en']}"
    mail["Date"] = formatdate(now_ms / 1000, usegmt=True)
    mail["Message-ID"] = f"<notification-{message.notification_id}@{message.node_id}.hourbridge>"
    mail[DELIVERY_HEADER] = message.key
    mail.set_content(f"{message.text['zh']}\n\n{message.text['en']}\n\n-- \n"
                     f"{EMAIL_FOOTER[0]}\n{EMAIL_FOOTER[1]}\n")
    return mail


class EmailChannel:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def address(self, contacts: ContactDetails) -> str | None:
        return contacts.email

    def send(self, message: Outgoing, address: str, now_ms: int) -> None:
        settings = self.settings
        mail = email_message(message, sender=settings.sender, to=address, now_ms=now_ms)
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user:
                    smtp.login(settings.user, settings.password)
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise _failed(f"SMTP: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        return None
