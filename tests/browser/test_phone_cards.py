"""Phones (issue 11): under 576 px the team table and the HR tables become stacked cards, key figures
first, with no one-character-per-line wrapping in Chinese. Measured at 390 px in English and Chinese
on the demo-size org (40 people, three months closed, 2026-01 to 2026-03)."""

from __future__ import annotations

import pytest

from appraisals.periods import PeriodRef
from demo.seed import demo_seed
from rewards.models import RewardSuggestion
from tests.browser.helpers import PHONE, has_no_horizontal_scroll, log_in, set_language, wider_than_screen
from tests.builders import close_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTHS = ("2026-01", "2026-02", "2026-03")
LANGUAGES = ("en", "zh-hans")
HR_PAGES = ("/hr/rewards/", "/hr/payroll/", "/hr/periods/", "/hr/imports/", "/hr/history/", "/hr/bonus/2026/")


@pytest.fixture
def demo():
    """The demo org (``seed_demo``'s default 40 people) with 2026-01 … 2026-03 closed in-process."""
    demo_seed(end=PeriodRef.parse("2026-03"), employees=40, months=3)
    for month in MONTHS:
        close_period(month)
    return RewardSuggestion.objects.count()


def page_length(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def tallest_row(page, selector: str) -> float:
    return page.locator(selector).evaluate_all("rows => Math.max(...rows.map(r => r.getBoundingClientRect().height))")


# Tallest single-character line: a header or label that wraps one character per line is as narrow
# as one CJK glyph and many lines tall.
_NARROW_WRAPS = """sel => Array.from(document.querySelectorAll(sel)).filter(el => {
  const r = el.getBoundingClientRect();
  const line = parseFloat(getComputedStyle(el).lineHeight) || 20;
  return r.width > 0 && r.width < 24 && r.height > 2.5 * line && (el.textContent || '').trim().length > 2;
}).map(el => el.textContent.trim().slice(0, 20))"""


def top(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("el => el.getBoundingClientRect().top")


# Measured at 390 px on this data (116 rewards, 100 on the first page), before → after the cards:
#   team page, tallest row:   81 px (a table scrolled sideways, 13 columns off-screen) → 136 en / 119 zh
#   team page, length:        5,435 en / 5,107 zh → 7,740 en / 6,100 zh
#   HR rewards, length:       8,307 en / 13,087 zh (reward names one character per line) → 9,044 en / 7,062 zh
#   HR bonus list, length:    3,237 en / 6,924 zh (role names one character per line) → 4,312 en / 4,027 zh
# The cards cost the English rewards page ~9 % of length and save the sideways scroll through eight
# columns; in Chinese they make it 46 % shorter. The bounds leave ~15 % headroom over the measure.
TEAM_ROW_MAX = 200
REWARD_CARD_MAX = 90
REWARDS_PAGE_MAX = 10_500


@pytest.mark.parametrize("language", LANGUAGES)
def test_team_rows_are_cards_with_the_key_figures_first(new_page, live_server, demo, language):
    page = new_page(viewport=PHONE)
    set_language(page, live_server.url, language)
    log_in(page, "hr", "hr-demo-pass")
    page.goto("/team/?period=2026-03")

    assert page.locator("#team-table tbody tr").count() == 40
    assert tallest_row(page, "#team-table tbody tr") < TEAM_ROW_MAX
    # Composite and band above the name, in every card.
    first = "#team-table tbody tr:first-child"
    assert top(page, f"{first} .cell-composite") < top(page, f"{first} .cell-name")
    assert top(page, f"{first} .cell-band") < top(page, f"{first} .cell-name")
    assert page.locator("#team-table thead").evaluate("el => el.getBoundingClientRect().height") <= 1
    assert has_no_horizontal_scroll(page), wider_than_screen(page)
    assert page.evaluate(_NARROW_WRAPS, "th, td, dt, dd, label") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_rewards_page_stays_short_on_a_phone(new_page, live_server, demo, language):
    page = new_page(viewport=PHONE)
    set_language(page, live_server.url, language)
    log_in(page, "hr", "hr-demo-pass")
    page.goto("/hr/rewards/")

    assert demo == 116
    assert page.locator("#decide-form tbody tr").count() == 100  # a full page of rewards
    assert tallest_row(page, "#decide-form tbody tr") < REWARD_CARD_MAX
    assert page_length(page) < REWARDS_PAGE_MAX
    first = "#decide-form tbody tr:first-child"
    assert top(page, f"{first} td.num") < top(page, f"{first} .card-head")  # the amount before the reward
    assert page.evaluate(_NARROW_WRAPS, "th, td, dt, dd, label") == []
    assert has_no_horizontal_scroll(page), wider_than_screen(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_tables_fit_a_phone_without_one_character_lines(new_page, live_server, demo, language):
    page = new_page(viewport=PHONE)
    set_language(page, live_server.url, language)
    log_in(page, "hr", "hr-demo-pass")
    for url in HR_PAGES:
        assert page.goto(url).status == 200
        assert has_no_horizontal_scroll(page), (url, wider_than_screen(page))
        assert page.evaluate(_NARROW_WRAPS, "th, td, dt, dd, label") == [], url
    assert page_length(page) < 5_000  # the bonus list: 40 cards (6,924 px in Chinese before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ratings_grid_fits_a_phone(new_page, live_server, demo, language):
    page = new_page(viewport=PHONE)
    set_language(page, live_server.url, language)
    log_in(page, "supervisor", "supervisor-demo-pass")
    page.goto("/team/ratings/")
    rows = page.locator("#ratings-grid tbody tr")
    assert rows.count() >= 4
    assert tallest_row(page, "#ratings-grid tbody tr") < 260  # name, then two ratings with their comments
    assert has_no_horizontal_scroll(page), wider_than_screen(page)


def test_on_a_desktop_the_tables_stay_tables(new_page, live_server, demo):
    page = new_page()
    log_in(page, "hr", "hr-demo-pass")
    page.goto("/hr/rewards/")
    assert page.locator("#decide-form tbody tr").first.evaluate("el => getComputedStyle(el).display") == "table-row"
    assert page.locator("#decide-form thead").evaluate("el => el.getBoundingClientRect().height") > 20
