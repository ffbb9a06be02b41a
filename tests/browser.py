"""The browser fixtures of every browser test, wherever it lives: one
Chromium for the whole session (Playwright's sync API runs one event loop
per process, so two session browsers cannot coexist). Registered for the
whole suite by tests/conftest.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The live server runs in a thread beside Playwright's event loop; the ORM
# calls made by the test body are safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    wanted = os.environ.get("SESMU_BROWSER")
    if wanted:
        if not Path(wanted).exists():
            pytest.fail(f"SESMU_BROWSER={wanted} does not exist")
        return wanted
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("No Chromium here: apt-get install chromium to run the browser tests.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


