"""The console reads in the reader's language (issue 14, item 10): a refusal is the sentence for
its code, never the service's English detail; lists and histories name people ("王芳", the id
small beside it), and a history keeps what staff typed, not the node's English notes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.console.people_names import typed_reason, who
from tests.conftest import Api
from tests.node.console.support import post_form
from tests.node.console.test_requests import completed, grant, post_request, step


def test_refusals_are_sentences_and_requests_name_people_in_words(staff: TestClient, api: Api,
                                                                 clock: object) -> None:
    missing = staff.get("/console/members/nobody")
    assert missing.status_code == 404 and "没有这个成员" in missing.text
    assert 'class="detail"' not in missing.text and "nobody" not in missing.text.split(
        "<main")[1].split("</main>")[0]
    grant(api, "wang.fang", 120)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 25)  # type: ignore[arg-type]
    listing = staff.get("/console/requests").text
    assert '王芳</a> <span class="id">wang.fang</span>' in listing
    assert '李明 <span class="id">li.ming</span>' in listing
    page = step(staff, request_id, "complaint", reason="饭菜送晚了")
    assert '王芳</a> <span class="id">wang.fang</span>' in page
    history = page.split("<tbody>")[-1]
    assert "服务站工作人员（lujiazui）" in history and "饭菜送晚了" in history
    assert "min measured" not in page and "minutes held" not in page
    disputes = staff.get("/console/disputes").text
    assert f'href="/console/requests/{request_id}">王芳 · Daily living 生活照料</a>' in disputes
    cancelled = post_request(staff, "li.ming", "陪同就医")
    page = step(staff, cancelled, "cancel", reason="老人住院")
    assert "老人住院" in page.split("<tbody>")[-1]


def test_actors_and_typed_reasons_read_as_words() -> None:
    names = {"li.ming": "李明"}
    assert who("zh", "member:li.ming", names).name == "李明"
    assert who("zh", "member:li.ming", names).id == "li.ming"
    assert who("en", "staff:lujiazui:tok-1", names).name == "station staff (lujiazui)"
    assert who("zh", "admin:tok-2", names).name == "管理员"
    assert typed_reason("checked_out", "30 min measured, 30 recorded, 30 held") == ""
    assert typed_reason("resolved_partial", "10 released, 20 refunded, 10 credited: 各半") \
        == "各半"
    assert typed_reason("slip_recorded", "slip P-12: 老人无手机; 90 min on the slip, 90 "
                        "recorded, 90 held (was 0)") == "P-12：老人无手机"


def test_a_certificate_names_categories_with_hours_in_words(
        staff: TestClient, second_staff: TestClient, api: Api, clock: object) -> None:
    grant(api, "wang.fang", 120)
    request_id = completed(staff, clock, "wang.fang", "li.ming", 25)  # type: ignore[arg-type]
    assert 'data-state="paid"' in step(second_staff, request_id, "confirm", rating="5")
    clock.advance(60_000)  # type: ignore[attr-defined]  # a certificate's period ends before now
    page = post_form(staff, "/console/members/li.ming/certificate", "/console/members/li.ming")
    assert page.status_code == 200, page.text
    assert "<li>Daily living 生活照料: 1 次，0 小时 25 分</li>" in page.text
    assert "daily_living" not in page.text.split('id="cert"')[1].split("</article>")[0]
