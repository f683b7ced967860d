"""The personal centre in a real browser against real `hourbridge serve` processes of two
nodes: a son in Shanghai, invited by his station through the JSON API, sets his PIN on his
phone (390 x 844, Chinese), signs in, sees the hours he was granted, gives one hour to his
mother in Nanjing and sees it delivered, and reads the message that hours came back from her.

Every page is checked on the way, in Chinese and in English: axe-core (from its installed
package) with no serious or critical violation, text of at least 18 px with line height 1.3,
tap targets of at least 60 x 60 px, and nothing wider than the phone. Screenshots of every
page go to the test artefacts, at the phone size and at 1280 x 900.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import artifacts_dir, browser_page, require_chromium
from tests.integration.older_eyes import axe_script, axe_violations, measured_problems
from tests.integration.processes import Cluster, ClusterFactory, NodeProcess

pytestmark = pytest.mark.slow
SH, NJ = "sh-pudong", "nj-gulou"
PIN = "583920"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
GRANT_MINUTES, GIFT_MINUTES, BACK_MINUTES = 180, 60, 30
ARRIVAL_WAIT_S = 20.0


@dataclass
class Checker:
    """Checks the page the browser shows and keeps its screenshot."""

    page: Any
    axe: Path
    problems: dict[str, list[str]] = field(default_factory=dict)
    shots: list[Path] = field(default_factory=list)
    prefix: str = "centre"  # of the screenshots' file names

    def look(self, name: str, *, axe: bool = True) -> None:
        width = self.page.viewport_size["width"]
        found = measured_problems(self.page, max_width=width)
        if axe:
            found += axe_violations(self.page, self.axe)
        if found:
            self.problems[name] = found
        self.shots.append(artifacts_dir() / f"{self.prefix}-{name}.png")
        self.page.screenshot(path=str(self.shots[-1]), full_page=True)


def the_checks_would_catch_a_bad_page(check: Checker) -> None:
    """A test must be able to fail: small text, a small link and an image without words are
    found by our measurements and by axe-core."""
    check.page.set_content('<html lang="en"><body><p style="font-size:12px">tiny</p>'
                           '<a href="/x">x</a><img src="/y.png">'
                           '<div style="width:900px">wide</div></body></html>')
    measured = measured_problems(check.page, max_width=390)
    assert any(p.startswith("text 12px") for p in measured), measured
    assert any(p.startswith("target ") for p in measured), measured
    assert any(p.startswith("scrollWidth") for p in measured), measured
    assert any(v.startswith("image-alt (critical)") for v in axe_violations(check.page,
                                                                            check.axe))


def api(node: NodeProcess, method: str, path: str, body: dict[str, Any] | None = None
        ) -> dict[str, Any]:
    with node.client() as http:
        response = http.request(method, path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def set_up(cluster: Cluster) -> str:
    """The son and his mother registered, his kin recorded, hours granted; his invitation's
    activation link, as staff would print it."""
    sh, nj = cluster[SH], cluster[NJ]
    api(sh, "POST", "/api/v1/members", {"local_id": "wang.jun", "display_name": "王军",
                                        "station": "lujiazui", "birth_year": 1975})
    api(nj, "POST", "/api/v1/members", {"local_id": "wang.fang", "display_name": "王芳",
                                        "station": "gulou", "birth_year": 1946})
    api(sh, "POST", "/api/v1/members/wang.jun/kin", {"relative": f"wang.fang@{NJ}",
                                                     "relation": "parent"})
    for node, member in ((sh, "wang.jun"), (nj, "wang.fang")):
        api(node, "POST", "/api/v1/grants", {
            "id": f"grant-{member}", "member": member, "amount_minutes": GRANT_MINUTES,
            "credit_class": "earned", "reason": "volunteering before the test"})
    # the station sends her gift back for her (read_the_message): her standing consent
    api(nj, "PUT", "/api/v1/members/wang.fang/consents/cross_node_gifts", {"given": True})
    invitation = api(sh, "POST", "/api/v1/members/wang.jun/invitations")
    return str(invitation["activation_url"])


def activate_and_sign_in(check: Checker, activation_url: str) -> None:
    page = check.page
    page.goto(activation_url)
    check.look("activate-zh-phone")
    page.fill("#pin", PIN)
    page.fill("#pin_again", PIN)
    page.click("form button[type=submit]")
    page.wait_for_selector("#activated")
    assert page.get_attribute("#activated", "data-member") == "wang.jun"
    check.look("activated-zh-phone")
    page.click("text=去登录")
    assert page.input_value("#member") == "wang.jun"
    page.fill("#pin", "000111")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=会员号或密码不对，请再试一次。")
    check.look("login-wrong-zh-phone")
    page.fill("#pin", PIN)
    page.click("form button[type=submit]")
    page.wait_for_selector("#available")


def give_an_hour(check: Checker, cluster: Cluster) -> str:
    """From the centre: the mother from his kin, one hour, until it shows delivered."""
    page = check.page
    assert int(page.get_attribute("#available", "data-minutes")) == GRANT_MINUTES
    check.look("home-zh-phone")
    page.click("#go-send")
    check.look("send-zh-phone")
    page.click("text=送时间给 父母 wang.fang")
    assert page.get_attribute("#recipient", "data-to") == f"wang.fang@{NJ}"
    check.look("send-amount-zh-phone")
    page.fill("#hours", "1")
    page.click("form button[type=submit]")
    page.wait_for_selector("#state")
    transfer_url = page.url
    deadline = time.monotonic() + ARRIVAL_WAIT_S
    while page.get_attribute("#state", "data-state") != "committed":
        assert time.monotonic() < deadline, f"not delivered: {page.inner_text('#state')}"
        page.click("#look-again")  # what the person does: look again
        page.wait_for_selector("#state")
    assert page.inner_text("#state") == "已送达"
    check.look("transfer-zh-phone")
    cluster.wait_for(lambda: cluster.available(f"wang.fang@{NJ}") == GRANT_MINUTES
                     + GIFT_MINUTES, "the hour reaches Nanjing")
    return str(transfer_url)


def read_the_message(check: Checker, cluster: Cluster, base: str) -> None:
    """His mother gives half an hour back; the centre tells him, and he marks it read."""
    page = check.page
    sent = cluster.transfer(NJ, "back-1", "wang.fang", f"wang.jun@{SH}", BACK_MINUTES)
    assert sent.status_code == 201, sent.text
    cluster.wait_for(lambda: cluster.state(NJ, "back-1") == "committed", "the gift back")
    page.goto(f"{base}/me")
    page.wait_for_selector("text=我的消息（1 条新的）")
    page.click("#go-notes")
    assert "您收到 30 分" in page.inner_text("main")
    check.look("notifications-zh-phone")
    page.click("text=知道了")
    page.wait_for_selector("li.read")
    assert page.locator("li.unread").count() == 0


def english_and_desktop(check: Checker, base: str, transfer_url: str) -> None:
    """Every signed-in page in Chinese and in English on the phone (axe-core and the size
    checks), then in Chinese at desktop size, with larger text on the phone first."""
    page = check.page
    pages = {"home": f"{base}/me", "send": f"{base}/me/send",
             "send-amount": f"{base}/me/send?to=wang.fang@{NJ}", "transfer": transfer_url,
             "notifications": f"{base}/me/notifications",
             "rates": f"{base}/me/rates",
             "volunteer": f"{base}/me/volunteer", "visit-code": f"{base}/me/visit-code",
             "needs": f"{base}/me/needs", "need-new": f"{base}/me/needs/new",
             "family": f"{base}/me/family", "contacts": f"{base}/me/contacts",
             "family-grant": f"{base}/me/family/grant?delegate=wang.fang",
             "goods": f"{base}/me/goods", "donate": f"{base}/me/donate", "move": f"{base}/me/move",
             "move-check": f"{base}/me/move/check?to_node={NJ}&new_local_id=wang.jun",
             "privacy": f"{base}/me/privacy", "privacy-export": f"{base}/me/privacy/export",
             "certificate": f"{base}/me/certificate",
             "error": f"{base}/me/transfers/no-such-transfer"}
    page.goto(f"{base}/me/size?to=big&next=/me")
    check.look("home-big-zh-phone")
    page.goto(f"{base}/me/size?to=normal&next=/me")
    for name, url in pages.items():
        page.goto(url)
        check.look(f"{name}-zh-phone")
    page.goto(f"{base}/me/lang?to=en&next=/me")
    for name, url in pages.items():
        page.goto(url)
        check.look(f"{name}-en-phone")
    page.goto(f"{base}/me/lang?to=zh&next=/me")
    page.set_viewport_size(DESKTOP)
    for name, url in pages.items():
        page.goto(url)
        check.look(f"{name}-zh-desktop", axe=False)  # axe ran on these pages on the phone
    page.set_viewport_size(PHONE)


def visit_code_and_scan(check: Checker, cluster: Cluster, base: str) -> None:
    """His own visit code with its QR; then, as a volunteer who took zhao.lan's request, what
    her QR opens (/me/scan) and its one button, which checks him in."""
    sh = cluster[SH]
    api(sh, "POST", "/api/v1/members/wang.jun/visit-code")
    api(sh, "POST", "/api/v1/members", {"local_id": "zhao.lan", "display_name": "赵兰",
                                        "station": "lujiazui", "birth_year": 1940})
    api(sh, "POST", "/api/v1/service-requests", {"id": "scan-1", "recipient": "zhao.lan",
                                                 "category": "daily_living"})
    api(sh, "POST", "/api/v1/service-requests/scan-1/accept", {"volunteer": "wang.jun"})
    code = api(sh, "POST", "/api/v1/members/zhao.lan/visit-code")["code"]
    page = check.page
    page.goto(f"{base}/me/visit-code")
    assert page.locator("#code-qr svg").count() == 1
    check.look("visit-code-qr-zh-phone")
    page.goto(f"{base}/me/scan?elder=zhao.lan&code={code}")
    check.look("scan-zh-phone")
    page.click("li[data-request='scan-1'] button.scan-go")
    page.wait_for_load_state()
    assert page.url.endswith("/me/volunteer"), (page.url, page.inner_text("main"))
    page.wait_for_selector("li[data-request='scan-1'][data-state='in_progress']")
    page.goto(f"{base}/me/scan?elder=zhao.lan&code={code}")
    page.wait_for_selector("#scan-arrived")
    check.look("scan-arrived-zh-phone")


def signed_out_in_english(check: Checker, cluster: Cluster, base: str) -> None:
    """Signing out, then the pages before signing in, in English: a weak PIN refused, and a
    neighbour's card activated."""
    page = check.page
    page.goto(f"{base}/me")
    page.click("footer button[type=submit]")
    page.wait_for_selector("text=您已退出。")
    check.look("signed-out-zh-phone")
    page.goto(f"{base}/me/lang?to=en&next=/me/login")
    check.look("login-en-phone")
    page.goto(f"{base}/me/activate?code=XXXX-XXXX-XXXX")
    page.fill("#pin", "111111")
    page.fill("#pin_again", "111111")
    page.click("form button[type=submit]")
    page.wait_for_selector("#activate-error")
    check.look("activate-weak-en-phone")
    api(cluster[SH], "POST", "/api/v1/members", {"local_id": "li.hua", "display_name": "李华",
                                                 "station": "lujiazui"})
    page.goto(str(api(cluster[SH], "POST", "/api/v1/members/li.hua/invitations")[
        "activation_url"]))
    page.fill("#pin", "402718")
    page.fill("#pin_again", "402718")
    page.click("form button[type=submit]")
    page.wait_for_selector("#activated")
    check.look("activated-en-phone")


def test_a_member_uses_the_personal_centre_in_the_browser(
        make_cluster: ClusterFactory, capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()  # before starting nodes for nothing
    script = axe_script()
    cluster = make_cluster([NJ, SH])
    cluster.start()
    activation_url = set_up(cluster)
    base = cluster[SH].url
    with browser_page(bypass_csp=True) as page:
        page.set_viewport_size(PHONE)
        check = Checker(page, script)
        the_checks_would_catch_a_bad_page(check)
        activate_and_sign_in(check, activation_url)
        transfer_url = give_an_hour(check, cluster)
        read_the_message(check, cluster, base)
        english_and_desktop(check, base, transfer_url)
        visit_code_and_scan(check, cluster, base)
        signed_out_in_english(check, cluster, base)
    assert check.problems == {}
    assert cluster.available(f"wang.jun@{SH}") == GRANT_MINUTES - GIFT_MINUTES + BACK_MINUTES
    for shot in check.shots:
        assert shot.stat().st_size > 5_000, shot
    with capsys.disabled():
        print("\ncentre screenshots:", *(str(shot.resolve()) for shot in check.shots),
              sep="\n  ")
    cluster.stop()
