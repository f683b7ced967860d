"""The whole two-city story in a real browser, against real `hourbridge serve` processes of two
nodes, each person on a phone of their own (390 x 844, Chinese):

* station staff in Nanjing invite 王芳 (an elder) and 陈志强 (a volunteer) from the console,
  and staff in Shanghai invite her son 王军; each card's activation link is what they open;
* the son activates, gives his mother 3 hours across the federation and sees it delivered;
* the mother activates, shows her visit code, and posts a need (cleaning at home);
* the volunteer takes it, checks in with her code at her door, and checks out;
* she confirms and rates the visit; his records show it by her name and the service;
* a second visit she complains about stays held until Nanjing's staff resolve it;
* her last half hour buys a box of noodles from the station's goods;
* every notification reaches the city's webhook receiver and the SMTP server exactly once.

Every member's page on the way is checked as tests/integration/test_centre_chromium.py checks
pages (axe-core, text and target sizes, no sideways scroll) and kept as a screenshot
(tests/artifacts/story-*.png). Nanjing's node prices each service item (a policy written here),
so what a visit costs does not depend on how many seconds it lasts by the node's real clock.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.integration.browser import artifacts_dir, browser_contexts, require_chromium
from tests.integration.older_eyes import axe_script
from tests.integration.processes import Cluster, ClusterFactory, NodeProcess, hourbridge
from tests.integration.test_centre_chromium import PHONE, Checker, api
from tests.node.notify.conftest import SECRET as WEBHOOK_SECRET
from tests.node.notify.conftest import Mailbox, WebhookReceiver, smtp, webhook

pytestmark = pytest.mark.slow
__all__ = ["smtp", "webhook"]  # the real receivers, as fixtures of this module
SH, NJ = "sh-pudong", "nj-gulou"
DESKTOP = {"width": 1280, "height": 900}
PINS = {"wang.jun": "583920", "wang.fang": "702614", "chen.zq": "864205"}
SON_GRANT, GIFT, CLEANING, NOODLES = 300, 180, 75, 30  # minutes
NJ_POLICY: dict[str, Any] = {
    "programme": "nanjing_gulou_story", "name": "南京市鼓楼区时间银行 Nanjing Gulou",
    "pricing": "per_item", "unit": {"step_minutes": 15},
    "items": [{"code": "cleaning", "category": "daily_living",
               "name": "上门打扫", "price_minutes": CLEANING}],
    "goods": {"allowed": True, "items": [{"code": "noodles", "name": "挂面 一箱",
                                          "price_minutes": NOODLES}]},
}
DELIVERED_WAIT_S = 60.0


def notify_env(receiver: WebhookReceiver, mailbox: Mailbox, node_id: str) -> dict[str, str]:
    """Both channels, delivered every second (the default is 15)."""
    return {"HOURBRIDGE_NOTIFY_INTERVAL_S": "1",
            "HOURBRIDGE_NOTIFY_WEBHOOK_URL": receiver.url,
            "HOURBRIDGE_NOTIFY_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HOURBRIDGE_NOTIFY_SMTP_HOST": "127.0.0.1",
            "HOURBRIDGE_NOTIFY_SMTP_PORT": str(mailbox.port),
            "HOURBRIDGE_NOTIFY_SMTP_STARTTLS": "false",
            "HOURBRIDGE_NOTIFY_SMTP_FROM": f"timebank@{node_id}.example"}


def look_both(check: Checker, name: str) -> None:
    """The page as it is (Chinese), then in English, then back in Chinese where it was."""
    page = check.page
    check.look(name)
    base, _, path = page.url.partition("/me")
    page.goto(f"{base}/me/lang?{urlencode({'to': 'en', 'next': '/me' + path})}")
    check.look(f"{name}-en")
    page.goto(f"{base}/me/lang?{urlencode({'to': 'zh', 'next': '/me' + path})}")


def register(cluster: Cluster) -> None:
    """The members as their stations registered them, with contacts for notifications and the
    son's hours from his own volunteering."""
    sh, nj = cluster[SH], cluster[NJ]
    for node, local_id, name, station, year in (
            (sh, "wang.jun", "王军", "lujiazui", 1975), (nj, "wang.fang", "王芳", "gulou", 1946),
            (nj, "chen.zq", "陈志强", "gulou", 1970)):
        api(node, "POST", "/api/v1/members", {"local_id": local_id, "display_name": name,
                                              "station": station, "birth_year": year})
        api(node, "PUT", f"/api/v1/members/{local_id}/contacts", {
            "email": f"{local_id}@example.org", "gateway_recipient": f"wx:{local_id}"})
        api(node, "PUT", f"/api/v1/members/{local_id}/consents/notices", {"given": True})
    api(sh, "POST", "/api/v1/members/wang.jun/kin", {"relative": f"wang.fang@{NJ}",
                                                     "relation": "parent"})
    api(sh, "POST", "/api/v1/grants", {"id": "grant-wang.jun", "member": "wang.jun",
                                       "amount_minutes": SON_GRANT, "credit_class": "earned",
                                       "reason": "volunteering in Shanghai"})


