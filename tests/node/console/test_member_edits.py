"""The member page's record section: staff correct a record from its form and read the history
in words; a move to another station takes her off their desk; registering a possible
duplicate warns; an operator merges it (the `staff` fixture: wang.fang and li.ming at
lujiazui, born 1948; zhao.lei at huamu)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from node.access import Role
from tests.conftest import Api
from tests.node.console.support import fresh_client, log_in, post_form

WANG = "/console/members/wang.fang"


def test_staff_correct_a_record_and_the_page_tells_its_history(staff: TestClient,
                                                               api: Api) -> None:
    page = staff.get(WANG)
    assert 'id="record"' in page.text and "还没有更正过" in page.text
    assert 'id="merge"' not in page.text  # merging is for operators
    done = post_form(staff, f"{WANG}/record", WANG, display_name="王芳",
                     birth_year="1945", station="lujiazui", reason="核对身份证")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{WANG}?done=record_corrected"
    page = staff.get(done.headers["location"])
    assert "已保存更正" in page.text
    # who by name (the token's label, role and station), the token's id small beside it
    assert re.search(r'staff（服务站工作人员（lujiazui）） <span class="id">[^<]+</span>把出生年份'
                     r"从“1948”改为“1945”。理由：核对身份证", page.text)
    got = api.client.get("/api/v1/members/wang.fang", headers=api.admin).json()
    assert got["birth_year"] == 1945 and got["display_name"] == "王芳"
    staff.get("/console/lang", params={"to": "en"})
    english = staff.get(WANG).text
    assert "changed the year of birth from “1948” to “1945”. Why: 核对身份证" in english


def test_a_move_to_another_station_takes_her_off_this_desk(staff: TestClient) -> None:
    done = post_form(staff, "/console/members/li.ming/record", "/console/members/li.ming",
                     display_name="李明", birth_year="1948", station="huamu", reason="搬家")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/console/members?done=record_corrected"
    assert staff.get("/console/members/li.ming").status_code == 403
    assert "li.ming" not in staff.get("/console/members").text


def test_bad_forms_are_refused_in_words(staff: TestClient, api: Api) -> None:
    bad_year = post_form(staff, f"{WANG}/record", WANG, display_name="王芳", birth_year="19x5",
                         reason="typo")
    assert bad_year.status_code == 422 and "请检查表单" in bad_year.text
    no_reason = post_form(staff, f"{WANG}/record", WANG, display_name="王芳", birth_year="1948",
                          reason="")
    assert no_reason.status_code == 422 and "理由" in no_reason.text
    forged = staff.post(f"{WANG}/record", data={"csrf": "forged", "display_name": "x",
                                                "reason": "x"})
    assert forged.status_code == 403
    other = post_form(staff, "/console/members/zhao.lei/record", WANG, display_name="赵磊",
                      reason="not mine")
    assert other.status_code == 403
    got = api.client.get("/api/v1/members/wang.fang/changes", headers=api.admin).json()
    assert got["items"] == []


def test_a_possible_duplicate_warns_and_an_operator_merges_it(staff: TestClient,
                                                              api: Api) -> None:
    done = post_form(staff, "/console/members", "/console/members", local_id="wang.fang2",
                     display_name="王 芳", birth_year="1948")
    assert done.status_code == 303
    page = staff.get(done.headers["location"])
    assert "可能重复登记" in page.text and 'data-duplicate="wang.fang"' in page.text
    api.client.post("/api/v1/grants", headers=api.admin, json={
        "id": "g-dup", "member": "wang.fang2", "amount_minutes": 90, "credit_class": "granted",
        "reason": "winter"})
    admin = fresh_client(api)
    assert log_in(admin, api.token("admin", Role.ADMIN)).status_code == 303
    merged = post_form(admin, "/console/members/wang.fang2/merge", "/console/members/wang.fang2",
                       into="wang.fang", reason="同一人登记两次")
    assert merged.status_code == 303, merged.text
    assert merged.headers["location"] == f"{WANG}?done=merged"
    kept = admin.get(merged.headers["location"]).text
    assert "已合并" in kept and "并入此成员。理由：同一人登记两次" in kept
    assert 'data-minutes="90"' in kept
    assert "重复登记合并" in kept  # the statement names the entry in words
    again = post_form(admin, "/console/members/wang.fang/merge", WANG, into="wang.fang2",
                      reason="the other way")
    assert again.status_code == 422 and "停用" in again.text


def test_an_operator_places_members_without_a_station(staff: TestClient, api: Api) -> None:
    """As a member who arrived by relocation: her old address as name, no year, no station."""
    made = api.client.post("/api/v1/members", headers=api.admin, json={
        "local_id": "arrived", "display_name": "m0@nj-gulou"})
    assert made.status_code == 201, made.text
    assert staff.get("/console/unplaced-members").status_code == 403
    admin = fresh_client(api)
    assert log_in(admin, api.token("admin", Role.ADMIN)).status_code == 303
    assert 'id="unplaced-link"' in admin.get("/console/members").text
    listing = admin.get("/console/unplaced-members").text
    assert '<a href="/console/members/arrived#record">m0@nj-gulou</a>' in listing
    assert "还没有服务站" in admin.get("/console/members/arrived").text
    placed = post_form(admin, "/console/members/arrived/record", "/console/members/arrived",
                       display_name="孙丽", birth_year="1950", station="lujiazui",
                       reason="从南京迁入，核对户口本")
    assert placed.status_code == 303, placed.text
    assert "所有成员都已安排服务站" in admin.get("/console/unplaced-members").text
    page = staff.get("/console/members/arrived")
    assert page.status_code == 200 and "孙丽" in page.text and "从南京迁入" in page.text
