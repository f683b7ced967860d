"""The regulator's portal (issue 15, item 1) in a real browser, against real processes: two
`hourbridge serve` nodes under one signed directory (北京朝阳, 上海浦东) and a `hourbridge
portal serve` process set up with the CLI, as the authority's side runs it.

* 上海浦东's member gives 北京朝阳's member 8 hours; 北京朝阳 closes the link's window, which
  both nodes co-sign; every node signs a checkpoint;
* the portal makes its first report at start; the official signs in and the first screen, at
  390 x 844 and on a desktop, says in words and hours: outstanding hours, "上海浦东 欠 北京朝阳
  8 小时", and 正常;
* then someone on the path to 北京朝阳 (the directory lists it behind a proxy) lowers the
  outstanding hours in its signed node report; "现在生成" makes a new report, and the first
  screen says 需关注, naming 北京朝阳 and the signature that does not verify; who owes whom is
  then only 上海浦东's word, and the page says so.

Each screen is checked with axe-core and the ageing-friendly measurements (18 px text, 60 px
targets, no sideways scroll) and kept as a screenshot (tests/artifacts/portal-*.png).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from node.cli.main import app as cli_app
from tests.integration.browser import artifacts_dir, browser_contexts, require_chromium
from tests.integration.older_eyes import axe_script, axe_violations, measured_problems
from tests.integration.processes import (
    NAMES,
    SERVE,
    Cluster,
    ClusterFactory,
    child_env,
    free_ports,
    hourbridge,
)
from tests.integration.test_centre_chromium import api

pytestmark = pytest.mark.slow
BJ, SH = "bj-chaoyang", "sh-pudong"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
PASSWORD = "Minzheng-Ju-2026"
GIFT_MINUTES = 480
HIDDEN_MINUTES = 60


class Tamperer(BaseHTTPRequestHandler):
    """Forwards every request to the node behind it; while `tampering`, lowers the outstanding
    hours in the signed node report a regulator fetches (the signature no longer fits)."""

    target = ""
    tampering = threading.Event()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        answer = httpx.request(self.command, self.target + self.path, headers=headers,
                               content=body, timeout=30)
        content = answer.content
        if self.tampering.is_set() and self.path == "/api/v1/reports/node" and answer.is_success:
            found = answer.json()
            found["report"]["liability"]["totals"]["outstanding_minutes"] -= HIDDEN_MINUTES
            content = json.dumps(found).encode()
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = _forward

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def proxy(listen: int, target_port: int) -> Iterator[type[Tamperer]]:
    handler = type("Tampering", (Tamperer,), {"target": f"http://127.0.0.1:{target_port}",
                                               "tampering": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", listen), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def gift_and_settle(cluster: Cluster) -> None:
    api(cluster[SH], "POST", "/api/v1/members", {"local_id": "wang-fang",
                                                  "display_name": "王芳", "birth_year": 1958})
    api(cluster[SH], "POST", "/api/v1/grants", {
        "id": "g-wang-fang", "member": "wang-fang", "amount_minutes": 600,
        "credit_class": "earned", "reason": "志愿服务"})
    api(cluster[SH], "PUT", "/api/v1/members/wang-fang/consents/cross_node_gifts",
        {"given": True})
    api(cluster[BJ], "POST", "/api/v1/members", {"local_id": "li-wei", "display_name": "李伟",
                                                  "birth_year": 1940})
    assert cluster.transfer(SH, "gift-1", "wang-fang", f"li-wei@{BJ}",
                            GIFT_MINUTES).status_code == 201
    cluster.wait_for(lambda: cluster.state(SH, "gift-1") == "committed", "the gift commits")
    closed = api(cluster[BJ], "POST", "/api/v1/reconciliation/windows", {"peer": SH})
    assert [w["state"] for w in closed["items"]] == ["matched"], closed
    for node in cluster.nodes.values():
        api(node, "POST", "/api/v1/ledger/checkpoints")


def set_up_portal(cluster: Cluster) -> Path:
    """`hourbridge portal init`, a regulator token per node, one account: the CLI's way."""
    folder, root = cluster.root / "portal", cluster.root
    anchor = hourbridge("directory", "anchor", "--authority",
                        str(root / "authority")).strip().splitlines()[-1]
    hourbridge("portal", "init", "--data", str(folder), "--directory",
               str(root / "directory.json"), "--anchor", anchor, "--authority",
               str(root / "authority"))
    for node_id, node in cluster.nodes.items():
        token = hourbridge("token", "create", "--data", str(node.data), "--role",
                           "regulator").strip().splitlines()[-1]
        hourbridge("portal", "add-node", node_id, token, "--data", str(folder))
    added = CliRunner().invoke(cli_app, ["portal", "add-account", "mzj.li", "--data",
                                         str(folder)],
                               env={"HOURBRIDGE_PORTAL_PASSWORD": PASSWORD})
    assert added.exit_code == 0, added.output
    return folder


