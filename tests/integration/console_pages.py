"""Every page of the staff console, for the browser checks of test_console_chromium.py: each is
opened at 390 x 844 and measured by older_eyes.console_problems (targets of 60 x 60 px, nothing
wider than the phone). tests/node/console/test_console_pages.py keeps this list complete: a new
console page that is not named here fails it."""

from __future__ import annotations

from typing import Any

from tests.integration.older_eyes import console_problems

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Opened by station staff after a service cycle and a dispute ({elder}, {first}, {second}).
STAFF_PAGES = (
    "/console/login",
    "/console/members",
    "/console/members/{elder}",
    "/console/members/{elder}/contacts",
    "/console/members/{elder}/privacy",
    "/console/members/{elder}/privacy/export",
    "/console/members/{elder}/visit-contact",
    "/console/requests",
    "/console/requests/{first}",
    "/console/requests/{second}",
    "/console/disputes",
)
# Opened by an operator before the import (nothing in the registry yet: the import's members
# name free station labels).
ADMIN_PAGES = (
    "/console/imports",
    "/console/staff",
    "/console/stations",
    "/console/unplaced-members",
)
# Opened by the operator after the import: the receipt, and a station once one is registered.
ADMIN_PAGES_AFTER = (
    "/console/imports/receipts/{receipt}",
    "/console/stations/{station}",
)
# Routes that are not pages, or whose page is measured where it is made.
NOT_MEASURED = {
    "/console": "a redirect (to the members page or the login)",
    "/console/lang": "a redirect",
    "/console/static/console.css": "the style sheet",
    "/console/imports/receipts/{receipt_id}/download": "a JSON download",
    "/console/members/{local_id}/privacy/export.json": "a JSON download",
    "/console/members/{local_id}/invitation": "the card: measured by print_invitation_card",
}


def every_page(page: Any, base: str, paths: tuple[str, ...],
               **values: str) -> dict[str, list[str]]:
    """Each page's problems at the phone's width (pages without any are left out)."""
    found: dict[str, list[str]] = {}
    page.set_viewport_size(PHONE)
    for path in paths:
        page.goto(base + path.format(**values))
        problems = console_problems(page, max_width=PHONE["width"])
        if problems:
            found[path] = problems
    page.set_viewport_size(DESKTOP)
    return found


def catches_a_small_target(page: Any) -> bool:
    """The measurement is not vacuous: a button drawn 20 px small on the open page is found."""
    page.evaluate("""() => {
      const tiny = document.createElement('button');  // styled by script: the CSP allows it
      tiny.id = 'hb-tiny';
      tiny.textContent = 'x';
      for (const name of ['minHeight', 'minWidth', 'padding', 'margin']) tiny.style[name] = '0';
      document.querySelector('main').append(tiny);
    }""")
    return any('id="hb-tiny"' in problem for problem in console_problems(page))
