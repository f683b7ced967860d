"""Moving the account to another city from the centre (/me/move): the relocation service with
the member's own Principal, a warning and a confirmation first, once per form; the service, not
the page, refuses a delegate. The move stays on its way: no sender runs in these tests."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from node.access import Role
from node.db.schema import relocations
from tests.node.centre.conftest import CAROL_PIN, PEER, Home
from tests.node.centre.support import Phone
from tests.node.centre.test_home import text_of
from tests.node.people.support import ALICE_PIN, SAM_PIN

CHECK = f"/me/move/check?to_node={PEER}&new_local_id=wang.fang"


def bob_moves(home: Home) -> None:
    """bob (east, not signed in anywhere) is moved by his station: relocation `move-m`, for the
    centre's matrix (tests/node/centre/test_matrix.py). A member who moves cannot sign in here
    any more, so the matrix's callers only ever ask for somebody else's move."""
    made = home.api.client.post("/api/v1/members/bob/relocation", headers=home.family.east,
                                json={"id": "move-m", "to_node": PEER, "new_local_id": "bob"})
    assert made.status_code == 201, made.text


def balance(home: Home, member: str) -> dict[str, int]:
    got = home.api.client.get(f"/api/v1/members/{member}/balance", headers=home.api.admin)
    assert got.status_code == 200, got.text
    return {k: v for k, v in got.json().items() if k.endswith("_minutes") and isinstance(v, int)}


def moves(home: Home) -> int:
    with home.api.node.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(relocations)).scalar_one())


def confirm_form(phone: Phone, check: str = CHECK) -> dict[str, str]:
    page = phone.get(check)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert {"csrf", "id", "to_node", "new_local_id"} <= fields.keys(), fields
    return fields


def test_the_cities_of_the_directory_and_a_warning_before_anything_moves(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    page = phone.get("/me/move")
    assert f'<option value="{PEER}">{PEER}</option>' in page.text
    assert '<option value="sh-pudong"' not in page.text  # not the node she is at
    words = text_of(phone.get(f"/me/move/check?to_node={PEER}&new_local_id=%20Wang.Fang%20").text)
    assert (f"您的全部时间（12 小时 30 分）会转到 {PEER}，以后用会员号 wang.fang 在那里使用。"
            in words)
    assert "确认以后，您在这里的账户就关闭了" in words and f"确认迁到 {PEER}" in words
    assert moves(home) == 0 and balance(home, "alice")["available_minutes"] == 750


def test_confirmed_the_hours_are_reserved_once_and_the_account_here_closes(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    fields = confirm_form(phone)
    answer = phone.client.post("/me/move", data=fields)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/me/moved?to_node={PEER}&new_local_id=wang.fang"
    page = phone.get(answer.headers["location"]).text
    words = text_of(page)
    assert f"正在迁往 {PEER}…" in words and "您在这里的账户已经关闭" in words
    assert "用会员号 wang.fang 办理" in words and "/me/logout" not in page  # no session
    again = phone.client.post("/me/move", data=fields)  # pressed twice: her session has ended
    assert again.status_code == 303 and again.headers["location"] == "/me/login?expired=1"
    assert moves(home) == 1 and balance(home, "alice")["available_minutes"] == 0
    record = home.api.client.get(f"/api/v1/relocations/{fields['id']}",
                                 headers=home.api.admin).json()
    assert record["state"] == "pending" and record["new_local_id"] == "wang.fang"
    assert sum(b["amount_minutes"] for b in record["balances"]) == 750
    assert phone.get("/me").status_code == 303  # signed out


def test_a_delegate_is_refused_by_the_service_and_reads_the_move_staff_made(home: Home) -> None:
    sam = home.signed_in("sam", SAM_PIN)
    assert "替 Alice 迁账户" in text_of(sam.get(f"{CHECK}&for=alice").text)
    refused = sam.client.post("/me/move", data=confirm_form(sam, f"{CHECK}&for=alice"))
    assert refused.status_code == 403 and 'data-code="forbidden"' in refused.text
    assert moves(home) == 0 and balance(home, "alice")["available_minutes"] == 750
    made = home.api.client.post("/api/v1/members/alice/relocation", headers=home.family.east,
                                json={"id": "move-alice", "to_node": PEER,
                                      "new_local_id": "wang.fang"})
    assert made.status_code == 201, made.text
    page = sam.get("/me/moves/move-alice?for=alice")
    words = text_of(page.text)
    assert f"正在迁往 {PEER}…" in words and "您正在替 Alice 办事。" in words
    assert 'id="look-again" href="/me/moves/move-alice?for=alice"' in page.text
    assert "12 小时 30 分" in words


def test_nobody_else_moves_her_account_or_reads_the_move(home: Home) -> None:
    carol = home.signed_in("carol", CAROL_PIN)
    assert carol.get(f"{CHECK}&for=alice").status_code == 403
    fields = confirm_form(carol) | {"for": "alice"}
    refused = carol.client.post("/me/move", data=fields)
    assert refused.status_code == 403 and moves(home) == 0
    made = home.api.client.post("/api/v1/members/alice/relocation", headers=home.family.east,
                                json={"id": "move-alice", "to_node": PEER,
                                      "new_local_id": "wang.fang"})
    assert made.status_code == 201, made.text
    seen = carol.get("/me/moves/move-alice")
    assert seen.status_code == 403 and "wang.fang" not in seen.text


def test_a_bad_city_or_number_is_told_in_words_and_moves_nothing(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    for query, field in (("to_node=nowhere&new_local_id=wang.fang", "迁到哪个城市"),
                         ("to_node=sh-pudong&new_local_id=wang.fang", "迁到哪个城市"),
                         (f"to_node={PEER}&new_local_id=a%20b", "新城市的会员号"),
                         (f"to_node={PEER}&new_local_id=", "新城市的会员号")):
        answer = phone.get(f"/me/move/check?{query}")
        assert answer.status_code == 422 and field in answer.text, query
    fields = confirm_form(phone)
    for bad in ({"to_node": "nowhere"}, {"new_local_id": "Ω"}, {"id": ""}):
        answer = phone.client.post("/me/move", data=fields | bad)
        assert answer.status_code == 422 and 'data-code="validation_failed"' in answer.text
    too_long = phone.get(f"/me/move/check?to_node={PEER}&new_local_id={'a' * 101}")
    assert too_long.status_code == 422
    assert moves(home) == 0 and balance(home, "alice")["available_minutes"] == 750


def test_what_must_settle_first_is_the_services_coded_answer(home: Home) -> None:
    alice = home.api.headers(home.api.token("alice-api", Role.MEMBER, member_local_id="alice"))
    sent = home.api.client.post("/api/v1/transfers", headers=alice, json={
        "id": "t-on-its-way", "from": "alice", "to": f"wang.jun@{PEER}", "amount_minutes": 30})
    assert sent.status_code in (201, 202), sent.text
    phone = home.signed_in("alice", ALICE_PIN)
    answer = phone.client.post("/me/move", data=confirm_form(phone))
    assert answer.status_code == 409 and 'data-code="open_transfers"' in answer.text
    assert "还有时间正在送往别的城市，等送到了再迁。" in answer.text
    assert moves(home) == 0 and phone.get("/me").status_code == 200  # still signed in


def test_the_form_needs_the_sessions_secret(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    fields = confirm_form(phone)
    for secret in ("", "not-the-secret"):
        answer = phone.client.post("/me/move", data=fields | {"csrf": secret})
        assert answer.status_code == 403 and "这个页面放得太久了" in answer.text
    assert moves(home) == 0 and balance(home, "alice")["available_minutes"] == 750


def test_in_english(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    phone.client.cookies.set("hb_me_lang", "en")
    words = text_of(phone.get(CHECK).text)
    assert f"All your hours (12 h 30 min) move to {PEER}." in words
    assert "Once you confirm, your account here closes" in words
    answer = phone.client.post("/me/move", data=confirm_form(phone))
    assert f"Moving to {PEER}…" in text_of(phone.get(answer.headers["location"]).text)
    assert phone.get("/me/moved?to_node=nowhere&new_local_id=x").status_code == 422
