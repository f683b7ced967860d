"""The staff console in a real browser against a real node: headless Chromium (Debian's) drives
a `hourbridge serve` process on loopback the way station staff would, through a whole service
cycle and a dispute, while the volunteer acts over the API as their phone app would.

The node runs the Chengdu Pidu example policy: services are priced per item, so the price does
not depend on how many seconds the test's visit lasts by the node's real clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from node.config import load_config, save_config
from tests.integration.browser import artifacts_dir, browser_page, require_chromium
from tests.integration.processes import ClusterFactory, NodeProcess, hourbridge

pytestmark = pytest.mark.slow
NODE = "cd-pidu"
STATION = "xipu"
POLICY = Path(__file__).resolve().parents[2] / "examples" / "policies" / "chengdu-pidu.toml"
HAIRCUT_MINUTES, MEAL_MINUTES = 30, 20  # the policy's prices for these items


def token(node: NodeProcess, role: str, *scope: str) -> str:
    return hourbridge("token", "create", "--data", str(node.data), "--role", role,
                      *scope).strip().splitlines()[-1]


def data_minutes(page: Any, selector: str) -> int:
    return int(page.get_attribute(selector, "data-minutes"))


def volunteer_visits(http: httpx.Client, request_id: str) -> None:
    """The volunteer's phone: accept, arrive, leave."""
    for path, body in (("accept", {"volunteer": "li.ming"}), ("check-in", None),
                       ("check-out", None)):
        done = http.post(f"/api/v1/service-requests/{request_id}/{path}", json=body)
        assert done.status_code == 200, done.text


def post_request_for(page: Any, base: str, elder: str, item: str) -> str:
    """From the elder's member page: the link to post a request, an item, the form."""
    page.goto(f"{base}/console/members/{elder}")
    page.click("a[href^='/console/requests?recipient=']")
    assert page.input_value("#recipient") == elder
    page.select_option("#item", item)
    page.fill("#description", "上门服务")
    page.click("#post-request button[type=submit]")
    page.wait_for_selector("text=服务需求已发布。")
    assert page.get_attribute("#state", "data-state") == "open"
    return str(page.url.split("/requests/")[1].split("?")[0])


def test_staff_run_a_service_cycle_and_a_dispute_in_the_browser(
        make_cluster: ClusterFactory, capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()  # before starting a node for nothing
    cluster = make_cluster([NODE])
    node = cluster[NODE]
    config = load_config(node.data, env={})
    save_config(config.model_copy(update={"policy_file": str(POLICY)}))
    cluster.start()
    with node.client() as admin:
        for local_id, name, year in (("wang.fang", "王芳", 1946), ("li.ming", "李明", 1975)):
            made = admin.post("/api/v1/members", json={
                "local_id": local_id, "display_name": name, "station": STATION,
                "birth_year": year})
            assert made.status_code == 201, made.text
    staff_token = token(node, "staff", "--station", STATION)
    volunteer = httpx.Client(base_url=node.url, timeout=10, headers={
        "Authorization": f"Bearer {token(node, 'member', '--member', 'li.ming')}"})
    shots: list[Path] = []

    with volunteer, browser_page() as page:
        base = node.url
        page.goto(f"{base}/console/members/wang.fang")
        assert page.url.startswith(f"{base}/console/login")  # not signed in yet
        page.fill("#token", staff_token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/console/members/wang.fang")
        assert page.inner_text("h1") == "成员：王芳"
        assert data_minutes(page, "#available") == 0

        # Staff vet the elder as in hardship; then she gets two hours from the node.
        page.check("input[name=hardship]")
        page.fill("#vetting-reason", "独居，低保户")
        page.click("section[aria-labelledby=vetting-h] button[type=submit]")
        page.wait_for_selector("text=审核结果已保存。")
        assert page.get_attribute("#vetting-state", "data-hardship") == "yes"
        page.fill("#grant-hours", "2")
        page.select_option("#credit_class", "granted")
        page.fill("#reason", "困难老人补贴")
        page.click("section[aria-labelledby=grant-h] button[type=submit]")
        page.wait_for_selector("text=时间已发放。")
        assert data_minutes(page, "#available") == 120

        # A haircut at home: posted by staff, done by the volunteer, confirmed and paid.
        first = post_request_for(page, base, "wang.fang", "haircut")
        volunteer_visits(volunteer, first)
        page.reload()
        assert page.get_attribute("#state", "data-state") == "completed"
        assert data_minutes(page, "#price") == HAIRCUT_MINUTES
        page.check("input[name=rating][value='5']")
        page.fill("#comment", "理得很好")
        page.click("section[aria-labelledby=confirm-h] button[type=submit]")
        page.wait_for_selector("text=已确认，志愿者已收到时间。")
        assert page.get_attribute("#state", "data-state") == "paid"
        assert data_minutes(page, "#credited") == HAIRCUT_MINUTES

        page.goto(f"{base}/console/members/wang.fang")
        assert data_minutes(page, "#available") == 120 - HAIRCUT_MINUTES
        page.goto(f"{base}/console/members/li.ming")
        assert data_minutes(page, "#available") == HAIRCUT_MINUTES
        assert data_minutes(page, "dd[data-class=earned]") == HAIRCUT_MINUTES

        # A meal delivery the elder complains about: the payment stays held, then staff
        # settle it in part.
        second = post_request_for(page, base, "wang.fang", "meal_delivery")
        volunteer_visits(volunteer, second)
        page.reload()
        page.fill("#complaint-reason", "饭菜送晚了")
        page.click("section[aria-labelledby=complaint-h] button[type=submit]")
        page.wait_for_selector("text=投诉已登记，付款暂停。")
        assert page.get_attribute("#state", "data-state") == "disputed"
        assert cluster.available("li.ming@" + NODE) == HAIRCUT_MINUTES  # nothing paid yet
        page.click("nav >> text=投诉与争议")
        page.click(f"a[href='/console/requests/{second}']")
        page.check("input[name=outcome][value=partial]")
        page.fill("#released-minutes", "10")
        page.fill("#resolve-reason", "双方同意按一半结算")
        page.click("section[aria-labelledby=resolve-h] button[type=submit]")
        page.wait_for_selector("text=投诉已处理。")
        assert page.get_attribute("#state", "data-state") == "paid"
        assert data_minutes(page, "#refunded") == MEAL_MINUTES - 10
        shots.append(artifacts_dir() / "console-dispute-resolved.png")
        page.screenshot(path=str(shots[-1]), full_page=True)

        page.goto(f"{base}/console/members/wang.fang")
        page.click("text=English")
        page.wait_for_selector("text=Available")
        assert data_minutes(page, "#available") == 120 - HAIRCUT_MINUTES - 10
        shots.append(artifacts_dir() / "console-member.png")
        page.screenshot(path=str(shots[-1]), full_page=True)

    # The API, read apart from the browser, agrees with what the pages showed.
    assert cluster.available(f"wang.fang@{NODE}") == 120 - HAIRCUT_MINUTES - 10
    assert cluster.available(f"li.ming@{NODE}") == HAIRCUT_MINUTES + 10
    for shot in shots:
        assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print("\nconsole screenshots:", *(str(shot.resolve()) for shot in shots), sep="\n  ")
    cluster.stop()
