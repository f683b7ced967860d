"""Family access and contacts, from the staff side: record kin, give a relative access and end
it, see and change where notifications go (personal data: read only on its own page, and
every read recorded by the service)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from node.db.schema import tb_audit
from tests.conftest import Api
from tests.node.console.support import post_form

PAGE = "/console/members/wang.fang"


def delegates(api: Api) -> list[dict[str, Any]]:
    got = api.client.get("/api/v1/members/wang.fang/delegates", headers=api.admin)
    assert got.status_code == 200, got.text
    return list(got.json()["items"])


def contacts_audit(api: Api) -> list[tuple[str, str]]:
    with api.node.db.read() as conn:
        rows = conn.execute(select(tb_audit.c.action, tb_audit.c.actor).where(
            tb_audit.c.subject == "contacts:wang.fang").order_by(tb_audit.c.id))
        return [(row.action, row.actor.split(":")[0]) for row in rows]


def test_give_a_relative_access_and_end_it(staff: TestClient, api: Api) -> None:
    page = staff.get(PAGE).text
    assert "目前没有家人代办" in page and 'name="delegate"' not in page  # no kin yet
    kin = post_form(staff, f"{PAGE}/kin", PAGE, relative="li.ming", relation="child")
    assert kin.status_code == 303 and kin.headers["location"].endswith("done=kin_added#kin")
    page = staff.get(kin.headers["location"]).text
    assert "亲属已登记" in page and '<option value="li.ming">李明 li.ming (子女)</option>' in page
    assert '李明 <span class="id">li.ming</span> · 子女' in page  # the kin list, by name
    granted = post_form(staff, f"{PAGE}/delegates", PAGE, delegate="li.ming")
    assert granted.status_code == 303
    [grant] = delegates(api)
    assert grant["delegate"] == "li.ming" and grant["active"]
    assert grant["granted_by"].startswith("staff:lujiazui:")
    page = staff.get(granted.headers["location"]).text
    assert "已授权家人代办" in page and 'data-delegate="li.ming" data-active="yes"' in page
    # who acts for her and who gave it, by name (the ids small beside them), and when
    assert '<strong>李明 <span class="id">li.ming</span></strong>' in page
    assert "staff（服务站工作人员（lujiazui）） <span class=\"id\">" in page and "于 20" in page
    assert 'name="delegate"' not in page  # nobody else to name
    again = post_form(staff, f"{PAGE}/delegates", PAGE, delegate="li.ming")
    assert again.headers["location"].endswith("done=delegate_in_force#family")
    ended = post_form(staff, f"{PAGE}/delegates/li.ming/revoke", PAGE)
    assert ended.status_code == 303
    [grant] = delegates(api)
    assert not grant["active"] and grant["revoked_by"].startswith("staff:lujiazui:")
    page = staff.get(ended.headers["location"]).text
    assert "已取消家人代办" in page and 'data-delegate="li.ming" data-active="no"' in page
    twice = post_form(staff, f"{PAGE}/delegates/li.ming/revoke", PAGE)
    assert twice.status_code == 404 and "这位家人目前没有代办权限" in twice.text


def test_only_registered_kin_of_this_node_may_be_named(staff: TestClient, api: Api) -> None:
    not_kin = post_form(staff, f"{PAGE}/delegates", PAGE, delegate="li.ming")
    assert not_kin.status_code == 422 and "只能授权登记为亲属的本节点成员代办" in not_kin.text
    elsewhere = post_form(staff, f"{PAGE}/kin", PAGE, relative="wang.jun@bj-dongcheng",
                          relation="child")
    assert elsewhere.status_code == 303
    page = staff.get(PAGE).text
    assert "wang.jun@bj-dongcheng" in page and 'name="delegate"' not in page
    bad = post_form(staff, f"{PAGE}/kin", PAGE, relative="li.ming", relation="boss")
    assert bad.status_code == 422 and "是该成员的" in bad.text
    assert delegates(api) == []


def test_contacts_are_read_on_their_own_page_and_saved(staff: TestClient, api: Api) -> None:
    staff.get(PAGE)
    assert contacts_audit(api) == []  # the member page does not read them
    page = staff.get(f"{PAGE}/contacts")
    assert page.status_code == 200 and "这次查看已记入审计记录" in page.text
    saved = post_form(staff, f"{PAGE}/contacts", f"{PAGE}/contacts",
                      email="wang.fang@example.cn", gateway_recipient="+8613912345678")
    assert saved.status_code == 303 and "done=contacts_saved" in saved.headers["location"]
    got = api.client.get("/api/v1/members/wang.fang/contacts", headers=api.admin).json()
    assert (got["email"], got["gateway_recipient"]) == ("wang.fang@example.cn", "+8613912345678")
    shown = staff.get(f"{PAGE}/contacts").text
    assert 'value="wang.fang@example.cn"' in shown and 'value="+8613912345678"' in shown
    bad = post_form(staff, f"{PAGE}/contacts", f"{PAGE}/contacts",
                    email="not an address", gateway_recipient="")
    assert bad.status_code == 422 and "电子邮箱" in bad.text
    erased = post_form(staff, f"{PAGE}/contacts", f"{PAGE}/contacts", email="",
                       gateway_recipient="")
    assert erased.status_code == 303
    got = api.client.get("/api/v1/members/wang.fang/contacts", headers=api.admin).json()
    assert got["email"] is None and got["gateway_recipient"] is None
    assert [action for action, actor in contacts_audit(api) if actor == "staff"] == [
        "contacts_read", "contacts_read", "contacts_written",  # the page, then the form
        "contacts_read", "contacts_read",  # the page, and the form a bad address never left
        "contacts_read", "contacts_written"]
