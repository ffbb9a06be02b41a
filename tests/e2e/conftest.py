"""Browser tests: Playwright driving Debian's Chromium against the live server.

Without a Chromium on the machine they are skipped with the reason, unless
SESMU_BROWSER names one (as CI does), in which case a missing browser fails."""

from __future__ import annotations

from tests.browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path  # noqa: F401


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.wait_for_load_state()
