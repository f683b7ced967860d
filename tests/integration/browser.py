"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright.

No browser is downloaded: Playwright launches the system Chromium by path, with a fresh
profile and the flags this closed network needs (no background connections, no QUIC, no
component updates or sync). Without Chromium or Playwright a browser test skips, saying why,
unless HOURBRIDGE_TEST_REQUIRE_CHROMIUM=1 (CI sets it), when it fails instead.

Screenshots go to HOURBRIDGE_TEST_ARTIFACTS (default tests/artifacts/, ignored by git).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path(os.environ.get("HOURBRIDGE_TEST_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_ENV = "HOURBRIDGE_TEST_REQUIRE_CHROMIUM"
ARTIFACTS_ENV = "HOURBRIDGE_TEST_ARTIFACTS"
ARTIFACTS_DEFAULT = Path(__file__).resolve().parent.parent / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
ACTION_TIMEOUT_MS = 15_000


def require_chromium() -> None:
    """Skip (or fail, where required) unless the browser and its driver are both here."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (Debian packages chromium and chromium-driver)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright Python package (pip install -e '.[dev]')")
    if not missing:
        return
    reason = "browser test needs " + " and ".join(missing)
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 makes this a failure")
    pytest.skip(reason)


def artifacts_dir() -> Path:
    folder = Path(os.environ.get(ARTIFACTS_ENV) or ARTIFACTS_DEFAULT)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def browser_page(*, lang: str = "zh-CN", bypass_csp: bool = False) -> Iterator[Page]:
    """One page in a fresh Chromium profile, closed (with the browser) on exit. `bypass_csp`
    lets a test inject a checker (axe-core) into pages whose policy forbids any script."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="hb-chromium-") as profile, \
            sync_playwright() as playwright:
        # A persistent context is how Playwright takes a user-data-dir: here a new, empty one.
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=list(FLAGS),
            locale=lang, viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp,
        )
        try:
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


@contextmanager
def browser_contexts(*, lang: str = "zh-CN", bypass_csp: bool = False
                     ) -> Iterator[Callable[[dict[str, int]], Page]]:
    """One Chromium and a maker of pages, each in a context of its own: one person's phone or
    desktop, with its own cookies (two nodes on 127.0.0.1 differ only by port, and cookies do
    not, so one context could not hold two people's sessions)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=list(FLAGS))

        def new_page(viewport: dict[str, int]) -> Page:
            context = browser.new_context(locale=lang, viewport=viewport,  # type: ignore[arg-type]
                                          bypass_csp=bypass_csp)
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            return context.new_page()

        try:
            yield new_page
        finally:
            browser.close()
