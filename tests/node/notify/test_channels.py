"""The webhook signature, pinned by a known-answer vector so a city's gateway can check its own
implementation against ours (docs/notifications.md), and the receiver's check refusing what it
must: another body, another secret, an old timestamp, a malformed header."""

from __future__ import annotations

import hashlib
import hmac

from node.notify.channels import REPLAY_WINDOW_S, Outgoing, email_message, sign, verify

SECRET = b"hourbridge-test-secret-0123456789abcdef"
BODY = '{"id":"sh-pudong:42","text":{"en":"Hello","zh":"您好"}}'.encode()
T = 1_780_000_000
# HMAC-SHA256(SECRET, b"1780000000." + BODY): the vector in docs/notifications.md.
VECTOR = "t=1780000000,v1=" + hmac.new(SECRET, b"1780000000." + BODY, hashlib.sha256).hexdigest()
PINNED = "t=1780000000,v1=0369ba35240abd8ac8b0ed356f3f0642470da048af4a015970ba29abceb01a5a"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    assert sign(SECRET, T, BODY) == VECTOR


def test_the_known_answer_vector_is_pinned() -> None:
    assert sign(SECRET, T, BODY) == PINNED


def test_a_receiver_accepts_the_genuine_and_refuses_the_rest() -> None:
    header = sign(SECRET, T, BODY)
    assert verify(SECRET, header, BODY, now_s=T + REPLAY_WINDOW_S)
    assert not verify(SECRET, header, BODY + b" ", now_s=T)
    assert not verify(b"another secret of enough length......", header, BODY, now_s=T)
    assert not verify(SECRET, header, BODY, now_s=T + REPLAY_WINDOW_S + 1)  # a replay
    assert not verify(SECRET, header, BODY, now_s=T - REPLAY_WINDOW_S - 1)
    for broken in ("", "t=abc,v1=00", f"t={T}", f"v1={header.split('v1=')[1]}"):
        assert not verify(SECRET, broken, BODY, now_s=T)


def test_the_mail_carries_the_idempotency_key_as_its_message_id() -> None:
    message = Outgoing(key="sh-pudong:7", node_id="sh-pudong", notification_id=7,
                       member_local_id="gran", kind="hours_received", created_at_ms=0,
                       title={"zh": "收到时间", "en": "Hours received"},
                       text={"zh": "您收到 3 小时。", "en": "You received 3 h."}, data={})
    mail = email_message(message, sender="bank@example.org", to="gran@example.org",
                         now_ms=T * 1000)
    assert mail["Message-ID"] == "<notification-7@sh-pudong.hourbridge>"
    assert mail["Subject"] == "收到时间 / Hours received"
    assert mail.get_content().startswith("您收到 3 小时。\n\nYou received 3 h.\n")
