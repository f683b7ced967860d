"""Family access and contacts from the centre (家人代办, 接收通知的方式): alice gives and ends her
son sam's right to act for her after a confirmation in plain words, sam ends his own, both
recorded where staff see them; her contacts are read and changed through node.notify, every
read audited. carol sees nothing of alice's; forms without their secret and bad input are
coded pages, never a 500."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from node.access import Role
from node.centre import i18n
from node.centre.pages_family import DELEGATE_MAY
from node.db.schema import tb_audit
from tests.node.centre.conftest import CAROL_PIN, CHEN_PIN, Home
from tests.node.centre.support import Phone
from tests.node.centre.test_home import text_of
from tests.node.centre.test_needs import post_need
from tests.node.centre.test_send import available, send
from tests.node.console.support import fresh_client, log_in
from tests.node.people.support import ALICE_PIN, SAM_PIN

ALICE_EMAIL = "alice.wang@example.org"
ALICE_PHONE = "+8613800001111"


def delegates(home: Home) -> list[dict[str, Any]]:
    got = home.api.client.get("/api/v1/members/alice/delegates", headers=home.api.admin)
    assert got.status_code == 200, got.text
    items: list[dict[str, Any]] = got.json()["items"]
    return items


def contacts(home: Home) -> dict[str, Any]:
    got = home.api.client.get("/api/v1/members/alice/contacts", headers=home.api.admin)
    assert got.status_code == 200, got.text
    answer: dict[str, Any] = got.json()
    return answer


def audit(home: Home, subject: str) -> list[tuple[str, str]]:
    with home.api.node.db.read() as conn:
        rows = conn.execute(select(tb_audit.c.action, tb_audit.c.actor).where(
            tb_audit.c.subject == subject).order_by(tb_audit.c.id))
        return [(row.action, row.actor) for row in rows]


def confirmed(phone: Phone, page_path: str, action: str) -> httpx.Response:
    """Open a confirmation page and press its "yes" button, as the browser would."""
    page = phone.get(page_path)
    assert page.status_code == 200, page.text
    fields = dict(_hidden(page.text))
    return phone.client.post(action, data=fields)


def _hidden(html: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return found


def test_the_elder_sees_who_acts_for_her_since_when_and_who_recorded_it(home: Home) -> None:
    page = home.signed_in("alice", ALICE_PIN).get("/me/family")
    assert page.status_code == 200
    words = text_of(page.text)
    assert 'data-delegate="sam"' in page.text
    assert "现在可以替我办事的人 子女 Sam" in words and "由服务站工作人员登记" in words
    assert "取消 子女 Sam 的代办" in words
    assert "没有可以选的亲人" in words  # sam acts already; wang.jun is at another node


def test_ending_asks_first_then_he_is_refused_at_his_next_click(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    assert sam.get("/me?for=alice").status_code == 200
    alice = home.signed_in("alice", ALICE_PIN)
    page = text_of(alice.get("/me/family/end?delegate=sam").text)
    assert "取消 子女 Sam 的代办？" in page and "取消以后，子女 Sam 就不能再替您办事了" in page
    assert [g["active"] for g in delegates(home)] == [True]  # asking changed nothing
    answer = confirmed(alice, "/me/family/end?delegate=sam", "/me/family/end")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me/family?done=ended&who=sam"
    words = text_of(alice.get(answer.headers["location"]).text)
    assert "好了，子女 Sam 不能再替您办事了。" in words and "由您自己取消" in words
    assert "以前替我办过事的人 子女 Sam" in words and "让 子女 Sam 替我办事" in words
    refused = sam.get("/me?for=alice")
    assert refused.status_code == 403 and "Alice" not in refused.text
    assert "Alice" not in sam.get("/me/family").text
    [grant] = delegates(home)
    assert grant["revoked_by"] == "member:alice" and not grant["active"]
    assert ("delegate_revoked", "member:alice") in audit(home, "person:alice")
    console = fresh_client(home.api)
    assert log_in(console, home.api.token("staff-east", Role.STAFF, station="east")
                  ).status_code == 303
    staff_page = console.get("/console/members/alice").text
    assert 'data-delegate="sam" data-active="no"' in staff_page
    assert 'Alice <span class="id">alice</span> 于' in staff_page  # who ended it, by name


def test_giving_access_says_what_he_may_do_then_he_may(home: Home) -> None:
    ended = home.api.client.delete("/api/v1/members/alice/delegates/sam",
                                   headers=home.family.east)
    assert ended.status_code == 200, ended.text
    sam = home.signed_in("sam", SAM_PIN)
    assert sam.get("/me?for=alice").status_code == 403
    alice = home.signed_in("alice", ALICE_PIN)
    assert 'href="/me/family/grant?delegate=sam"' in alice.get("/me/family").text
    page = text_of(alice.get("/me/family/grant?delegate=sam").text)
    assert "子女 Sam 将可以替您办事：" in page
    for key in DELEGATE_MAY:
        assert i18n.translate("zh", key) in page, key
    assert "子女 Sam 不能替您让别人代办，也不能取消别人的代办。" in page
    answer = confirmed(alice, "/me/family/grant?delegate=sam", "/me/family/grant")
    assert answer.headers["location"] == "/me/family?done=granted&who=sam"
    words = text_of(alice.get(answer.headers["location"]).text)
    assert "好了，子女 Sam 现在可以替您办事了。" in words and "由您自己登记" in words
    assert sam.get("/me?for=alice").status_code == 200
    newest = delegates(home)[0]
    assert newest["active"] and newest["granted_by"] == "member:alice"
    assert ("delegate_granted", "member:alice") in audit(home, "person:alice")


def test_what_the_confirmation_promises_is_what_the_services_let_him_do(home: Home) -> None:
    """Each line of DELEGATE_MAY, and the one thing he may not, against the real services."""
    assert len(DELEGATE_MAY) == 4
    sam = home.signed_in("sam", SAM_PIN)
    assert 'data-minutes="750"' in sam.get("/me?for=alice").text  # family.may.read
    _, sent = send(sam, "sam", hours="1", member="alice")  # family.may.send
    assert sent.status_code == 303 and available(home, "alice") == 750 - 60  # type: ignore[attr-defined]
    post_need(sam, member="alice")  # family.may.needs
    saved = sam.post_form("/me/contacts", "/me/contacts?for=alice", **{
        "for": "alice", "email": ALICE_EMAIL, "gateway_recipient": ""})  # family.may.notes
    assert saved.status_code == 303 and contacts(home)["updated_by"] == "member:sam"
    assert sam.get("/me/notifications?for=alice").status_code == 200
    kin = home.api.client.post("/api/v1/members/alice/kin", headers=home.api.admin,
                               json={"relative": "chen", "relation": "friend"})
    assert kin.status_code == 200, kin.text
    # family.may_not: he names nobody else for her, and ends nobody else's access.
    refused = sam.post_form("/me/family/grant", "/me/family?for=alice", **{
        "for": "alice", "delegate": "chen"})
    assert refused.status_code == 403 and 'data-code="forbidden"' in refused.text
    granted = home.api.client.post("/api/v1/members/alice/delegates",
                                   headers=home.family.east, json={"delegate": "chen"})
    assert granted.status_code == 201, granted.text
    refused = sam.post_form("/me/family/end", "/me/family?for=alice", **{
        "for": "alice", "delegate": "chen"})
    assert refused.status_code == 403
    assert {g["delegate"] for g in delegates(home) if g["active"]} == {"sam", "chen"}


def test_he_sees_whom_he_acts_for_and_may_end_it_himself(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    words = text_of(sam.get("/me/family").text)
    assert "我可以替他们办事 Alice" in words and "不再替 Alice 办事" in words
    acting = sam.get("/me/family?for=alice").text
    assert "您正在替 Alice 办事" in acting and 'href="/me/family/grant' not in acting
    assert 'href="/me/family/end' not in acting and "/me/family/leave?member=alice" in acting
    page = text_of(sam.get("/me/family/leave?member=alice").text)
    assert "不再替 Alice 办事？" in page and "以后您就不能再替 Alice 办事了" in page
    answer = confirmed(sam, "/me/family/leave?member=alice", "/me/family/leave")
    assert answer.headers["location"] == "/me/family?done=left"
    assert "好了，您不再替对方办事了。" in text_of(sam.get("/me/family?done=left").text)
    assert sam.get("/me?for=alice").status_code == 403
    [grant] = delegates(home)
    assert grant["revoked_by"] == "member:sam"
    assert ("delegate_revoked", "member:sam") in audit(home, "person:alice")
    again = sam.get("/me/family/leave?member=alice")
    assert again.status_code == 404 and 'data-code="delegate_not_found"' in again.text


def test_carol_sees_nothing_of_alices(home: Home) -> None:
    put = home.api.client.put("/api/v1/members/alice/contacts", headers=home.api.admin,
                              json={"email": ALICE_EMAIL, "gateway_recipient": ALICE_PHONE})
    assert put.status_code == 200, put.text
    carol = home.signed_in("carol", CAROL_PIN)
    for path in ("/me/family?for=alice", "/me/family/grant?for=alice&delegate=sam",
                 "/me/family/end?for=alice&delegate=sam", "/me/family/leave?member=alice",
                 "/me/contacts?for=alice", "/me/family", "/me/contacts"):
        page = carol.get(path)
        assert page.status_code in (200, 403, 404), path
        for secret in ("Alice", "Sam", "子女", ALICE_EMAIL, ALICE_PHONE):
            assert secret not in page.text, (path, secret)
    assert carol.get("/me/contacts?for=alice").status_code == 403
    for action, fields in (("/me/contacts", {"email": "carol@example.org"}),
                           ("/me/family/grant", {"delegate": "carol"}),
                           ("/me/family/end", {"delegate": "sam"})):
        refused = carol.post_form(action, "/me/family", **{"for": "alice", **fields})
        assert refused.status_code == 403, action
    left = carol.post_form("/me/family/leave", "/me/family", member="alice")
    assert left.status_code == 404  # the same answer whether alice exists or not
    assert contacts(home)["email"] == ALICE_EMAIL
    assert [g["delegate"] for g in delegates(home) if g["active"]] == ["sam"]
    assert ("contacts_refused", "member:carol") in audit(home, "contacts:alice")


def test_forms_without_the_secret_are_refused(home: Home) -> None:
    alice = home.signed_in("alice", ALICE_PIN)
    sam = home.signed_in("sam", SAM_PIN)
    for phone, action, fields in (
            (alice, "/me/family/end", {"delegate": "sam"}),
            (alice, "/me/family/grant", {"delegate": "sam"}),
            (alice, "/me/contacts", {"email": ALICE_EMAIL}),
            (sam, "/me/family/leave", {"member": "alice"})):
        for secret in ({}, {"csrf": "not-the-secret"}):
            refused = phone.client.post(action, data={**fields, **secret})
            assert refused.status_code == 403, action
            assert 'data-code="csrf_refused"' in refused.text, action
    assert [g["active"] for g in delegates(home)] == [True]
    assert contacts(home)["email"] is None


def test_bad_input_is_a_coded_page_never_a_500(home: Home) -> None:
    alice = home.signed_in("alice", ALICE_PIN)
    for path, status, code in (
            ("/me/family/grant?delegate=Not%20Valid", 422, "validation_failed"),
            ("/me/family/grant", 422, "validation_failed"),
            ("/me/family/end?delegate=carol", 404, "delegate_not_found"),
            ("/me/family/leave?member=sam", 404, "delegate_not_found"),
            ("/me/family?done=everything", 422, "validation_failed"),
            ("/me/contacts?done=%3Cb%3E", 422, "validation_failed")):
        page = alice.get(path)
        assert page.status_code == status and f'data-code="{code}"' in page.text, path
    for action, fields, status, code in (
            ("/me/family/grant", {"delegate": ""}, 422, "validation_failed"),
            ("/me/family/grant", {"delegate": "x" * 500}, 422, "validation_failed"),
            ("/me/family/grant", {"delegate": "carol"}, 422, "delegate_not_kin"),
            ("/me/family/grant", {"delegate": "alice"}, 422, "validation_failed"),
            ("/me/family/end", {"delegate": "chen"}, 404, "delegate_not_found"),
            ("/me/family/leave", {"member": "../../x"}, 422, "validation_failed"),
            ("/me/contacts", {"email": "not an e-mail"}, 422, "validation_failed"),
            ("/me/contacts", {"gateway_recipient": "<script>"}, 422, "validation_failed"),
            ("/me/contacts", {"email": "a@" + "b" * 300 + ".cn"}, 422, "validation_failed")):
        answer = alice.post_form(action, "/me/family", **fields)
        assert answer.status_code == status, (action, fields, answer.text)
        assert f'data-code="{code}"' in answer.text, (action, fields)
    kin_refusal = alice.post_form("/me/family/grant", "/me/family", delegate="carol").text
    assert "只有登记过的亲人，并且在本站有账户，才能替您办事" in kin_refusal
    bad_mail = text_of(alice.post_form("/me/contacts", "/me/contacts", email="x y").text)
    assert "填写的内容不对，请检查：电子邮件地址" in bad_mail
    assert contacts(home)["email"] is None


def test_contacts_are_saved_and_read_back_through_the_api(home: Home) -> None:
    alice = home.signed_in("alice", ALICE_PIN)
    empty = text_of(alice.get("/me/contacts").text)
    assert "现在只放在「我的消息」里。" in empty and "本站现在还不发这种通知" in empty
    saved = alice.post_form("/me/contacts", "/me/contacts", email=f"  {ALICE_EMAIL} ",
                            gateway_recipient="+86 138 0000 1111")
    assert saved.status_code == 303 and saved.headers["location"] == "/me/contacts?done=saved"
    stored = contacts(home)
    assert stored["email"] == ALICE_EMAIL and stored["gateway_recipient"] == ALICE_PHONE
    assert stored["updated_by"] == "member:alice"
    page = alice.get("/me/contacts?done=saved").text
    words = text_of(page)
    assert "保存好了。" in words and "现在还会通过：短信或微信、电子邮件" in words
    assert f'value="{ALICE_EMAIL}"' in page and f'value="{ALICE_PHONE}"' in page
    assert "由您自己修改" in words
    erased = alice.post_form("/me/contacts", "/me/contacts", email="", gateway_recipient="")
    assert erased.status_code == 303
    assert contacts(home)["email"] is None and contacts(home)["gateway_recipient"] is None
    trail = audit(home, "contacts:alice")
    assert trail.count(("contacts_read", "member:alice")) >= 3  # each page opening
    assert trail.count(("contacts_written", "member:alice")) == 2


def test_the_pages_read_in_english(home: Home) -> None:
    alice = home.signed_in("alice", ALICE_PIN)
    alice.client.cookies.set("hb_me_lang", "en")
    page = text_of(alice.get("/me/family/end?delegate=sam").text)
    assert "End child Sam&#39;s access?" in page and "Then child Sam may no longer act for" in page
    assert "How I get notices" in text_of(alice.get("/me/contacts").text)
    home_page = alice.get("/me").text
    assert 'id="go-family" href="/me/family"' in home_page
    assert 'id="go-contacts" href="/me/contacts"' in home_page
    chen = home.signed_in("chen", CHEN_PIN)
    assert "现在没有人可以替您办事。" in text_of(chen.get("/me/family").text)
