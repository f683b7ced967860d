"""Member pages: search, register, balances and statement, grants and transfers made from forms,
through the same services and role checks as the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from node.access import Role
from node.console.people_names import statement_lines
from tests.conftest import Api
from tests.node.console.support import csrf_of, fresh_client, ids_of, log_in, post_form


def balance(api: Api, local_id: str) -> dict[str, object]:
    got = api.client.get(f"/api/v1/members/{local_id}/balance", headers=api.admin)
    assert got.status_code == 200, got.text
    return dict(got.json())


def shown_available(html: str) -> int:
    found = re.search(r'id="available" data-minutes="(-?[0-9]+)"', html)
    assert found, "no balance on the page"
    return int(found.group(1))


def statement_rows(html: str) -> list[list[str]]:
    """The "what" and "with" cells of each line of the member page's statement."""
    cells = r'<td data-label="(?:事项|What)">(.*?)</td>\s*<td data-label="(?:对方|With)">(.*?)</td>'
    return [[what.strip(), with_.strip()] for what, with_ in re.findall(cells, html, flags=re.S)]


def listed(html: str) -> list[str]:
    return re.findall(r'<td><a href="/console/members/([^"]+)">', html)


def test_staff_see_and_search_their_own_station(staff: TestClient) -> None:
    # zhao.lei is another station's member.
    assert listed(staff.get("/console/members").text) == ["li.ming", "wang.fang"]
    assert listed(staff.get("/console/members", params={"q": "王"}).text) == ["wang.fang"]
    assert listed(staff.get("/console/members", params={"q": "MING"}).text) == ["li.ming"]
    # % and _ are literal characters in a search, not wildcards.
    assert listed(staff.get("/console/members", params={"q": "%"}).text) == []
    assert "没有找到成员" in staff.get("/console/members", params={"q": "_"}).text


def test_register_a_member_for_the_station(staff: TestClient, api: Api) -> None:
    done = post_form(staff, "/console/members", "/console/members",
                     local_id="chen.hua", display_name="陈华", birth_year="1950")
    assert done.status_code == 303
    assert done.headers["location"] == "/console/members/chen.hua?done=member_registered"
    page = staff.get(done.headers["location"])
    assert "成员已登记" in page.text and "陈华" in page.text
    got = api.client.get("/api/v1/members/chen.hua", headers=api.admin).json()
    assert got["station"] == "lujiazui" and got["birth_year"] == 1950
    again = post_form(staff, "/console/members", "/console/members",
                      local_id="chen.hua", display_name="陈华")
    assert again.status_code == 409 and "这个成员编号已被使用" in again.text


def test_a_grant_from_the_form_changes_the_balance_once(staff: TestClient, api: Api) -> None:
    page = staff.get("/console/members/wang.fang")
    assert shown_available(page.text) == 0
    assert '<option value="earned">' not in page.text  # staff grant subsidy classes only
    form = {"csrf": csrf_of(page.text), "id": ids_of(page.text)[0], "hours": "2",
            "minutes": "30", "credit_class": "granted", "reason": "困难老人补贴"}
    done = staff.post("/console/members/wang.fang/grants", data=form)
    assert done.status_code == 303, done.text
    # The same form sent twice (a double click, a reload) replays: no second grant.
    assert staff.post("/console/members/wang.fang/grants", data=form).status_code == 303
    assert balance(api, "wang.fang")["by_class_minutes"] == {"granted": 150}
    after = staff.get(done.headers["location"])
    assert "时间已发放" in after.text
    assert shown_available(after.text) == 150
    assert "2 小时 30 分" in after.text and "困难老人补贴" in after.text


def test_staff_may_not_grant_earned_hours(staff: TestClient, api: Api) -> None:
    page = staff.get("/console/members/wang.fang")
    done = staff.post("/console/members/wang.fang/grants", data={
        "csrf": csrf_of(page.text), "id": ids_of(page.text)[0], "hours": "1",
        "credit_class": "earned", "reason": "x"})
    assert done.status_code == 403
    assert "您没有权限进行此操作" in done.text
    assert balance(api, "wang.fang")["available_minutes"] == 0


def test_bad_amounts_are_refused_with_a_readable_message(staff: TestClient, api: Api) -> None:
    page = staff.get("/console/members/wang.fang")
    for hours, minutes in (("1.5", ""), ("-1", ""), ("1", "60"), ("", ""), ("abc", "1")):
        done = staff.post("/console/members/wang.fang/grants", data={
            "csrf": csrf_of(page.text), "id": ids_of(page.text)[0], "hours": hours,
            "minutes": minutes, "credit_class": "granted", "reason": "x"})
        assert done.status_code == 422, (hours, minutes)
        assert "时长" in done.text
        assert "Traceback" not in done.text
    assert balance(api, "wang.fang")["available_minutes"] == 0


