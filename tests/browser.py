"""A real browser for tests that look at pages: Debian's headless Chromium driven by Playwright.

Playwright comes from PyPI without its own browser download; it drives ``/usr/bin/chromium``
(``.ci/run`` installs it). Without Chromium a test skips with the reason, except in CI, where
it fails: CI has to look at the pages.

    from tests.browser import browser  # noqa: F401  (the fixture)

    def test_x(browser: Browser) -> None:
        page = browser.open_html("<p>hi</p>", width=375)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = (
    os.environ.get("SUPERBOT_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
# No first-run dialogs, no calls home, no GPU: the same browser every run, offline.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE, DESKTOP = 375, 1280


def chromium_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:  # pragma: no cover - a dev dependency
        return f"playwright is not installed: {error}"
    return None


class Browser:
    """Opens HTML at a given viewport width; every page is closed with the browser."""

    def __init__(self, chromium: Any, folder: Path) -> None:
        self._chromium = chromium
        self._folder = folder
        self._count = 0

    def open_html(self, html: str, width: int, height: int = 800) -> Any:
        self._count += 1
        path = self._folder / f"page-{self._count}.html"
        path.write_text(html, encoding="utf-8")
        page = self._chromium.new_page(viewport={"width": width, "height": height})
        page.goto(path.as_uri())
        return page

    @staticmethod
    def scroll_width(page: Any) -> int:
        return int(page.evaluate("document.documentElement.scrollWidth"))


# Per module: Playwright's sync API keeps an event loop running while it is open, and the
# rest of the suite runs asyncio.run() of its own.
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    problem = chromium_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield Browser(chromium, tmp_path_factory.mktemp("pages"))
        finally:
            chromium.close()
