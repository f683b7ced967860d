"""`scripts/federation.py --smoke`, the engine of `./scripts/up`, with real node processes.

Four `hourbridge serve` processes on loopback (three cities and the clearing hub the gift from
Shanghai to Nanjing goes through), seeded over HTTP, balances read back over HTTP, then stopped.
A second run on the same folder must reuse the nodes, tokens and link map and replay the seeding
instead of adding the hours again.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.browser import CHROMIUM, REQUIRE_ENV, artifacts_dir, browser_contexts
from tests.integration.older_eyes import measured_problems

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "federation.py"
CITIES = ("sh-pudong", "nj-gulou", "bj-chaoyang")
HUB = "yrd-hub"
NODES = (*CITIES, HUB)
RUN_TIMEOUT_S = 300  # a hang guard: one run takes some 40 s alone, minutes on a loaded CI machine

# The demo data by hand: grants in, gifts moved from volunteer to elder.
SEEDED_MINUTES = {
    "wang-guifang@sh-pudong": 600 + 120,
    "chen-jianguo@sh-pudong": 480,
    "zhou-min@sh-pudong": 1800 - 120,
    "liu-yang@sh-pudong": 720,
    "sun-xiulan@nj-gulou": 360 + 240,
    "zhao-lei@nj-gulou": 1500,
    "wu-jing@nj-gulou": 900 - 240,
    "li-shufen@bj-chaoyang": 600 + 300 + 180,
    "ma-hui@bj-chaoyang": 1200 - 180,
    "he-xiaoyu@bj-chaoyang": 540,
}

# The story by hand (scripts/demo_story.py): a 3 h gift Shanghai -> Nanjing, 2 h of it spent
# there on a service visit, a 1 h lesson in Beijing complained about and half paid, Chen
# Jianguo's 480 minutes moved to Beijing, a gift to his old address refused.
AFTER_STORY = {
    **SEEDED_MINUTES,
    "liu-yang@sh-pudong": 720 - 180,
    "sun-xiulan@nj-gulou": 360 + 240 + 180 - 120,
    "zhao-lei@nj-gulou": 1500 + 120,
    "li-shufen@bj-chaoyang": 600 + 300 + 180 - 30,
    "he-xiaoyu@bj-chaoyang": 540 + 30,
    "chen-jianguo@sh-pudong": 0,
}
STORY_LINES = (
    "committed after",  # the gift across cities, over real processes
    "request story-2-cleaning: zhao-lei served sun-xiulan; paper slip NJ-HNL-0001: 2 h 00 min",
    "confirmed by the station's staff with 5 stars: 2 h 00 min paid from her hours to zhao-lei",
    "li-shufen complains: the lesson ended after twenty minutes; the station settles it "
    "(partial): 0 h 30 min paid to he-xiaoyu, 0 h 30 min back to li-shufen",
    "new address chen-jianguo@bj-chaoyang: holds 8 h 00 min (sponsored 480)",
    "chen-jianguo@sh-pudong is now relocated, pointing to chen-jianguo@bj-chaoyang",
    "Shanghai refused it (creditor_relocated) and named the new address "
    "chen-jianguo@bj-chaoyang",
)

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
PORTAL_START_S = 30

pytestmark = pytest.mark.slow


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port() -> int:
    """The first of consecutive free loopback ports for every node and the portal after them."""
    wanted = len(NODES) + 1
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + wanted <= 65536 and all(port_is_free(base + i) for i in range(wanted)):
            return base
    raise AssertionError(f"no {wanted} consecutive free ports on loopback")


def smoke(data: Path, base_port: int) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--data", str(data),
         "--base-port", str(base_port)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def assert_verify_report(report: Path, directory: Path, *, ok: bool) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hourbridge"), "verify-report", str(report),
         "--directory", str(directory)], capture_output=True, text=True, timeout=60)
    assert (done.returncode == 0) == ok, f"{done.stdout}\n{done.stderr}"


def verified_balances(output: str) -> dict[str, int]:
    return {
        match["address"]: int(match["minutes"])
        for match in re.finditer(r"^ok (?P<address>\S+@\S+) (?P<minutes>\d+) min$", output, re.M)
    }


def chromium_here() -> bool:
    """Whether the browser can run here (it must where REQUIRE_ENV says so, as in CI)."""
    here = CHROMIUM.is_file() and importlib.util.find_spec("playwright") is not None
    assert here or os.environ.get(REQUIRE_ENV) != "1", f"{REQUIRE_ENV}=1 but no browser"
    return here


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def portal_first_screen(data: Path) -> dict[str, str]:
    """The demo's portal served again from the demo's folder (its report is today's, so it makes
    no new one; the nodes are stopped): the official signs in as the smoke run printed, and the
    first screen of a phone and of a desktop answers the three questions. Returns the texts."""
    port = free_base_port()
    hourbridge = str(Path(sys.executable).parent / "hourbridge")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}
    log = (data / "portal-test.log").open("wb")
    portal = subprocess.Popen([hourbridge, "portal", "serve", "--data", str(data / "portal"),
                               "--port", str(port)], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/portal"
    try:
        deadline = time.monotonic() + PORTAL_START_S
        while not answers(f"{url}/login"):
            assert portal.poll() is None and time.monotonic() < deadline, \
                (data / "portal-test.log").read_text()
            time.sleep(0.1)  # polling for the process to listen, not waiting for time
        found: dict[str, str] = {}
        with browser_contexts(bypass_csp=True) as pages:
            page = pages(PHONE)
            page.goto(url)
            page.fill("#username", "minzheng")
            page.fill("#password", "Jianguan-Demo-2026")
            page.click("#sign-in button[type=submit]")
            page.wait_for_selector("#status")
            for size, suffix in ((PHONE, "-phone"), (DESKTOP, "")):
                page.set_viewport_size(size)
                for selector in ("#outstanding", "#debts", "#status"):
                    box = page.locator(selector).bounding_box()
                    assert box and box["y"] + box["height"] <= size["height"], (selector, box)
                assert measured_problems(page, max_width=size["width"]) == []
                page.screenshot(path=str(artifacts_dir() / f"demo-portal{suffix}.png"))
                found = {s: page.inner_text(s) for s in ("#outstanding", "#debts", "#status")}
        return found
    finally:
        portal.terminate()
        portal.wait(timeout=15)
        log.close()


def token_files(data: Path) -> dict[str, dict[str, str]]:
    return {node: json.loads((data / node / "demo-tokens.json").read_text()) for node in NODES}


def assert_through_the_hub(output: str, report: Path) -> None:
    """The gift Shanghai -> Nanjing took the hub's route (read from sh-pudong's API), committed
    on the hub's answer carrying Nanjing's end receipt, and the hub kept none of it: its own
    windows and the report's settlement row say so."""
    told = " ".join(output.split())
    assert "its route: sh-pudong → yrd-hub → nj-gulou: through yrd-hub, 2 links" in told, output
    assert "committed after" in told and "(prepare signed by sh-pudong, answer signed by " \
        "yrd-hub with nj-gulou's signed end receipt)" in told, output
    assert "nj-gulou ↔ yrd-hub: window 1 matched; yrd-hub owes nj-gulou 3 h 00 min" in told
    assert "sh-pudong ↔ yrd-hub: window 1 matched; sh-pudong owes yrd-hub 3 h 00 min" in told
    assert "yrd-hub kept nothing: its positions add up to 0 min" in told, output
    document = json.loads(report.read_text())
    assert document["link_map"]["serial"] == 1
    hubs = {row["node"]: row for row in document["settlement"]["hubs"]}
    assert hubs[HUB] == {"node": HUB, "links": 2, "owed_minutes": 180, "owing_minutes": 180,
                         "gross_minutes": 360, "net_minutes": 0, "replaced_minutes": 180}, hubs