def test_a_transfer_for_an_elder(staff: TestClient, api: Api) -> None:
    api.client.post("/api/v1/grants", headers=api.admin, json={
        "id": "g1", "member": "wang.fang", "amount_minutes": 120, "credit_class": "earned",
        "reason": "paper records"})
    page = staff.get("/console/members/wang.fang")
    done = staff.post("/console/members/wang.fang/transfers", data={
        "csrf": csrf_of(page.text), "id": ids_of(page.text)[1], "to": "li.ming", "hours": "1",
        "minutes": "", "memo": "送给邻居"})
    assert done.status_code == 303, done.text
    assert "转账已完成" in staff.get(done.headers["location"]).text
    assert balance(api, "wang.fang")["available_minutes"] == 60
    assert balance(api, "li.ming")["available_minutes"] == 60
    rows = statement_rows(staff.get("/console/members/wang.fang").text)
    # The other party by name, the note she asked for; the grant's issuance account in words.
    assert rows[0] == ["转账<br><span class=\"memo\">送给邻居</span>", "李明"], rows
    assert rows[1] == ["发放<br><span class=\"memo\">paper records</span>", "本节点发放"], rows
    assert "li.ming" not in str(rows)
    too_much = staff.post("/console/members/wang.fang/transfers", data={
        "csrf": csrf_of(page.text), "id": "console-transfer-2", "to": "li.ming", "hours": "5"})
    assert too_much.status_code == 422 and "余额不足" in too_much.text
    assert balance(api, "wang.fang")["available_minutes"] == 60


def test_statement_lines_name_people_and_nodes_and_drop_the_nodes_own_notes(
        staff: TestClient, api: Api) -> None:
    here = api.node.config.node_id
    items = [
        {"kind": "service_settle", "memo": "dispute r-1: partial",
         "counterparty": [f"li.ming@{here}", "pending:services"]},
        {"kind": "transfer_in", "memo": "谢谢", "counterparty": ["wang.jun@nj-gulou"]},
        {"kind": "transfer", "memo": "", "counterparty": [f"ghost@{here}", "x@nowhere"]},
    ]
    lines = statement_lines(api.node, "zh", items)
    assert [line["memo"] for line in lines] == ["", "谢谢", ""]
    assert lines[0]["parties"] == ["李明", "服务暂扣"]
    assert lines[1]["parties"][0] == "wang.jun（nj-gulou）"  # the test directory names nodes by id
    assert lines[2]["parties"] == ["ghost", "x（nowhere）"]


def test_another_stations_member_is_refused_as_a_page(staff: TestClient) -> None:
    page = staff.get("/console/members/zhao.lei")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "您没有权限进行此操作" in page.text and "forbidden" in page.text
    missing = staff.get("/console/members/nobody")
    assert missing.status_code == 404 and "没有这个成员" in missing.text
    bad = staff.get("/console/members/NOT%20AN%20ID")
    assert bad.status_code == 422 and "Traceback" not in bad.text


def test_an_operator_sees_every_station_and_may_grant_earned(api: Api, staff_token: str) -> None:
    admin = fresh_client(api)
    assert log_in(admin, api.token("admin", Role.ADMIN)).status_code == 303
    assert listed(admin.get("/console/members").text) == ["li.ming", "wang.fang", "zhao.lei"]
    page = admin.get("/console/members/zhao.lei")
    assert page.status_code == 200 and '<option value="earned">' in page.text


def test_staff_vet_a_member_and_the_page_shows_it(staff: TestClient, api: Api) -> None:
    page = staff.get("/console/members/wang.fang")
    assert 'data-hardship="no" data-subsidised="no"' in page.text and "尚未审核" in page.text
    done = post_form(staff, "/console/members/wang.fang/vetting", "/console/members/wang.fang",
                     hardship="yes", reason="独居，低保户")
    assert done.status_code == 303
    after = staff.get(done.headers["location"]).text
    assert "审核结果已保存" in after and 'data-hardship="yes" data-subsidised="no"' in after
    assert "独居，低保户" in after
    got = api.client.get("/api/v1/members/wang.fang/vetting", headers=api.admin).json()
    assert (got["hardship"], got["subsidised"]) == (True, False)
    no_reason = post_form(staff, "/console/members/wang.fang/vetting",
                          "/console/members/wang.fang", subsidised="yes", reason="")
    assert no_reason.status_code == 422 and "理由" in no_reason.text
    assert api.client.get("/api/v1/members/wang.fang/vetting",
                          headers=api.admin).json()["subsidised"] is False