@contextmanager
def portal_process(cluster: Cluster, folder: Path) -> Iterator[str]:
    """`hourbridge portal serve`, which makes its first report at start."""
    port = free_ports(1)[0]
    log = (cluster.root / "portal.log").open("ab")
    process = subprocess.Popen([*SERVE, "portal", "serve", "--data", str(folder), "--port",
                                str(port)], env=child_env({}), stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}/portal"
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def first_report(cluster: Cluster, folder: Path) -> None:
    cluster.wait_for(lambda: [p for p in (folder / "history").iterdir()
                              if not p.name.startswith(".")],
                     f"the portal's first report\n{(cluster.root / 'portal.log').read_text()}",
                     timeout_s=30)


def first_screen(page: Any, axe: Path | None, name: str) -> dict[str, str]:
    """The three answers, each on the first screen of a phone and of a desktop, and the page
    readable there (18 px text, 60 px targets, no sideways scroll; axe-core when given).
    Returns the texts."""
    found = {}
    for size, suffix in ((PHONE, "-phone"), (DESKTOP, "")):
        page.set_viewport_size(size)
        for selector in ("#outstanding", "#debts", "#status"):
            box = page.locator(selector).bounding_box()
            assert box and box["y"] + box["height"] <= size["height"], (name, selector, box)
        assert measured_problems(page, max_width=size["width"]) == [], name
        if axe is not None:
            assert axe_violations(page, axe) == [], name
        page.screenshot(path=str(artifacts_dir() / f"portal-{name}{suffix}.png"))
        found = {s: page.inner_text(s) for s in ("#outstanding", "#debts", "#status", "main")}
    page.screenshot(path=str(artifacts_dir() / f"portal-{name}-full.png"), full_page=True)
    return found


def drill_down(page: Any, url: str) -> None:
    """A node's page and a link's page, on a phone: readable, and figures link to the file."""
    page.set_viewport_size(PHONE)
    link = page.get_attribute("a[href*='/links/']", "href")
    page.click(f"#node-{SH} h3 a")
    page.wait_for_selector("#status[data-status=ok]")
    assert measured_problems(page, max_width=PHONE["width"]) == []
    page.screenshot(path=str(artifacts_dir() / "portal-node-phone.png"), full_page=True)
    page.goto(url.removesuffix("/portal") + link)
    assert f"{NAMES[SH]} 欠 {NAMES[BJ]} 8 小时" in page.inner_text("main")
    assert measured_problems(page, max_width=PHONE["width"]) == []
    assert page.locator("a.fig").first.get_attribute("href").endswith("/files/report.html")
    page.goto(url)


def test_the_officials_first_screen_and_a_tampered_node_report(
        make_cluster: ClusterFactory) -> None:
    require_chromium()
    axe = axe_script()
    bj_proxy = free_ports(1)[0]
    cluster = make_cluster([BJ, SH], peer_ports={BJ: bj_proxy})
    with proxy(bj_proxy, cluster[BJ].port) as tamperer:
        cluster.start()
        gift_and_settle(cluster)
        folder = set_up_portal(cluster)
        with portal_process(cluster, folder) as url, browser_contexts(bypass_csp=True) as pages:
            page = pages(PHONE)
            first_report(cluster, folder)
            page.goto(url)
            page.fill("#username", "mzj.li")
            page.fill("#password", PASSWORD)
            page.click("#sign-in button[type=submit]")
            page.wait_for_selector("#status")
            shown = first_screen(page, axe, "first-screen")
            assert shown["#outstanding"].startswith("10 小时")  # 600 min held: 2 + 8 hours
            assert shown["#debts"] == f"{NAMES[SH]} 欠 {NAMES[BJ]} 8 小时"
            assert shown["#status"] == "正常"
            drill_down(page, url)
            tamperer.tampering.set()
            page.click("#make-now button[type=submit]")
            page.wait_for_selector("#status[data-status=attention]")
            shown = first_screen(page, None, "tampered")
            assert shown["#status"] == "需关注"
            reasons = page.inner_text("#reasons")
            assert f"{NAMES[BJ]} 未能收集节点报告" in reasons and "signature" in reasons, reasons
            assert page.inner_text("#claims") == f"{NAMES[SH]} 称它欠 {NAMES[BJ]} 8 小时"
            assert "签名不符" in page.inner_text(f"[data-failed={BJ}]")
    cluster.stop()