def test_smoke_seeds_verifies_and_stops_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    base_port = free_base_port()

    first = smoke(data, base_port)
    assert verified_balances(first) == SEEDED_MINUTES
    told = " ".join(first.split())
    assert all(line in told for line in STORY_LINES), first
    assert "WRONG" not in first
    # Each node's staff console is named, so an operator finds it without reading the docs.
    assert all(f"http://127.0.0.1:{base_port + i}/console" in first
               for i in range(len(NODES))), first
    # The regulator's portal (scripts/demo_portal.py) with its demo login, and its first report.
    assert "regulator's portal (民政局): http://127.0.0.1:" in first and "minzheng" in first
    assert [p.name for p in (data / "portal" / "history").iterdir()], "no portal report"
    assert "stopped sh-pudong, nj-gulou, bj-chaoyang, yrd-hub" in first
    assert all(port_is_free(base_port + i) for i in range(len(NODES))), \
        "a node outlived the script"
    # All four nodes run under one signed directory and one link map, checked over each node's
    # API: Shanghai and Nanjing have no link of their own.
    assert "federation cn-demo: every node holds directory serial 1 (sh-pudong active, " \
           "nj-gulou active, bj-chaoyang active, yrd-hub active)" in " ".join(first.split())
    assert "link map serial 1, held by every node: direct links bj-chaoyang–sh-pudong, " \
           "nj-gulou–yrd-hub, sh-pudong–yrd-hub;" in " ".join(first.split()), first
    directory = json.loads((data / "directory.json").read_text())
    assert [n["node_id"] for n in directory["nodes"]] == sorted(NODES)
    tokens = token_files(data)
    for node in NODES:
        mode = stat.S_IMODE((data / node / "demo-tokens.json").stat().st_mode)
        assert mode == 0o600, f"{node} tokens are mode {oct(mode)}"
        assert set(tokens[node]) == ({"admin", "regulator"} if node == HUB
                                     else {"admin", "regulator", "staff", "member"})

    # The day closes: a co-signed window on each link, and the regulator's report, verified.
    assert "bj-chaoyang ↔ sh-pudong: window 1 matched" in first, first
    report = data / "report" / "report.json"
    assert f"{report.with_suffix('.html')}" in first and "verified: report.federation" in first
    assert_verify_report(report, data / "directory.json", ok=True)
    assert_through_the_hub(first, report)
    # The cities' rules in action: each node runs its example policy, listed in its unit, and the
    # story's visit and complaint make the report's redemption and service figures non-zero.
    units = {n["node_id"]: n["local_unit"]["minutes"] for n in directory["nodes"]}
    assert units == {**{node: 60 for node in CITIES}, HUB: 1}, units  # the hub: minutes
    for node, policy in (("sh-pudong", "shanghai-2026"), ("nj-gulou", "nanjing-2019"),
                         ("bj-chaoyang", "beijing-2022")):
        assert f"examples/policies/{policy}.toml" in (data / node / "node.toml").read_text()
    signed = {r["report"]["node"]: r["report"] for r in json.loads(report.read_text())[
        "node_reports"]}
    assert signed["nj-gulou"]["activity"]["totals"]["redeemed_minutes"] == 120
    assert signed["bj-chaoyang"]["activity"]["totals"]["redeemed_minutes"] == 30
    assert signed["nj-gulou"]["service"]["ratings"]["distribution"]["5"] == 1
    assert signed["bj-chaoyang"]["service"]["disputes"] == {
        "held_minutes": 0, "open": 0, "outcomes": {"partial": 1}, "raised": 1}
    original = report.read_bytes()
    for offset in (len(original) // 3, len(original) // 2, len(original) - 10):
        edited = bytearray(original)
        edited[offset] = ord("0") if edited[offset] != ord("0") else ord("1")
        report.write_bytes(bytes(edited))
        assert_verify_report(report, data / "directory.json", ok=False)
    report.write_bytes(original)
    html = report.with_suffix(".html")
    html.write_text(html.read_text(encoding="utf-8").replace("cn-demo", "cn-dem0", 1),
                    encoding="utf-8")
    assert_verify_report(report, data / "directory.json", ok=False)

    if chromium_here():
        shown = portal_first_screen(data)
        held = sum(AFTER_STORY.values()) + 480  # and Chen Jianguo's 8 h at his new address
        assert shown["#outstanding"].startswith(f"{held // 60} 小时")
        # Chen Jianguo's hours that moved to Beijing (8 h), and the gift to Nanjing (3 h) on
        # both links it crossed: Shanghai owes the hub, the hub owes Nanjing
        assert shown["#debts"].splitlines() == [
            "Shanghai Pudong 浦东新区 欠 Beijing Chaoyang 朝阳区 8 小时",
            "Shanghai Pudong 浦东新区 欠 长三角清算枢纽 Yangtze Delta clearing hub 3 小时",
            "长三角清算枢纽 Yangtze Delta clearing hub 欠 Nanjing Gulou 鼓楼区 3 小时"]
        assert shown["#status"] == "正常"

    second = smoke(data, base_port)
    assert verified_balances(second) == AFTER_STORY  # the story replayed: nothing moved twice
    assert "already made by an earlier run" in second
    assert "holds directory serial 1 " in " ".join(second.split()), "nothing changed: no new serial"
    assert "link map serial 1," in " ".join(second.split()), "the same links: signed once"
    assert json.loads((data / "links.json").read_text())["serial"] == 1
    assert token_files(data) == tokens, "a rerun minted new tokens instead of reusing them"
    assert all(tokens[node]["admin"] in second for node in NODES), "table shows other tokens"
