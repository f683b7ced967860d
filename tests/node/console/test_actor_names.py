"""Names instead of ids (node/console/actor_names.py): a member by her name, staff by their
token's label or account's username with role and station, ids small beside them, and an
erased member as erased, never by her old name."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.console import actor_names
from tests.conftest import Api
from tests.node.console.support import post_form

WANG = "/console/members/wang.fang"


def test_members_and_staff_read_by_name_and_the_erased_as_erased(staff: TestClient,
                                                                 api: Api) -> None:
    actors = ["member:wang.fang", "staff:lujiazui:acct.zhou", "admin:nope", "odd"]
    found = actor_names.look_up(api.node, actors=actors, member_ids=["li.ming", "ghost"])
    named = [actor_names.actor("zh", actor, found) for actor in actors]
    assert named[0] == actor_names.Named("王芳", "wang.fang")
    assert named[1] == actor_names.Named("zhou（服务站工作人员（lujiazui））", "")
    assert named[2] == actor_names.Named("管理员", "nope")  # a token the node does not know
    assert named[3] == actor_names.Named("odd", "")
    assert str(named[0].html()) == '王芳 <span class="id">wang.fang</span>'
    assert actor_names.member("zh", "ghost", found) == actor_names.Named("ghost", "")
    escaped = '&lt;b&gt; <span class="id">x&amp;y</span>'
    assert str(actor_names.Named("<b>", "x&y").html()) == escaped
    erased = post_form(staff, f"{WANG}/privacy/erase", f"{WANG}/privacy", reason="本人书面申请",
                       confirm="yes")
    assert erased.status_code == 303, erased.text
    found = actor_names.look_up(api.node, actors=actors[:1])
    assert actor_names.actor("zh", "member:wang.fang", found) == actor_names.Named(
        "已注销的成员", "wang.fang")
    assert actor_names.actor("en", "member:wang.fang", found).name == \
        "a member whose data was erased"
