"""Fixtures of the browser tests: Debian's chromium driven by Playwright, a served shop.

Chromium is launched from /usr/bin/chromium (never downloaded: no
`playwright install`).  Without it the tests are skipped, unless
STOREBRIDGE_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.browser.browser_support import Shop, WebServer, build_shop

from storebridge.web import create_web_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope, not session: Playwright's sync API keeps an event loop running
# on the main thread while it is open, which would break every async test
# collected after this folder.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed: the browser tests need Debian's chromium package"
        if os.environ.get("STOREBRIDGE_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Shop]:
    built = build_shop(tmp_path_factory.mktemp("shop"), _sqlite_template)
    try:
        yield built
    finally:
        built.services.close()
        built.sandbox.close()


@pytest.fixture(scope="module")
def server(shop: Shop) -> Iterator[WebServer]:
    with WebServer(create_web_app(shop.services)) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()
