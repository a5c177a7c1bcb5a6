"""Error pages and the favicon in the browser: a friendly 403 with navigation in Chinese, no 404 in the console."""

from __future__ import annotations

import pytest

from roles.models import Role
from tests.browser.helpers import log_in
from tests.builders import employee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rep():
    supervisor = employee("S1", name="Supervisor One", role=Role.SUPERVISOR)
    return employee("R1", name="Rep One", reports_to=supervisor, login="rep1")


def test_the_403_page_in_chinese_has_the_navigation(tab, rep):
    log_in(tab, "rep1", next_url="/me/")
    tab.locator("#language").select_option("zh-hans")  # submits by itself (static/js/app.js)
    tab.wait_for_function("document.documentElement.lang === 'zh-hans'")

    response = tab.goto("/hr/periods/")

    assert response.status == 403
    assert tab.locator("h1").inner_text().strip() == "无权访问"
    assert tab.locator("nav.navbar").get_by_role("link", name="我的绩效").is_visible()
    tab.get_by_role("link", name="前往首页").click()
    tab.wait_for_url("**/me/")


def test_no_request_fails_and_the_console_has_no_404_with_the_favicon(tab, rep):
    failures: list[str] = []
    tab.on("console", lambda message: failures.append(message.text) if message.type == "error" else None)
    tab.on("response", lambda response: failures.append(response.url) if response.status >= 400 else None)

    log_in(tab, "rep1", next_url="/me/")
    tab.wait_for_load_state("networkidle")

    icon = tab.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/static/favicon.svg"
    assert tab.request.get("/favicon.ico").ok  # followed to the SVG
    assert failures == []