def staff_sign_in(page: Any, node: NodeProcess, station: str) -> None:
    staff = hourbridge("token", "create", "--data", str(node.data), "--role", "staff",
                       "--station", station).strip().splitlines()[-1]
    page.goto(f"{node.url}/console/login")
    page.fill("#token", staff)
    page.click("#token-login button[type=submit]")
    page.wait_for_selector("nav")


def invite(staff: Any, node: NodeProcess, local_id: str, shot: str) -> str:
    """Staff press 邀请 on the member's page; the card's activation link."""
    staff.goto(f"{node.url}/console/members/{local_id}")
    staff.click("#invite")
    staff.wait_for_selector("#card svg")
    staff.screenshot(path=str(shot), full_page=True)
    return str(staff.inner_text(".card-url")).strip()


def activate(check: Checker, url: str, local_id: str, name: str) -> None:
    """Open the card's link, set the PIN twice, then sign in with it."""
    page = check.page
    page.goto(url)
    page.fill("#pin", PINS[local_id])
    page.fill("#pin_again", PINS[local_id])
    page.click("form button[type=submit]")
    page.wait_for_selector("#activated")
    check.look(f"{name}-activated")
    page.click("text=去登录")
    page.fill("#pin", PINS[local_id])
    page.click("form button[type=submit]")
    page.wait_for_selector("#available")
    check.look(f"{name}-home")


