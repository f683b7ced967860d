"""My personal data (/me/privacy): alice corrects her phone, agrees to notices, downloads and
prints everything held about her, including who looked; her son reads it for her; every look
is a row of the access log."""

from __future__ import annotations

from sqlalchemy import select

from node.db.schema import access_log
from tests.node.centre.conftest import Home
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN, SAM_PIN


def _log(home: Home) -> list[tuple[str, str, str, str]]:
    with home.api.node.db.read() as conn:
        return [(r.actor, r.member_local_id, r.action, r.result)
                for r in conn.execute(select(access_log).order_by(access_log.c.seq))]


def test_she_corrects_consents_and_exports_her_data(home: Home) -> None:
    alice = home.signed_in("alice", ALICE_PIN)
    page = alice.get("/me/privacy")
    assert page.status_code == 200 and "我的个人信息" in text_of(page.text)
    assert "<script" not in page.text
    saved = alice.post_form("/me/privacy", "/me/privacy", phone="13800001111",
                            home_address="浦东新区世纪大道1号")
    assert saved.status_code == 303 and saved.headers["location"] == "/me/privacy?done=saved"
    agreed = alice.post_form("/me/privacy/consents/notices", "/me/privacy", given="yes")
    assert agreed.status_code == 303
    shown = alice.get("/me/privacy").text
    assert 'value="13800001111"' in shown and 'data-consent="notices">已同意' in shown
    printed = text_of(alice.get("/me/privacy/export").text)
    assert "浦东新区世纪大道1号" in printed and "谁看过或改过我的信息" in printed
    download = alice.get("/me/privacy/export.json")
    assert download.json()["personal_data"]["phone"] == "13800001111"
    sam = home.signed_in("sam", SAM_PIN)
    assert "13800001111" in sam.get("/me/privacy?for=alice").text
    log = _log(home)
    assert ("member:alice", "alice", "change", "allowed") in log
    assert log.count(("member:alice", "alice", "export", "allowed")) == 2
    assert any(actor == "member:sam" and action == "read" for actor, _, action, _ in log)
    bad = alice.post_form("/me/privacy", "/me/privacy", phone="call me")
    assert bad.status_code == 422
