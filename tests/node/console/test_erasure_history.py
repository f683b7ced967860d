"""The erasure's line in the member page's correction history reads as what happened ("erased
at her request"), not as a change "from empty to empty", in both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.console.pages_member_edits import history_line
from tests.node.console.support import post_form

WANG = "/console/members/wang.fang"


def test_the_erasure_reads_as_done_at_her_request(staff: TestClient) -> None:
    erased = post_form(staff, f"{WANG}/privacy/erase", f"{WANG}/privacy", reason="本人书面申请",
                       confirm="yes")
    assert erased.status_code == 303, erased.text
    page = staff.get(WANG).text
    assert "已按本人申请删除其个人信息。理由：本人书面申请" in page
    assert "从“空”改为“空”" not in page


def test_the_line_in_english() -> None:
    item = {"field": "erased", "before": None, "after": None, "reason": "her letter",
            "actor": "admin:t1", "actor_label": "Ms Lin", "other_name": None, "at_ms": 0}
    line = history_line("en", item)
    assert "erased her personal data at her request. Reason: her letter" in line
    assert "Ms Lin" in line and "empty" not in line
