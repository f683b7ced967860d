"""/docs in a real browser with no internet (issue 12, finding 7): headless Chromium loads a
`hourbridge serve` process's API docs while every request that would leave loopback is
blocked, and Swagger UI still renders the node's operations."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.integration.browser import artifacts_dir, browser_page, require_chromium
from tests.integration.processes import ClusterFactory

pytestmark = pytest.mark.slow
NODE = "sh-pudong"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
REFRESH = "/api/v1/federation/directory/refresh"


def test_api_docs_render_with_the_network_blocked_except_the_node(
        make_cluster: ClusterFactory, capsys: pytest.CaptureFixture[str]) -> None:
    require_chromium()  # before starting a node for nothing
    cluster = make_cluster([NODE])
    cluster.start()
    node = cluster[NODE]
    blocked: list[str] = []
    loaded: list[str] = []

    def offline(route: object) -> None:
        """Let only loopback through: the machine has no internet."""
        request = route.request  # type: ignore[attr-defined]
        if urlsplit(request.url).hostname in LOOPBACK:
            loaded.append(request.url)
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(request.url)
            route.abort("internetdisconnected")  # type: ignore[attr-defined]

    with browser_page(lang="en-US") as page:
        page.route("**/*", offline)
        page.goto(f"{node.url}/docs")
        page.wait_for_selector(".opblock-summary-path")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        title = page.inner_text(".information-container .title")
        shots = [artifacts_dir() / "api-docs-offline.png"]
        page.screenshot(path=str(shots[-1]))
        # Open one operation: its description and responses render from /openapi.json too.
        page.click(f".opblock-summary-path[data-path='{REFRESH}']")
        page.wait_for_selector(".opblock.is-open .responses-table")
        shots.append(artifacts_dir() / "api-docs-offline-operation.png")
        page.screenshot(path=str(shots[-1]))

    assert blocked == [], f"/docs tried to leave the machine: {blocked}"
    assert f"{node.url}/docs/assets/swagger-ui-bundle.js" in loaded
    assert f"{node.url}/openapi.json" in loaded
    assert title.startswith(f"HourBridge node {NODE}")
    assert len(paths) >= 40, paths
    assert {"/api/v1/transfers", REFRESH} <= {p.replace("\u200b", "") for p in paths}
    for shot in shots:
        assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print("\napi docs screenshots:", *(str(shot.resolve()) for shot in shots), sep="\n  ")
    cluster.stop()
