"""The staff console in a real browser against a real node: headless Chromium (Debian's) drives
a `hourbridge serve` process on loopback the way station staff would, through a whole service
cycle and a dispute, while the volunteer acts over the API as their phone app would; then
staff invite the elder to sign in and print her card (screenshots at desktop and phone sizes).

The node runs the Chengdu Pidu example policy: services are priced per item, so the price does
not depend on how many seconds the test's visit lasts by the node's real clock.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.config import load_config, save_config
from tests.integration.browser import artifacts_dir, browser_page, require_chromium
from tests.integration.console_pages import (
    ADMIN_PAGES,
    ADMIN_PAGES_AFTER,
    STAFF_PAGES,
    catches_a_small_target,
    every_page,
)
from tests.integration.older_eyes import axe_script, axe_violations
from tests.integration.processes import ClusterFactory, NodeProcess, hourbridge
from tests.node.imports.support import write_csv

pytestmark = pytest.mark.slow
NODE = "cd-pidu"
STATION = "xipu"
POLICY = Path(__file__).resolve().parents[2] / "examples" / "policies" / "chengdu-pidu.toml"
HAIRCUT_MINUTES, MEAL_MINUTES = 30, 20  # the policy's prices for these items
A6_PRINTABLE = {"width": 336, "height": 499}  # CSS px inside A6 (105 x 148 mm) less 8 mm margins
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
IMPORT_MEMBERS, IMPORT_RECORDS = 5_000, 50_000  # the real-looking 50,000-row spreadsheet
IMPORT_WAIT_MS = 240_000


def token(node: NodeProcess, role: str, *scope: str) -> str:
    return hourbridge("token", "create", "--data", str(node.data), "--role", role,
                      *scope).strip().splitlines()[-1]


def data_minutes(page: Any, selector: str) -> int:
    return int(page.get_attribute(selector, "data-minutes"))


def volunteer_visits(http: httpx.Client, request_id: str, code: str) -> None:
    """The volunteer's phone: accept, arrive (with the elder's visit code), leave."""
    for path, body in (("accept", {"volunteer": "li.ming"}), ("check-in", {"code": code}),
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


def print_invitation_card(page: Any, base: str) -> list[Path]:
    """Staff invite the elder to sign in; her card, at desktop and phone sizes and as printed
    on A6 (one page, no menu). A reload does not show the code again."""
    shots = [artifacts_dir() / name for name in (
        "console-member-sign-in.png", "console-invitation-card.png",
        "console-invitation-card-phone.png", "console-invitation-card-print.png")]
    page.goto(f"{base}/console/members/wang.fang")
    assert page.get_attribute("#sign-in-state", "data-state") == "none"
    page.locator("#sign-in").locator("..").screenshot(path=str(shots[0]))
    page.click("#invite")
    page.wait_for_url(f"{base}/console/members/wang.fang/invitation")
    code = page.get_attribute("#code", "data-code")
    assert code and page.is_visible("#card svg")
    page.screenshot(path=str(shots[1]), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots[2]), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.emulate_media(media="print")
    page.set_viewport_size(A6_PRINTABLE)
    assert not page.is_visible("header.top") and page.is_visible("#card")
    page.screenshot(path=str(shots[3]), full_page=True)
    pdf = page.pdf(format="A6", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, "the card does not fit on A6"
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    assert page.is_visible("#card-gone") and code not in page.content()
    return shots


def look(page: Any, name: str, axe: Path) -> list[Path]:
    """The page at the phone's and the desktop's width: no sideways scroll on the phone, no
    serious axe-core finding at either; a full-page screenshot of each."""
    shots = [artifacts_dir() / f"console-{name}-phone.png", artifacts_dir() / f"console-{name}.png"]
    for size, path in zip((PHONE, DESKTOP), shots, strict=True):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], name
        assert axe_violations(page, axe) == [], name
        page.screenshot(path=str(path), full_page=True)
    return shots


def on_the_phone(page: Any, url: str, name: str) -> Path:
    """A page at 390 x 844: never wider than the screen; back to the desktop after."""
    shot = artifacts_dir() / f"console-{name}-phone.png"
    page.set_viewport_size(PHONE)
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.screenshot(path=str(shot), full_page=True)
    page.set_viewport_size(DESKTOP)
    return shot


def upload(page: Any, file: Path, kind: str, button: str) -> None:
    page.goto(page.url.split("/console/")[0] + "/console/imports")
    page.check(f"input[name=kind][value={kind}]")
    page.set_input_files("#import-file", str(file))
    page.click(button)
    page.wait_for_load_state()


def import_in_the_browser(base: str, admin_token: str, folder: Path, directory: Path,
                          found: dict[str, list[str]]) -> list[Path]:
    """An operator checks a members file with errors (told by row and column, in words),
    imports the generated spreadsheets, verifies the downloaded receipt offline with the
    spreadsheet, and imports the records again: no change. Every operator's page is measured
    (60 px targets, a 390 px phone), and `found` (the staff pages' problems) is asserted
    empty before the long import starts."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = Path(__file__).resolve().parents[2] / "scripts" / "make_import_sample.py"
    subprocess.run([sys.executable, str(sample), str(folder), "--members",
                    str(IMPORT_MEMBERS), "--records", str(IMPORT_RECORDS)], check=True,
                   capture_output=True)
    heading = ("来源编号", "会员编号", "姓名", "出生年份", "服务站")
    wrong = write_csv(folder / "名单-有错.csv", heading, [
        ("M1", "gl000001", "王秀英", 1938, "gulou-01"), ("M2", "GL 2", "李桂兰", 1931, "gulou-01"),
        ("M3", "gl000003", "", 1850, "gulou-02"), ("M1", "gl000004", "赵德福", 1950, "gulou-02")])
    shots: list[Path] = []
    with browser_page(bypass_csp=True) as page:
        page.set_default_timeout(IMPORT_WAIT_MS)  # a 50,000-row check or import takes a while
        axe = axe_script()
        page.goto(f"{base}/console/imports")
        page.fill("#token", admin_token)
        page.click("#token-login button[type=submit]")
        page.wait_for_url(f"{base}/console/imports")
        found.update(every_page(page, base, ADMIN_PAGES))
        assert found == {}, "console pages under 60 px targets or wider than a phone"
        page.goto(f"{base}/console/imports")
        shots += look(page, "import-form", axe)
        upload(page, wrong, "members", "#import-check")
        assert page.get_attribute("#count-errors", "data-rows") == "3"
        assert page.locator("#import-errors tbody tr").count() == 4
        assert "与第 2 行重复。" in page.inner_text("#import-errors")
        shots += look(page, "import-errors", axe)
        members, records = folder / "members.xlsx", folder / "records.xlsx"
        upload(page, members, "members", "#import-go")
        assert page.get_attribute("#receipt", "data-imported") == str(IMPORT_MEMBERS)
        upload(page, records, "records", "#import-check")
        assert page.get_attribute("#count-new", "data-rows") == str(IMPORT_RECORDS)
        assert "小时" in page.inner_text("#count-new")
        upload(page, records, "records", "#import-go")
        page.wait_for_selector("text=导入完成，回执已由本节点签名。")
        shots += look(page, "import-receipt", axe)
        with page.expect_download() as download:
            page.click("#receipt-download")
        receipt = folder / download.value.suggested_filename
        download.value.save_as(receipt)
        verified = hourbridge("verify-import-receipt", str(receipt), "--directory",
                              str(directory), "--spreadsheet", str(records))
        assert f"{IMPORT_RECORDS} rows read, {IMPORT_RECORDS} imported" in verified
        upload(page, records, "records", "#import-go")
        assert page.is_visible("#receipt-no-change")
        assert page.get_attribute("#receipt", "data-imported") == "0"
        receipt_id = page.url.split("/receipts/")[1].split("?")[0]
        with httpx.Client(base_url=base, timeout=10,
                          headers={"Authorization": f"Bearer {admin_token}"}) as http:
            made = http.post("/api/v1/stations", json={
                "id": STATION, "name": "犀浦服务站", "address": "犀浦镇天府路1号",
                "district_code": "510124"})
            assert made.status_code == 201, made.text
        assert every_page(page, base, ADMIN_PAGES_AFTER, receipt=receipt_id,
                          station=STATION) == {}
    return shots


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
        code = admin.post("/api/v1/members/wang.fang/visit-code").json()["code"]
    staff_token = token(node, "staff", "--station", STATION)
    volunteer = httpx.Client(base_url=node.url, timeout=10, headers={
        "Authorization": f"Bearer {token(node, 'member', '--member', 'li.ming')}"})
    shots: list[Path] = []

    with volunteer, browser_page() as page:
        base = node.url
        page.goto(f"{base}/console/members/wang.fang")
        assert page.url.startswith(f"{base}/console/login")  # not signed in yet
        page.fill("#token", staff_token)
        page.click("#token-login button[type=submit]")
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
        volunteer_visits(volunteer, first, code)
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
        volunteer_visits(volunteer, second, code)
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

        # Lists and histories name people ("王芳", the id small beside), and fit a phone.
        shots.append(on_the_phone(page, f"{base}/console/requests/{second}", "request"))
        assert "王芳" in page.inner_text("main dl") and "李明" in page.inner_text("main dl")
        shots.append(on_the_phone(page, f"{base}/console/requests", "requests"))
        assert "王芳" in page.inner_text("table")
        shots.append(on_the_phone(page, f"{base}/console/members/wang.fang", "member"))
        # Every staff page (tests/integration/console_pages.py), asserted with the operator's.
        found = every_page(page, base, STAFF_PAGES, elder="wang.fang", first=first,
                           second=second)
        assert catches_a_small_target(page)

        shots += print_invitation_card(page, base)

        page.goto(f"{base}/console/members/wang.fang")
        page.click("text=English")
        page.wait_for_selector("text=Available")
        assert data_minutes(page, "#available") == 120 - HAIRCUT_MINUTES - 10
        shots.append(artifacts_dir() / "console-member.png")
        page.screenshot(path=str(shots[-1]), full_page=True)

    shots += import_in_the_browser(node.url, token(node, "admin"), node.data.parent / "import",
                                   cluster.root / "directory.json", found)
    # The API, read apart from the browser, agrees with what the pages showed.
    assert cluster.available(f"wang.fang@{NODE}") == 120 - HAIRCUT_MINUTES - 10
    assert cluster.available(f"li.ming@{NODE}") == HAIRCUT_MINUTES + 10
    for shot in shots:
        assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print("\nconsole screenshots:", *(str(shot.resolve()) for shot in shots), sep="\n  ")
    cluster.stop()
