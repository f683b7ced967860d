"""My messages: the member's notifications from node.notify, marked read one by one, never
another member's."""

from __future__ import annotations

import re

from tests.node.centre.conftest import CAROL_PIN, Home, serve
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN, SAM_PIN

NOTE = re.compile(r'id="note-(\d+)"')


def test_messages_are_read_and_marked_read(home: Home) -> None:
    serve(home, "r-1", minutes=30, confirm=False)  # taken, then the volunteer arrived
    phone = home.signed_in("alice", ALICE_PIN)
    assert "我的消息（2 条新的）" in text_of(phone.get("/me").text)
    page = phone.get("/me/notifications")
    words = text_of(page.text)
    assert "有 2 条新消息。" in words
    assert "陈志强 已接下您的“生活照料”需求。" in words
    assert "志愿者 陈志强 已到，开始为您服务：“生活照料”。" in words
    newest = NOTE.findall(page.text)[0]
    done = phone.post_form(f"/me/notifications/{newest}/read", "/me/notifications")
    assert done.status_code == 303
    assert done.headers["location"] == f"/me/notifications#note-{newest}"
    after = phone.get("/me/notifications").text
    assert f'id="note-{newest}" class="read"' in after and "有 1 条新消息。" in text_of(after)
    english = phone.get("/me/lang?to=en&next=/me/notifications")
    assert english.headers["location"] == "/me/notifications"
    assert "陈志强 has taken your request: daily living help." in phone.get(
        "/me/notifications").text


def test_nobody_else_reads_or_marks_her_messages(home: Home) -> None:
    serve(home, "r-1", minutes=30, confirm=False)
    alice = home.signed_in("alice", ALICE_PIN)
    note = NOTE.findall(alice.get("/me/notifications").text)[0]
    carol = home.signed_in("carol", CAROL_PIN)
    assert carol.get("/me/notifications?for=alice").status_code == 403
    mine = carol.post_form(f"/me/notifications/{note}/read", "/me/notifications")
    assert mine.status_code == 404 and "没有找到这条消息。" in mine.text
    hers = carol.post_form(f"/me/notifications/{note}/read", "/me/notifications", **{
        "for": "alice"})
    assert hers.status_code == 403
    assert f'id="note-{note}" class="unread"' in alice.get("/me/notifications").text
    assert "还没有消息。" in text_of(carol.get("/me/notifications").text)


def test_a_delegate_reads_the_elders_messages(home: Home) -> None:
    serve(home, "r-1", minutes=30, confirm=False)
    sam = home.signed_in("sam", SAM_PIN)
    page = sam.get("/me/notifications?for=alice")
    assert page.status_code == 200 and "陈志强 已接下您的“生活照料”需求。" in page.text
    note = NOTE.findall(page.text)[0]
    done = sam.post_form(f"/me/notifications/{note}/read", "/me/notifications?for=alice",
                         **{"for": "alice"})
    assert done.headers["location"] == f"/me/notifications?for=alice#note-{note}"


def test_marking_read_needs_the_sessions_secret(home: Home) -> None:
    serve(home, "r-1", minutes=30, confirm=False)
    phone = home.signed_in("alice", ALICE_PIN)
    note = NOTE.findall(phone.get("/me/notifications").text)[0]
    refused = phone.post(f"/me/notifications/{note}/read", csrf="forged")
    assert refused.status_code == 403
    assert f'id="note-{note}" class="unread"' in phone.get("/me/notifications").text
