"""Checks of a page in the browser against the ageing-friendly rules (适老化, 2021) and WCAG:
axe-core's rules, and our own measurements of what axe does not measure.

axe-core comes from an installed package (axe-playwright-python bundles axe.min.js), injected
from that file: nothing is fetched from a CDN. The browser context must bypass the pages' CSP
(`browser_page(bypass_csp=True)`), which otherwise forbids any script, axe's too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

TEXT_PX_MIN = 18  # body text at least 18 px
LINE_HEIGHT_MIN = 1.3
TARGET_PX_MIN = 60  # every tap target at least 60 x 60 px
IMPACTS_REFUSED = ("serious", "critical")

# Every visible link, button and field, and the computed size of text-bearing elements.
MEASURE = """({maxWidth, target, text, line}) => {
  const problems = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  for (const el of document.querySelectorAll('a, button, input, select, textarea')) {
    if (el.type === 'hidden' || !visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width < target || box.height < target)
      problems.push(`target ${box.width.toFixed(0)}x${box.height.toFixed(0)}: ` +
                    el.outerHTML.slice(0, 90));
  }
  const texts = 'p, li, dt, dd, label, legend, span, a, button, input, h1, h2, h3, strong';
  for (const el of document.querySelectorAll(texts)) {
    if (!visible(el) || (el.tagName !== 'INPUT' && !el.textContent.trim())) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    if (size < text) problems.push(`text ${size}px: ` + el.outerHTML.slice(0, 90));
    if (style.lineHeight !== 'normal' &&
        parseFloat(style.lineHeight) / size < line - 0.005)
      problems.push(`line height ${style.lineHeight} for ${size}px: ` +
                    el.outerHTML.slice(0, 90));
  }
  const width = document.documentElement.scrollWidth;
  if (maxWidth && width > maxWidth) problems.push(`scrollWidth ${width} > ${maxWidth}`);
  return problems;
}"""


def axe_script() -> Path:
    """axe.min.js from the installed package; skips (with the reason) if it is missing."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        pytest.skip("the browser checks need axe-playwright-python (pip install -e '.[dev]')")
    return Path(spec.origin).parent / "axe.min.js"


def axe_violations(page: Any, script: Path) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now, one line each."""
    page.add_script_tag(path=str(script))
    result = page.evaluate("async () => await axe.run(document, "
                           "{resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[node['target'] for node in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in IMPACTS_REFUSED]


def measured_problems(page: Any, *, max_width: int = 0) -> list[str]:
    """Text under 18 px or with line height under 1.3, targets under 60 x 60 px, and (given
    `max_width`) a page wider than the screen."""
    problems: list[str] = page.evaluate(MEASURE, {
        "maxWidth": max_width, "target": TARGET_PX_MIN, "text": TEXT_PX_MIN,
        "line": LINE_HEIGHT_MIN})
    return problems


# The console's rule (docs/decisions.md, "Console targets (issue 14)"): what staff tap to act or
# move (buttons, form fields, a choice's whole label, button-like links, the header's links) is
# at least 60 x 60 px; a link inside a sentence or a table cell is exempt, as in WCAG 2.5.8.
CONSOLE_TARGETS = """({maxWidth, target}) => {
  const problems = [];
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 &&
           getComputedStyle(el).visibility !== 'hidden';
  };
  const selector = 'button, select, textarea, input, a.button, header a, nav a';
  for (const el of document.querySelectorAll(selector)) {
    if (el.type === 'hidden' || !shown(el)) continue;
    const choice = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label');
    const box = (choice || el).getBoundingClientRect();
    if (box.width < target || box.height < target)
      problems.push(`target ${box.width.toFixed(0)}x${box.height.toFixed(0)}: ` +
                    (choice || el).outerHTML.slice(0, 90));
  }
  const width = document.documentElement.scrollWidth;
  if (maxWidth && width > maxWidth) problems.push(`scrollWidth ${width} > ${maxWidth}`);
  return problems;
}"""


def console_problems(page: Any, *, max_width: int = 0) -> list[str]:
    """The console's targets under 60 x 60 px and (given `max_width`) a page wider than the
    screen."""
    problems: list[str] = page.evaluate(CONSOLE_TARGETS, {"maxWidth": max_width,
                                                          "target": TARGET_PX_MIN})
    return problems
