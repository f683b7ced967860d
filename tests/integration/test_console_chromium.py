"""The staff console in a real browser against a real node: headless Chromium (Debian's) drives
a `hourbridge serve` process on loopback the way station staff would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.browser import artifacts_dir, browser_page, require_chromium
from tests.integration.processes import ClusterFactory, hourbridge

pytestmark = pytest.mark.slow
NODE = "sh-pudong"
STATION = "lujiazui"


def available_minutes(page: object) -> int:
    return int(page.get_attribute("#available", "data-minutes"))  # type: ignore[attr-defined]


def test_staff_grant_hours_and_see_the_balance_change(
        make_cluster: ClusterFactory, capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()  # before starting a node for nothing
    cluster = make_cluster([NODE])
    cluster.start()
    node = cluster[NODE]
    with node.client() as admin:
        for local_id, name, year in (("wang.fang", "王芳", 1946), ("li.ming", "李明", 1975)):
            made = admin.post("/api/v1/members", json={
                "local_id": local_id, "display_name": name, "station": STATION,
                "birth_year": year})
            assert made.status_code == 201, made.text
    staff_token = hourbridge("token", "create", "--data", str(node.data), "--role", "staff",
                             "--station", STATION).strip().splitlines()[-1]

    with browser_page() as page:
        page.goto(f"{node.url}/console/members/wang.fang")
        assert page.url.startswith(f"{node.url}/console/login")  # not signed in yet
        page.fill("#token", staff_token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{node.url}/console/members/wang.fang")
        assert page.inner_text("h1") == "成员：王芳"
        assert available_minutes(page) == 0

        page.fill("#grant-hours", "3")
        page.fill("#grant-minutes", "30")
        page.select_option("#credit_class", "granted")
        page.fill("#reason", "困难老人补贴")
        page.click("section[aria-labelledby=grant-h] button[type=submit]")
        page.wait_for_selector("p.notice")
        assert page.inner_text("p.notice") == "时间已发放。"
        assert available_minutes(page) == 210
        assert page.inner_text("dd[data-class=granted]") == "3 小时 30 分"

        page.fill("#to", "li.ming")
        page.fill("#transfer-hours", "1")
        page.fill("#memo", "送给邻居")
        page.click("section[aria-labelledby=transfer-h] button[type=submit]")
        page.wait_for_selector("text=转账已完成。")
        assert available_minutes(page) == 150

        page.click("text=English")
        page.wait_for_selector("text=Available")
        shot = artifacts_dir() / "console-member.png"
        page.screenshot(path=str(shot), full_page=True)

    assert cluster.available(f"wang.fang@{NODE}") == 150
    assert cluster.available(f"li.ming@{NODE}") == 60
    assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nconsole screenshot: {Path(shot).resolve()}")
    cluster.stop()
