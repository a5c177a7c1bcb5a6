"""The printable scorecard in the browser: print media hides the navigation and the sheet prints on one page."""

from __future__ import annotations

import re

import pytest

from roles.models import Role
from tests.browser.helpers import log_in
from tests.builders import employee, rep_month_scorecard, reward

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/employees/R1/scorecard/2025-03/print/"


@pytest.fixture
def card():
    supervisor = employee("S1", name="Supervisor One", role=Role.SUPERVISOR)
    rep = employee("R1", name="Rep One", reports_to=supervisor, login="rep1")
    rep_month_scorecard(rep, period="2025-03", composite="104.20", band="B")
    reward(rep, period="2025-03", code="commission", amount="4310.00")
    reward(rep, period="2025-03", code="flex_time", amount=None)
    return rep


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.parametrize(("language", "title"), [("en", "Scorecard 2025-03"), ("zh-hans", "考核表 2025-03")])
def test_the_scorecard_prints_on_one_page_without_navigation(tab, card, language, title):
    log_in(tab, "rep1", next_url="/employees/R1/?period=2025-03")
    if language != "en":
        tab.locator("#language").select_option(language)  # submits by itself (static/js/app.js)
        tab.wait_for_function(f"document.documentElement.lang === '{language}'")
    tab.get_by_test_id("print-link").click()
    tab.wait_for_url(f"**{URL}")

    tab.emulate_media(media="print")

    assert tab.locator("#print-title").inner_text().strip() == title
    assert tab.locator(".print-sheet").is_visible()
    assert tab.locator("nav.navbar").is_hidden()
    assert tab.locator("[data-print]").is_hidden()
    assert "104.20" in tab.locator(".print-sheet").inner_text()
    assert pdf_pages(tab.pdf(format="A4")) == 1

    tab.emulate_media(media="screen")
    assert tab.locator("nav.navbar").is_visible() and tab.locator("[data-print]").is_visible()
