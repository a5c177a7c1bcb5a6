"""A lead in the browser, in English and in Chinese (issue 11 and the reminder of issue 10): the team
page puts who needs attention first and flags development plans, the quarter view compares with the
last quarter, the download carries the table's columns, the ratings grid refuses a 5 without a
comment and then saves all at once, and the ratings-due reminder leads to the grid."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone

from appraisals.models import MetricValue, Period
from appraisals.ratings import rating_quarters
from closing.reminders import ratings_due_notify
from tests.browser.helpers import log_in, set_language
from tests.builders import Kpi, org_from, period, ratings, scorecard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "sales": "Sales (R1)",
        "plan": "development plan",
        "was": "was D",
        "below": "(below 80)",
        "plan_only": "Development plan only",
        "apply": "Apply",
        "quarters": "This quarter versus last",
        "rate": "Rate my team for",
        "save": "Save all ratings",
        "needs_comment": "needs a comment",
        "saved": "ratings saved for",
        "due": "are due: 2 people are not rated",
        "open": "Open",
    },
    "zh-hans": {
        "sales": "销售额 (R1)",
        "plan": "改进计划",
        "was": "曾为 D",
        "below": "（低于 80）",
        "plan_only": "仅看需改进计划者",
        "apply": "应用",
        "quarters": "本季度对比上季度",
        "rate": "为团队评分",
        "save": "保存全部评分",
        "needs_comment": "须填写备注",
        "saved": "项评分",
        "due": "的评分即将截止：2 人尚未评分",
        "open": "打开",
    },
}
LANGUAGES = list(WORDS)


@pytest.fixture
def team():
    """M1 (login m1) over S1 (login s1: R11, R12) and S2 (R21); 2025-12, 2026-01, 2025-Q4 and 2026-Q1 scored.

    2026-01: R21 E 55.00 (R1 50), S2 D 70.00 (S1 50), R12 C 92.86, S1 B 104.34, M1 A 111.67, R11 A 114.29.
    2025-12: R21 75.00 D. Quarters: R11 90 → 96, R12 100 → 85."""
    org = org_from(
        {"M1": None, "S1": "M1", "S2": "M1", "R11": "S1", "R12": "S1", "R21": "S2"},
        names={"R11": "Chen Jing", "R12": "Ren Hao", "R21": "Rui Lan", "S2": "Shi Wen"},
        logins={"M1", "S1"},
    )
    for code in ("2025-12", "2026-01", "2025-Q4", "2026-Q1"):
        period(code, status=Period.Status.CLOSED)
    for employee_no, composite, band, kpis in (
        ("M1", "111.67", "A", {"M1": "105.00"}),
        ("S1", "104.34", "B", {"S1": "105.00"}),
        ("S2", "70.00", "D", {"S1": Kpi("50.00", value="0.5")}),
        ("R11", "114.29", "A", {"R1": "120.00", "R2": "100.00"}),
        ("R12", "92.86", "C", {"R1": "90.00", "R2": "100.00"}),
        ("R21", "55.00", "E", {"R1": "50.00"}),
    ):
        scorecard(org[employee_no], period="2026-01", composite=composite, band=band, kpis=kpis)
    scorecard(org.r21, period="2025-12", composite="75.00", band="D", kpis={"R1": "75.00"})
    for employee_no, q4, q1 in (("R11", "90.00", "96.00"), ("R12", "100.00", "85.00")):
        scorecard(org[employee_no], period="2025-Q4", composite=q4, band="C", kpis={"R1": q4})
        scorecard(org[employee_no], period="2026-Q1", composite=q1, band="B", kpis={"R1": q1})
    return org


def shown_rows(page, table="#team-table") -> list[str]:
    return page.locator(f"{table} tbody tr[data-employee]").evaluate_all("rows => rows.map(r => r.dataset.employee)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_manager_sees_who_needs_attention_first(new_page, live_server, team, language):
    words = WORDS[language]
    page = new_page()
    set_language(page, live_server.url, language)
    log_in(page, "m1")
    page.goto("/team/?period=2026-01")

    assert shown_rows(page) == ["R21", "S2", "R12", "S1", "M1", "R11"]
    assert page.locator("#team-table thead").get_by_role("link", name=words["sales"]).is_visible()
    r21 = page.locator('#team-table tr[data-employee="R21"]')
    assert words["plan"] in r21.locator(".dev-plan").inner_text()
    low = r21.locator("td.score-low")
    assert low.count() == 1 and words["below"] in low.text_content()
    assert words["was"] in r21.locator("td.cell-change").inner_text()

    page.get_by_label(words["plan_only"]).check()
    page.get_by_role("button", name=words["apply"]).click()
    page.wait_for_url("**development=on**")
    assert shown_rows(page) == ["R21", "S2"]

    with page.expect_download() as download:
        page.locator("a[href*='format=csv']").click()
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert words["sales"] in lines[0]
    assert [line[0] for line in lines[1:]] == ["R21", "S2"]

    page.get_by_role("link", name=words["quarters"]).click()
    page.wait_for_url("**view=quarters**")
    assert shown_rows(page) == ["R12", "R11"]  # −15.00, then +6.00
    assert "2026-Q1" in page.locator("#quarter-compare").inner_text()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_supervisor_rates_the_team_in_one_grid_after_the_reminder(new_page, live_server, team, language):
    words = WORDS[language]
    quarter = rating_quarters(timezone.localdate())[0]
    # Five days before the quarter ends, the reminder goes out (the clock is the argument here).
    assert ratings_due_notify(today=quarter.end - datetime.timedelta(days=5)) >= 1
    page = new_page()
    set_language(page, live_server.url, language)
    log_in(page, "s1")

    page.goto("/notifications/")
    notice = page.locator("li.list-group-item", has_text=words["due"])
    assert quarter.code in notice.inner_text() and "R11 Chen Jing" in notice.inner_text()
    notice.get_by_role("button", name=words["open"]).click()
    page.wait_for_url(f"**/team/ratings/?quarter={quarter.code}")

    page.locator('input[name="v-R11-collaboration"]').fill("5")
    page.locator('input[name="v-R12-collaboration"]').fill("4")
    page.locator('input[name="v-R12-skill_growth"]').fill("3.5")
    page.get_by_role("button", name=words["save"]).click()
    errors = page.locator("#grid-errors")
    assert "Chen Jing (R11)" in errors.inner_text() and words["needs_comment"] in errors.inner_text()
    assert MetricValue.objects.filter(period__code=quarter.code).count() == 0  # all or nothing

    page.locator('input[name="c-R11-collaboration"]').fill("led the key-account handover")
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(f"**/team/ratings/?quarter={quarter.code}")
    assert words["saved"] in page.locator(".alert-success, .alert").first.inner_text()
    assert MetricValue.objects.filter(period__code=quarter.code).count() == 3
    assert page.locator("#grid-unrated").get_attribute("data-unrated") == "1"  # R11 still has no skill growth

    page.goto("/team/")
    panel = page.locator(f"#unrated-{quarter.code}")
    assert panel.get_attribute("data-unrated") == "1"
    assert panel.locator('[data-unrated-employee="R11"]').is_visible()


def test_rated_people_leave_the_hr_checklist(new_page, live_server, team):
    from tests.builders import hr_user

    hr_user("hr1")
    quarter = rating_quarters(timezone.localdate())[0]
    ratings(team.r11, quarter=quarter.code, collaboration="4", skill_growth="4")
    for language in LANGUAGES:
        page = new_page()
        set_language(page, live_server.url, language)
        log_in(page, "hr1")
        page.goto(f"/hr/periods/{quarter.code}/checklist/")
        listed = page.locator("#unrated-list [data-unrated-employee]").evaluate_all(
            "items => items.map(i => i.dataset.unratedEmployee)"
        )
        assert "R11" not in listed and {"R12", "R21", "S1", "S2", "M1"} <= set(listed)
