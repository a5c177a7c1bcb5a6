"""Take the README's screenshots from a running demo server.

    export SQLITE_NAME=/tmp/shots/db.sqlite3
    python manage.py migrate
    python manage.py seed_demo --employees 60 --months 23 --end YYYY-MM   # this month
    python manage.py close_period --due
    python manage.py runserver 127.0.0.1:8765 &
    python docs/screenshots.py [--base-url http://127.0.0.1:8765] [--out docs/screenshots]

Debian's chromium draws the pages (Playwright cannot download a browser here); install
``fonts-noto-cjk`` first or the Chinese pages show boxes instead of characters.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root, for demo.chromium
from demo.chromium import CHROMIUM, CHROMIUM_ARGS

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The demo logins that seed_demo documents.
LOGINS = {"rep": "rep-demo-pass", "manager": "manager-demo-pass", "hr": "hr-demo-pass"}


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(LOGINS[username])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def switch_language(page: Page, code: str) -> None:
    """Use the header's language select as a person would; the page reloads in that language."""
    with page.expect_navigation():
        page.locator("#language").select_option(code)


def shoot(page: Page, path: Path) -> None:
    """A full-page picture. The window is first made as tall as the page and the charts are given
    time to redraw: a full-page screenshot of a shorter window resizes it while it is taken, and
    Chart.js would be caught mid-animation."""
    page.wait_for_load_state("networkidle")
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    print(f"{path}  {path.stat().st_size // 1024} KB  ({page.url})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8765")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

        @contextmanager
        def logged_in(username: str, url: str, viewport: dict = DESKTOP) -> Iterator[Page]:
            """A fresh browser context with ``username`` logged in and at ``url``."""
            ctx = browser.new_context(base_url=args.base_url, viewport=viewport, locale="en-US")
            ctx.set_default_timeout(15_000)
            page = ctx.new_page()
            log_in(page, username)
            page.goto(url)
            try:
                yield page
            finally:
                ctx.close()

        def shoot_in_english_and_chinese(page: Page, name: str) -> None:
            shoot(page, args.out / f"{name}.png")
            switch_language(page, "zh-hans")
            shoot(page, args.out / f"{name}-zh.png")

        # The rep: /me/ in English, in Chinese, and on a phone.
        with logged_in("rep", "/me/") as page:
            shoot_in_english_and_chinese(page, "me")
        with logged_in("rep", "/me/", PHONE) as page:
            shoot(page, args.out / "me-phone.png")

        # The manager: the latest closed month of one supervisor's team (the whole unit is a
        # page of 50 rows), picked with the filter form, in English and in Chinese.
        with logged_in("manager", "/team/") as page:
            page.locator("#id_supervisor").select_option(index=1)
            with page.expect_navigation():
                page.get_by_role("button", name="Apply").click()
            shoot_in_english_and_chinese(page, "team")

        # HR: the console's overview.
        with logged_in("hr", "/hr/") as page:
            assert re.search(r"/hr/$", page.url), page.url
            shoot(page, args.out / "hr.png")

        browser.close()


if __name__ == "__main__":
    main()
