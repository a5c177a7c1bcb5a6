"""Browser tests: Playwright (sync API) drives Debian's chromium against pytest-django's live server.

One browser per session, a fresh context (cookies, storage) per test. The fixtures are named
``chromium``, ``new_page`` and ``tab``, not ``browser``/``page``, so that they never clash with
the pytest-playwright plugin when it happens to be installed. Playwright's sync API runs an
event loop in the main thread, so Django's async-safety check must be told (DJANGO_ALLOW_ASYNC_UNSAFE,
set while the browser runs) that the test code's ORM calls there are fine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from demo.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.helpers import DESKTOP

TIMEOUT_MS = 15_000


def _chromium_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("SALES_PERF_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def chromium(live_server):
    """The session's browser. It asks for the live server so that it closes first: a connection the
    browser kept alive would otherwise end in a server thread after the server has gone, and that
    thread would touch a database connection of the main thread."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (Debian package chromium)"
        if _chromium_required():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # From here on an event loop runs in the main thread, where the tests also use the ORM.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(chromium, live_server) -> Iterator[Callable]:
    """``new_page(viewport=...)``: a page in a fresh browser context on the live server."""
    contexts = []

    def make(viewport: dict | None = None):
        context = chromium.new_context(base_url=live_server.url, viewport=viewport or DESKTOP, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def tab(new_page):
    """A desktop-sized page, logged in as nobody."""
    return new_page()
