"""Records a station can live with (issue 14), in a real browser against real `hourbridge serve`
processes of two nodes: Nanjing (examples/policies/nanjing-2019.toml) and Shanghai
(shanghai-2026.toml, where only elders of 65 or more are served).

* Nanjing's operator registers a station and two staff logins in the console; each staff member
  signs in with a username and password, as a station's staff would;
* a visit the volunteer never checked in (the elder has no phone) is recorded from its paper
  slip by one staff member; she may not confirm it herself (separation of duties); her colleague
  confirms it and the volunteer is paid exactly the recorded 1 h 30 min;
* the volunteer's signed service certificate is issued in the console, downloaded and verified
  offline with `hourbridge verify-certificate`;
* the elder and the volunteer move to Shanghai, sharing their profiles and asking for a station;
  Shanghai's staff find them at that station on day one, with their years of birth, and post a
  need for the elder that Shanghai's age rule lets through; the certificate still verifies.

Every staff page on the way is checked at 390 x 844 and on a desktop (axe-core, no sideways
scroll) and kept as a screenshot (tests/artifacts/records-*.png).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import artifacts_dir, browser_contexts, require_chromium
from tests.integration.older_eyes import axe_script, axe_violations
from tests.integration.processes import Cluster, ClusterFactory, NodeProcess, hourbridge
from tests.integration.test_centre_chromium import api
from tests.integration.test_console_chromium import DESKTOP, PHONE, token

pytestmark = pytest.mark.slow
NJ, SH = "nj-gulou", "sh-pudong"
POLICIES = Path(__file__).resolve().parents[2] / "examples" / "policies"
PASSWORDS = {"gulou.li": "Gulou-Li-2026!", "gulou.zhao": "Gulou-Zhao-2026!",
             "ljz.wang": "Lujiazui-Wang-2026!"}
SLIP_MINUTES = 90
RELOCATED_WAIT_S = 60.0


def look(page: Any, name: str, axe: Path) -> list[Path]:
    """The page as it is, on a phone and on a desktop: readable, no sideways scroll."""
    shots = [artifacts_dir() / f"records-{name}-phone.png", artifacts_dir() / f"records-{name}.png"]
    for size, path in zip((PHONE, DESKTOP), shots, strict=True):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], name
        assert axe_violations(page, axe) == [], name
        page.screenshot(path=str(path), full_page=True)
    return shots


def start(make_cluster: ClusterFactory) -> Cluster:
    cluster = make_cluster([NJ, SH])
    for node_id, policy in ((NJ, "nanjing-2019.toml"), (SH, "shanghai-2026.toml")):
        shutil.copy(POLICIES / policy, cluster[node_id].data / "policy.toml")
    cluster.start(env={node_id: {"HOURBRIDGE_POLICY_FILE": "policy.toml"}
                       for node_id in (NJ, SH)})
    return cluster


def register(cluster: Cluster) -> None:
    nj, sh = cluster[NJ], cluster[SH]
    api(nj, "POST", "/api/v1/stations", {"id": "gulou", "name": "鼓楼服务站",
                                         "address": "中山路18号", "district_code": "320106"})
    api(sh, "POST", "/api/v1/stations", {"id": "lujiazui", "name": "陆家嘴服务站",
                                         "address": "世纪大道100号", "district_code": "310115"})
    api(sh, "POST", "/api/v1/staff-accounts", {"username": "ljz.wang", "role": "staff",
                                               "station": "lujiazui",
                                               "password": PASSWORDS["ljz.wang"]})
    for local_id, name, year in (("wang.fang", "王芳", 1946), ("chen.zq", "陈志强", 1970)):
        api(nj, "POST", "/api/v1/members", {"local_id": local_id, "display_name": name,
                                            "station": "gulou", "birth_year": year})
    api(nj, "POST", "/api/v1/grants", {"id": "grant-wang.fang", "member": "wang.fang",
                                       "amount_minutes": 600, "credit_class": "earned",
                                       "reason": "她年轻时做志愿者存下的时间"})


def operator_makes_staff(page: Any, nj: NodeProcess, axe: Path) -> list[Path]:
    """The operator signs in with her token and creates the station's two staff logins."""
    page.goto(f"{nj.url}/console/login")
    page.fill("#token", token(nj, "admin"))
    page.click("#token-login button[type=submit]")
    page.wait_for_selector("nav")
    for username in ("gulou.li", "gulou.zhao"):
        page.goto(f"{nj.url}/console/staff")
        page.fill("#username", username)
        page.select_option("#role", "staff")
        page.select_option("#station", "gulou")
        page.fill("#password", PASSWORDS[username])
        page.click("form[action='/console/staff'] button[type=submit]")
        page.wait_for_selector(f"#accounts >> text={username}")
    return look(page, "staff-accounts", axe)