def son_gives_three_hours(son: Checker, cluster: Cluster) -> None:
    page = son.page
    page.click("#go-send")
    page.wait_for_url(re.compile(r"/me/send$"))
    page.click("text=送时间给 父母 wang.fang")
    # The form for her: a click does not wait for the page it opens.
    page.wait_for_url(re.compile(r"/me/send\?.*to="))
    page.wait_for_load_state()
    look_both(son, "son-send")
    page.fill("#hours", str(GIFT // 60))
    page.click("form button[type=submit]")
    page.wait_for_selector("#state")
    cluster.wait_for(lambda: cluster.state(SH, page.url.rsplit("/", 1)[1].split("?")[0])
                     == "committed", "the 3 hours reach Nanjing")
    if page.get_attribute("#state", "data-state") != "committed":
        page.click("#look-again")  # what he does while it is on its way: look again
    page.wait_for_selector("#state[data-state=committed]")
    assert page.inner_text("#state") == "已送达"
    look_both(son, "son-delivered")


def post_cleaning(mother: Checker, words: str, shot: str) -> str:
    page = mother.page
    page.goto(f"{page.url.split('/me')[0]}/me/needs/new")
    page.select_option("#service", "item:cleaning")
    page.fill("#description", words)
    mother.look(f"{shot}-new")
    page.click("form button[type=submit]")
    page.wait_for_selector("#state[data-state=open]")
    mother.look(shot)
    return str(page.url.rsplit("/", 1)[1].split("?")[0])


def volunteer_visits(volunteer: Checker, base: str, request_id: str, code: str,
                     shot: str) -> None:
    """Take the need, check in at her door with her code, check out."""
    page = volunteer.page
    page.goto(f"{base}/me/volunteer")
    volunteer.look(f"{shot}-open")
    page.click(f"#open li[data-request='{request_id}'] button[type=submit]")
    page.wait_for_selector(f"#mine li[data-request='{request_id}'][data-state=accepted]")
    volunteer.look(f"{shot}-taken")
    page.click(f"#mine li[data-request='{request_id}'] a.button")
    look_both(volunteer, f"{shot}-check-in")
    page.fill("#code", code)
    page.click("form button[type=submit]")
    page.wait_for_selector(f"#mine li[data-request='{request_id}'][data-state=in_progress]")
    volunteer.look(f"{shot}-arrived")
    page.click(f"#mine li[data-request='{request_id}'] button[type=submit]")
    page.wait_for_selector(f"#mine li[data-request='{request_id}'][data-state=completed]")


def open_need(mother: Checker, base: str, request_id: str, state: str) -> None:
    mother.page.goto(f"{base}/me/needs/{request_id}")
    mother.page.wait_for_selector(f"#state[data-state={state}]")


def staff_resolve(staff: Any, node: NodeProcess, request_id: str, shot: str) -> None:
    staff.goto(f"{node.url}/console/disputes")
    staff.click(f"a[href='/console/requests/{request_id}']")
    staff.check("input[name=outcome][value=release]")
    staff.fill("#resolve-reason", "志愿者按时完成，老人同意付款")
    staff.click("section[aria-labelledby=resolve-h] button[type=submit]")
    staff.wait_for_selector("text=投诉已处理。")
    staff.screenshot(path=shot, full_page=True)


def spend_the_rest(mother: Checker, base: str) -> None:
    """Her last half hour buys a box of noodles at the station."""
    page = mother.page
    page.goto(f"{base}/me/goods")
    look_both(mother, "mother-goods")
    page.click("li[data-goods=noodles] button[type=submit]")
    page.wait_for_selector("#state[data-goods=noodles]")
    assert int(page.get_attribute("#available", "data-minutes")) == 0
    look_both(mother, "mother-goods-done")


def sent_once(cluster: Cluster, receiver: WebhookReceiver, mailbox: Mailbox) -> Counter[str]:
    """Every notification of both nodes delivered on both channels; each receiver got each
    one exactly once (by its idempotency key). The kinds, counted."""
    notes: dict[str, str] = {}
    for node_id in (SH, NJ):
        node = cluster[node_id]
        cluster.wait_for(lambda node=node: node.query(  # type: ignore[misc]
            "SELECT count(*) FROM notification_deliveries WHERE state != 'delivered'"
            ) == [(0,)] and len(node.query("SELECT notification_id FROM "
                                           "notification_deliveries")) == 2 * len(
                node.query("SELECT id FROM notifications")),
            f"{node_id}'s notifications delivered", timeout_s=DELIVERED_WAIT_S)
        notes |= {f"{node_id}:{n}": kind for n, kind in node.query(
            "SELECT id, kind FROM notifications")}
    hooks = Counter(posted.headers["x-hourbridge-delivery"] for posted in receiver.received)
    mails = Counter(str(mail["Message-ID"]) for mail in mailbox.mails)
    assert hooks == Counter(notes.keys()), (hooks, notes)
    assert mails == Counter(f"<notification-{key.split(':')[1]}@{key.split(':')[0]}"
                            ".hourbridge>" for key in notes), (mails, notes)
    for posted in receiver.received:
        body = json.loads(posted.body)
        assert body["member"] in PINS, body
    return Counter(notes.values())


def test_a_family_in_two_cities_and_a_volunteer_use_their_phones(
        make_cluster: ClusterFactory, webhook: WebhookReceiver, smtp: Mailbox,
        capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()  # before starting nodes for nothing
    script = axe_script()
    cluster = make_cluster([NJ, SH])
    (cluster[NJ].data / "policy.json").write_text(json.dumps(NJ_POLICY), "utf-8")
    cluster.start(env={SH: notify_env(webhook, smtp, SH),
                       NJ: notify_env(webhook, smtp, NJ) | {"HOURBRIDGE_POLICY_FILE":
                                                            "policy.json"}})
    register(cluster)
    sh, nj = cluster[SH], cluster[NJ]
    with browser_contexts(bypass_csp=True) as new_page:
        staff_sh, staff_nj = new_page(DESKTOP), new_page(DESKTOP)
        son, mother, volunteer = (Checker(new_page(PHONE), script, prefix="story")
                                  for _ in range(3))
        staff_sign_in(staff_sh, sh, "lujiazui")
        staff_sign_in(staff_nj, nj, "gulou")
        cards = {local_id: invite(staff, node, local_id,
                                  str(artifacts_dir() / f"story-staff-card-{local_id}.png"))
                 for staff, node, local_id in ((staff_sh, sh, "wang.jun"),
                                               (staff_nj, nj, "wang.fang"),
                                               (staff_nj, nj, "chen.zq"))}

        activate(son, cards["wang.jun"], "wang.jun", "son")
        son_gives_three_hours(son, cluster)

        activate(mother, cards["wang.fang"], "wang.fang", "mother")
        assert int(mother.page.get_attribute("#available", "data-minutes")) == GIFT
        mother.page.click("#go-visit-code")
        mother.page.click("form[action='/me/visit-code'] button[type=submit]")
        mother.page.wait_for_selector("#code")
        code = str(mother.page.inner_text("#code")).strip()
        assert len(code) == 6 and code.isdigit()
        look_both(mother, "mother-visit-code")
        first = post_cleaning(mother, "厨房和卫生间", "mother-need")

        activate(volunteer, cards["chen.zq"], "chen.zq", "volunteer")
        volunteer_visits(volunteer, nj.url, first, code, "volunteer")

        open_need(mother, nj.url, first, "completed")
        assert mother.page.inner_text("#volunteer") == "陈志强"
        look_both(mother, "mother-need-done")
        mother.page.select_option("#rating", "5")
        mother.page.fill("#comment", "打扫得很干净")
        mother.page.click("form[action$='/confirm'] button[type=submit]")
        mother.page.wait_for_selector("#state[data-state=paid]")
        mother.look("mother-need-paid")
        mother.page.goto(f"{nj.url}/me")
        assert "陈志强 上门打扫" in mother.page.inner_text(".lines")
        mother.look("mother-home-after")

        volunteer.page.goto(f"{nj.url}/me")
        assert int(volunteer.page.get_attribute("#available", "data-minutes")) == CLEANING
        assert "王芳 上门打扫" in volunteer.page.inner_text(".lines")
        look_both(volunteer, "volunteer-home-after")

        second = post_cleaning(mother, "窗户", "mother-need-2")
        volunteer_visits(volunteer, nj.url, second, code, "volunteer-2")
        open_need(mother, nj.url, second, "completed")
        mother.page.fill("#reason", "说好擦窗户，只擦了一半")
        mother.page.click("form[action$='/complaint'] button[type=submit]")
        mother.page.wait_for_selector("#state[data-state=disputed]")
        assert mother.page.is_visible("#held")
        look_both(mother, "mother-complaint")
        assert cluster.available(f"chen.zq@{NJ}") == CLEANING  # held, not paid
        staff_resolve(staff_nj, nj, second, str(artifacts_dir() / "story-staff-resolved.png"))
        open_need(mother, nj.url, second, "paid")
        mother.look("mother-complaint-resolved")
        spend_the_rest(mother, nj.url)

        mother.page.goto(f"{nj.url}/me/notifications")
        look_both(mother, "mother-notifications")
        son.page.goto(f"{sh.url}/me/notifications")
        son.look("son-notifications")
        volunteer.page.goto(f"{nj.url}/me/notifications")
        volunteer.look("volunteer-notifications")

    assert son.problems == mother.problems == volunteer.problems == {}
    kinds = sent_once(cluster, webhook, smtp)
    assert kinds == Counter({"request_taken": 2, "volunteer_arriving": 2, "visit_confirmed": 1,
                             "complaint_resolved": 2, "hours_received": 1}), kinds
    assert cluster.available(f"wang.jun@{SH}") == SON_GRANT - GIFT
    assert cluster.available(f"wang.fang@{NJ}") == GIFT - 2 * CLEANING - NOODLES == 0
    assert cluster.available(f"chen.zq@{NJ}") == 2 * CLEANING
    shots = son.shots + mother.shots + volunteer.shots
    for picture in shots:
        assert picture.stat().st_size > 5_000, picture
    with capsys.disabled():
        print(f"\ntwo-city story: {len(shots)} screenshots, e.g. {shots[0].resolve()}")
    cluster.stop()
