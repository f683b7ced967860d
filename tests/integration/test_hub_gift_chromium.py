"""A gift routed through a regional hub (issue 18, standard §22.4), seen in a real browser:

    sh-pudong -- yrd-hub -- nj-gulou        (no direct link between the two cities)

李秀英 in Shanghai gives her son in Nanjing one hour from her personal centre on her phone.
Her node refuses the first try, while the hub is not up and its node_info unread (503
`route_not_supported`); she goes back and sends again once it is. Nanjing is down for a moment,
so the gift stays under way through the hub while she looks; once Nanjing is back she looks
again until it is delivered, and her home page lists it.

Every page she sees names the hub and the city by their names (长三角清算枢纽, 南京鼓楼), never
a node id, and is checked as tests/integration/test_centre_chromium.py checks pages (axe-core,
text and target sizes, no sideways scroll), with screenshots at the phone size and at
1280 x 900 (tests/artifacts/hub-*.png). The hours: hers down by 60, his up by 60, and the
books of all three nodes square once they have stopped.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.browser import browser_contexts, require_chromium
from tests.integration.older_eyes import axe_script
from tests.integration.processes import (
    CLEAN_EXIT,
    NAMES,
    Cluster,
    ClusterFactory,
    check_books,
)
from tests.integration.test_centre_chromium import DESKTOP, PHONE, Checker, api
from tests.integration.test_hubs_processes import link_map

pytestmark = pytest.mark.slow
SH, HUB, NJ = "sh-pudong", "yrd-hub", "nj-gulou"
LINKS = [(SH, HUB), (NJ, HUB)]
PIN = "702614"
GRANT, GIFT = 180, 60  # minutes
WAIT_S = 20.0
SON = f"子女 zhang.wei（{NAMES[NJ]}）"


def set_up(cluster: Cluster) -> str:
    """She and her son registered at their cities, he recorded as her kin, her hours granted;
    her invitation's activation link, as her station would print it."""
    sh, nj = cluster[SH], cluster[NJ]
    api(sh, "POST", "/api/v1/members", {"local_id": "li.xiuying", "display_name": "李秀英",
                                        "station": "lujiazui", "birth_year": 1948})
    api(nj, "POST", "/api/v1/members", {"local_id": "zhang.wei", "display_name": "张伟",
                                        "station": "gulou", "birth_year": 1972})
    api(sh, "POST", "/api/v1/members/li.xiuying/kin", {"relative": f"zhang.wei@{NJ}",
                                                       "relation": "child"})
    api(sh, "POST", "/api/v1/grants", {"id": "grant-li.xiuying", "member": "li.xiuying",
                                       "amount_minutes": GRANT, "credit_class": "earned",
                                       "reason": "volunteering before the test"})
    return str(api(sh, "POST", "/api/v1/members/li.xiuying/invitations")["activation_url"])


def sign_in(check: Checker, activation_url: str) -> None:
    page = check.page
    page.goto(activation_url)
    page.fill("#pin", PIN)
    page.fill("#pin_again", PIN)
    page.click("form button[type=submit]")
    page.click("text=去登录")
    page.fill("#pin", PIN)
    page.click("form button[type=submit]")
    page.wait_for_selector("#available")


def look_twice(check: Checker, name: str) -> str:
    """Checked and kept at the phone's size and at a desktop's; the page's words."""
    check.look(f"{name}-phone")
    check.page.set_viewport_size(DESKTOP)
    check.look(f"{name}-desktop")
    check.page.set_viewport_size(PHONE)
    words = str(check.page.inner_text("main"))
    for node_id in (SH, HUB, NJ):
        assert node_id not in words, (name, words)
    return words


def submitted(check: Checker) -> bool:
    """Send the filled form; False if the node asked her to try again shortly."""
    page = check.page
    page.click("form button[type=submit]")
    page.wait_for_selector("#state, p.error")
    if page.query_selector("#state") is not None:
        return True
    assert page.get_attribute("p.error", "data-code") == "route_not_supported", \
        page.inner_text("main")
    return False


def send_one_hour(check: Checker, cluster: Cluster) -> None:
    """Refused while the hub is not up, sent again (back to her form) once it is."""
    page = check.page
    page.click("#go-send")
    page.click(f"text=送时间给 {SON}")
    page.fill("#hours", str(GIFT // 60))
    assert not submitted(check)
    assert "时间没有送出" in look_twice(check, "refused-for-now")
    cluster.start(HUB)

    def again() -> bool:
        page.go_back()
        page.wait_for_selector("#hours")
        page.fill("#hours", str(GIFT // 60))
        return submitted(check)
    cluster.wait_for(again, "her node reads the hub's node_info", timeout_s=WAIT_S)


def test_a_gift_through_the_hub_names_the_hub_and_the_city(
        make_cluster: ClusterFactory, capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()  # before starting nodes for nothing
    script = axe_script()
    started = time.monotonic()
    cluster = make_cluster([SH, HUB, NJ])
    link_map(cluster, cluster.root, LINKS)
    cluster.start(SH, NJ)
    activation_url = set_up(cluster)
    assert cluster[NJ].stop() in CLEAN_EXIT  # Nanjing down for a moment: the gift waits at the hub
    hub, city = NAMES[HUB], NAMES[NJ]
    with browser_contexts(bypass_csp=True) as new_page:
        check = Checker(new_page(PHONE), script, prefix="hub")
        sign_in(check, activation_url)
        send_one_hour(check, cluster)
        page = check.page
        assert page.get_attribute("#state", "data-state") == "pending"
        words = look_twice(check, "under-way")
        assert f"正在经 {hub} 送往 {SON}…" in words, words
        assert page.inner_text("#via") == hub
        page.goto(f"{cluster[SH].url}/me")
        assert f"正在经 {hub} 送往 {SON}…" in look_twice(check, "home-under-way")
        page.go_back()

        cluster.start(NJ)
        deadline = time.monotonic() + WAIT_S
        while page.get_attribute("#state", "data-state") != "committed":
            assert time.monotonic() < deadline, f"not delivered: {page.inner_text('#state')}"
            page.click("#look-again")  # what she does: look again
            page.wait_for_selector("#state")
        assert page.inner_text("#state") == "已送达"
        look_twice(check, "delivered")
        assert page.inner_text("#via") == hub

        page.goto(f"{cluster[SH].url}/me")
        assert int(page.get_attribute("#available", "data-minutes")) == GRANT - GIFT
        assert f"送给 {SON}" in page.inner_text(".lines")
        assert city in look_twice(check, "home-after")

    assert check.problems == {}, check.problems
    assert cluster.available(f"li.xiuying@{SH}") == GRANT - GIFT
    assert cluster.available(f"zhang.wei@{NJ}") == GIFT
    cluster.stop()
    totals = check_books(cluster)
    assert totals["in_flight"] == 0
    with capsys.disabled():
        print(f"\nhub gift: {len(check.shots)} screenshots in "
              f"{time.monotonic() - started:.1f} s, e.g. {check.shots[0].resolve()}")