def sign_in(page: Any, node: NodeProcess, username: str) -> None:
    page.goto(f"{node.url}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("#password-login button[type=submit]")
    page.wait_for_selector("nav")


def need_taken_without_check_in(nj: NodeProcess) -> str:
    """The elder's need, taken by the volunteer by telephone; nobody checks in: she has no
    phone and he carries a paper slip."""
    made = api(nj, "POST", "/api/v1/service-requests", {
        "id": "need-slip-0001", "recipient": "wang.fang", "category": "daily_living",
        "description": "买菜、打扫"})
    api(nj, "POST", f"/api/v1/service-requests/{made['id']}/accept", {"volunteer": "chen.zq"})
    return str(made["id"])


def record_slip(page: Any, nj: NodeProcess, request_id: str, axe: Path) -> list[Path]:
    page.goto(f"{nj.url}/console/requests/{request_id}")
    assert page.get_attribute("#state", "data-state") == "accepted"
    shots = look(page, "slip-form", axe)
    page.fill("#whole_reference", "纸质服务单 No.0012")
    page.fill("#whole_reason", "老人没有手机，按服务单补录")
    page.fill("#whole-hours", str(SLIP_MINUTES // 60))
    page.fill("#whole-minutes", str(SLIP_MINUTES % 60))
    page.click("section[aria-labelledby=whole-h] button[type=submit]")
    page.wait_for_selector("#state[data-state=completed]")
    # She recorded it, so she may not confirm it: the page says so in words.
    page.click("section[aria-labelledby=confirm-h] button[type=submit]")
    refusal = page.wait_for_selector("[data-code=separation_of_duties]")
    assert "补录服务单，不能再确认付款" in refusal.inner_text(), refusal.inner_text()
    return shots + look(page, "slip-refused", axe)


def colleague_confirms(page: Any, nj: NodeProcess, request_id: str, axe: Path) -> list[Path]:
    page.goto(f"{nj.url}/console/requests/{request_id}")
    page.click("section[aria-labelledby=confirm-h] button[type=submit]")
    page.wait_for_selector("#state[data-state=paid]")
    assert int(page.get_attribute("#credited", "data-minutes")) == SLIP_MINUTES
    return look(page, "slip-paid", axe)


def certificate(page: Any, nj: NodeProcess, folder: Path, axe: Path) -> tuple[Path, list[Path]]:
    page.goto(f"{nj.url}/console/members/chen.zq")
    page.click("#certificate button[type=submit]")
    page.wait_for_selector("#cert")
    assert page.inner_text("#cert-total").startswith("1 小时 30 分")
    assert page.inner_text("#cert-visits") == "1"
    shots = look(page, "certificate", axe)
    with page.expect_download() as download:
        page.click("#cert-download")
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return path, shots


def verified(path: Path, cluster: Cluster) -> str:
    return hourbridge("verify-certificate", str(path), "--directory",
                      str(cluster.root / "directory.json"))


def move_to_shanghai(cluster: Cluster, local_id: str) -> None:
    """Staff move her, with her profile: her consent to share it is recorded first (without
    it the node refuses, consent_required)."""
    api(cluster[NJ], "PUT", f"/api/v1/members/{local_id}/consents/share_on_relocation",
        {"given": True})
    moved = api(cluster[NJ], "POST", f"/api/v1/members/{local_id}/relocation", {
        "id": f"move-{local_id}", "to_node": SH, "new_local_id": local_id,
        "share_profile": True, "station": "lujiazui"})

    def committed() -> bool:
        with cluster[NJ].client() as http:
            got = http.get(f"/api/v1/relocations/{moved['id']}")
        return got.status_code == 200 and got.json()["state"] == "committed"

    cluster.wait_for(committed, f"{local_id}'s move to Shanghai", timeout_s=RELOCATED_WAIT_S)


def served_on_day_one(page: Any, sh: NodeProcess, axe: Path) -> list[Path]:
    """Shanghai's staff see her at their station, with her year of birth, and post a need."""
    page.goto(f"{sh.url}/console/members")
    assert "王芳" in page.inner_text("main") and "陈志强" in page.inner_text("main")
    shots = look(page, "shanghai-members", axe)
    page.goto(f"{sh.url}/console/members/wang.fang")
    main = page.inner_text("main")
    assert "1946" in main and "陆家嘴服务站" in main
    shots += look(page, "shanghai-member", axe)
    page.click("a[href^='/console/requests?recipient=']")
    assert page.input_value("#recipient") == "wang.fang"
    page.select_option("#category", "daily_living")
    page.fill("#description", "上门陪同就医")
    page.click("#post-request button[type=submit]")
    page.wait_for_selector("#state[data-state=open]")
    return shots + look(page, "shanghai-need", axe)


def test_paper_slips_certificates_and_a_move_served_on_day_one(
        make_cluster: ClusterFactory, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()
    axe = axe_script()
    cluster = start(make_cluster)
    register(cluster)
    nj, sh = cluster[NJ], cluster[SH]
    shots: list[Path] = []
    with browser_contexts(bypass_csp=True) as new_page:
        operator, li, zhao, shanghai = (new_page(DESKTOP) for _ in range(4))
        shots += operator_makes_staff(operator, nj, axe)
        sign_in(li, nj, "gulou.li")
        sign_in(zhao, nj, "gulou.zhao")
        request_id = need_taken_without_check_in(nj)
        shots += record_slip(li, nj, request_id, axe)
        assert cluster.available(f"chen.zq@{NJ}") == 0  # held until someone else confirms
        shots += colleague_confirms(zhao, nj, request_id, axe)
        assert cluster.available(f"chen.zq@{NJ}") == SLIP_MINUTES
        issued, pictures = certificate(zhao, nj, tmp_path, axe)
        shots += pictures
        document = json.loads(issued.read_text("utf-8"))
        assert (document["member"], document["total_minutes"]) == (f"chen.zq@{NJ}",
                                                                   SLIP_MINUTES)
        assert "verified" in verified(issued, cluster)

        for local_id in ("wang.fang", "chen.zq"):
            move_to_shanghai(cluster, local_id)
        sign_in(shanghai, sh, "ljz.wang")
        shots += served_on_day_one(shanghai, sh, axe)
    assert cluster.available(f"chen.zq@{SH}") == SLIP_MINUTES
    assert "verified" in verified(issued, cluster)  # his old node's signature, still good
    for shot in shots:
        assert shot.stat().st_size > 10_000, shot
    with capsys.disabled():
        print(f"\nrecords story: {len(shots)} screenshots, e.g. {shots[0].resolve()}")
    cluster.stop()
