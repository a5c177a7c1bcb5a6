"""The team page for attention (issue 11): most in need first, development-plan flags and filter, KPI
short names, low scores marked in words, the change since the previous period, the quarter view, the
downloads with the same columns, the still-unrated panel; in English and Chinese; flat query counts."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
import time_machine
from openpyxl import load_workbook

from appraisals.models import Period
from tests.builders import Kpi, Org, client_for, org_from, period, ratings, scorecard
from tests.pages.test_team_page import number_cells, queries_for, row_html, rows, unit_of

pytestmark = pytest.mark.django_db

TEAM = "/team/"
EXPORT = "/team/export/"
# Inside 2026-Q1 (so the rating quarters are 2026-Q1 and 2025-Q4), after 2026-01 closed.
TODAY = datetime.datetime(2026, 2, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def org(db) -> Org:
    """2026-01 and 2025-12 closed; 2026-Q1 and 2025-Q4 closed for the quarter view.

    M1 ─ S1 ─ R11, R12
       └ S2 ─ R21
    2026-01: R21 E 55.00 (R1 50), S2 D 70.00 (S1 50, S4 58), R12 C 92.86 (R1 90), S1 B 104.34,
    M1 A 111.67, R11 A 114.29. 2025-12: R11 100.00 B, R21 75.00 D, S2 82.50 C.
    """
    period("2025-12", status=Period.Status.CLOSED)
    period("2026-01", status=Period.Status.CLOSED)
    org = org_from(
        {"M1": None, "S1": "M1", "S2": "M1", "R11": "S1", "R12": "S1", "R21": "S2"},
        names={
            "M1": "Meng Li",
            "S1": "Song Qiang",
            "S2": "Shi Wen",
            "R11": "Chen Jing",
            "R12": "Ren Hao",
            "R21": "Rui Lan",
        },
    )
    for employee_no, composite, band, kpis in (
        ("M1", "111.67", "A", {"M1": Kpi("105.00", value="1.05"), "M2": "125.00"}),
        ("S1", "104.34", "B", {"S1": Kpi("105.00", value="1.05"), "S4": "103.58"}),
        ("S2", "70.00", "D", {"S1": Kpi("50.00", value="0.5"), "S4": "58.00"}),
        ("R11", "114.29", "A", {"R1": Kpi("120.00", value="1.2"), "R2": "100.00"}),
        ("R12", "92.86", "C", {"R1": Kpi("90.00", value="0.9"), "R2": "100.00"}),
        ("R21", "55.00", "E", {"R1": Kpi("50.00", value="0.5"), "R2": None}),
    ):
        scorecard(org[employee_no], period="2026-01", composite=composite, band=band, kpis=kpis)
    for employee_no, composite, band in (("R11", "100.00", "B"), ("R21", "75.00", "D"), ("S2", "82.50", "C")):
        scorecard(org[employee_no], period="2025-12", composite=composite, band=band, kpis={"R1": "100.00"})
    return org


@pytest.fixture
def manager_client(org):
    return client_for(org.m1)


@pytest.fixture
def supervisor_client(org):
    return client_for(org.s1)


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


# --------------------------------------------------------------------------- order and flags


def test_most_in_need_come_first(manager_client):
    assert rows(manager_client.get(TEAM)) == ["R21", "S2", "R12", "S1", "M1", "R11"]


def test_kpi_headers_carry_short_name_and_code(manager_client):
    content = manager_client.get(TEAM).content.decode()
    # The full policy label stays in the header's title.
    assert re.search(r'title="[^"]*sales[^"]*">\s*<a class="sort" href="[^"]*">Sales \(R1\)</a>', content, re.I)
    assert ">Team sales (S1)</a>" in content and ">Revenue (M1)</a>" in content


def test_scores_below_80_are_marked_by_class_and_in_words(manager_client):
    response = manager_client.get(TEAM)
    r21 = row_html(response, "R21")
    assert re.search(r'<td class="num cell-kpi score-low" data-label="Sales \(R1\)">', r21)
    assert '50.00<span class="visually-hidden"> (below 80)</span>' in r21
    # R12's 90.00 is not below 80: no mark.
    assert "score-low" not in row_html(response, "R12")


def test_development_plan_badge_names_the_kpis_below_80(manager_client):
    response = manager_client.get(TEAM)
    assert 'data-development="S1;S4"' in row_html(response, "S2")
    assert 'data-development="R1"' in row_html(response, "R21")
    assert "development plan" not in row_html(response, "R12")
    assert response.context["team"].totals.development == 2
    assert 'data-total="development">2 ' in response.content.decode()


def test_development_filter_keeps_only_people_with_a_plan(manager_client):
    response = manager_client.get(TEAM, {"development": "on"})
    assert rows(response) == ["R21", "S2"]
    assert response.context["team"].totals.people == 2


def test_development_threshold_is_the_policys(manager_client, org):
    from appraisals.models import RewardRule
    from appraisals.selectors import policy_version_for

    version = policy_version_for(Period.objects.get(code="2026-01"))
    RewardRule.objects.filter(policy_version=version, kind=RewardRule.Kind.DEVELOPMENT_FLAG).update(threshold=95)
    response = manager_client.get(TEAM, {"development": "on"})
    assert rows(response) == ["R21", "S2", "R12"]  # R12's 90.00 is now below 95
    assert "(below 95)" in row_html(response, "R12")


# --------------------------------------------------------------------------- change since the previous period


def test_change_since_the_previous_month_with_the_previous_band(manager_client):
    response = manager_client.get(TEAM)
    # R11 114.29 now, 100.00 (B) in 2025-12; R21 55.00 now, 75.00 (D) before; R12 had no card.
    assert number_cells(response, "R11")[2] == "+14.29 was B"
    assert number_cells(response, "R21")[2] == "-20.00 was D"
    assert number_cells(response, "R12")[2] == "—"
    assert 'class="change-down"' in row_html(response, "R21")


def test_a_previous_period_not_closed_is_not_compared(manager_client):
    period("2025-12", status=Period.Status.OPEN)
    assert number_cells(manager_client.get(TEAM), "R11")[2] == "—"


def test_sort_by_change_puts_the_biggest_drop_first(manager_client):
    # S2 70.00 − 82.50 = −12.50, R21 −20.00, R11 +14.29; the others have no previous card (last).
    assert rows(manager_client.get(TEAM, {"sort": "change", "dir": "asc"}))[:3] == ["R21", "S2", "R11"]


def test_quarter_view_compares_the_latest_closed_quarter_with_the_last(manager_client, org):
    scorecard(org.r11, period="2025-Q4", composite="90.00", band="C", kpis={"R1": "90.00"})
    scorecard(org.r12, period="2025-Q4", composite="100.00", band="B", kpis={"R1": "100.00"})
    scorecard(org.r11, period="2026-Q1", composite="96.00", band="B", kpis={"R1": "96.00"})
    scorecard(org.r12, period="2026-Q1", composite="85.00", band="C", kpis={"R1": "85.00"})
    response = manager_client.get(TEAM, {"view": "quarters"})
    team = response.context["team"]
    assert team.filters.period.code == "2026-Q1" and team.previous_code == "2025-Q4"
    assert rows(response) == ["R12", "R11"]  # −15.00 first, then +6.00
    assert number_cells(response, "R12")[2:4] == ["-15.00 was B", "100.00 B"]
    content = response.content.decode()
    assert "2026-Q1 compared with 2025-Q4: the biggest drop first." in content
    assert 'aria-current="page" id="quarter-view"' in content


def test_quarter_view_keeps_itself_through_the_filter_form(manager_client, org):
    scorecard(org.r11, period="2026-Q1", composite="96.00", band="B", kpis={"R1": "96.00"})
    content = manager_client.get(TEAM, {"view": "quarters"}).content.decode()
    assert 'name="view" value="quarters"' in content


# --------------------------------------------------------------------------- downloads


def test_csv_download_carries_the_tables_columns_and_order(manager_client):
    response = manager_client.get(EXPORT, {"period": "2026-01", "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == [
        "Employee no.",
        "Name",
        "Role",
        "Supervisor",
        "Completion (%)",
        "Composite",
        "Band",
        "Change since 2025-12",
        "Composite in 2025-12",
        "Band in 2025-12",
        "Development plan",
        "Sales (R1)",
        "Service (R2)",
        "Team sales (S1)",
        "Team results (S4)",
        "Revenue (M1)",
        "Teams on target (M2)",
        "New customers (M3a)",
        "Retention (M3b)",
    ]
    assert [line[0] for line in lines[1:]] == ["R21", "S2", "R12", "S1", "M1", "R11"]
    r21 = lines[1]
    assert r21[:11] == [
        "R21",
        "Rui Lan",
        "Sales Representative",
        "Shi Wen",
        "50.00",
        "55.00",
        "E",
        "-20.00",
        "75.00",
        "D",
        "R1",
    ]
    assert r21[11:] == ["50.00", "", "", "", "", "", "", ""]


def test_xlsx_download_follows_the_development_filter_and_sort(manager_client):
    response = manager_client.get(
        EXPORT, {"period": "2026-01", "format": "xlsx", "development": "on", "sort": "composite", "dir": "desc"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][10] == "Development plan"
    assert [(row[0], row[10]) for row in values[1:]] == [("S2", "S1;S4"), ("R21", "R1")]


def test_chinese_download_headers_and_table_headers_match(manager_client):
    zh(manager_client)
    content = manager_client.get(TEAM).content.decode()
    assert ">销售额 (R1)</a>" in content
    header = next(csv.reader(io.StringIO(manager_client.get(EXPORT, {"format": "csv"}).content.decode())))
    assert "销售额 (R1)" in header and "改进计划" in header


def test_chinese_page_marks_low_scores_and_plans_in_words(manager_client):
    response = zh(manager_client).get(TEAM)
    r21 = row_html(response, "R21")
    assert "（低于 80）" in r21
    assert "改进计划" in r21
    assert "曾为 D" in r21


# --------------------------------------------------------------------------- still unrated


def test_a_supervisor_sees_who_they_still_have_to_rate(supervisor_client, org):
    ratings(org.r11, quarter="2026-Q1", collaboration="4", skill_growth="4")
    ratings(org.r12, quarter="2026-Q1", collaboration="4")
    content = supervisor_client.get(TEAM).content.decode()
    q1 = re.search(r'<section[^>]*id="unrated-2026-Q1".*?</section>', content, re.S).group(0)
    assert 'data-unrated="1"' in q1
    assert "Still unrated in 2026-Q1: 1 person" in q1
    assert 'data-unrated-employee="R12"' in q1 and "skill growth" in q1.lower()
    assert 'href="/team/ratings/?quarter=2026-Q1"' in q1
    q4 = re.search(r'<section[^>]*id="unrated-2025-Q4".*?</section>', content, re.S).group(0)
    assert 'data-unrated="2"' in q4


def test_a_closed_quarter_asks_for_no_ratings(supervisor_client):
    period("2025-Q4", status=Period.Status.CLOSED)
    assert 'id="unrated-2025-Q4"' not in supervisor_client.get(TEAM).content.decode()


def test_hr_sees_everyone_unrated_without_a_grid_link(hr_client, org):
    content = hr_client.get(TEAM).content.decode()
    q1 = re.search(r'<section[^>]*id="unrated-2026-Q1".*?</section>', content, re.S).group(0)
    assert 'data-unrated="6"' in q1  # M1 (collaboration), S1, S2, R11, R12, R21
    assert "/team/ratings/" not in q1


def test_chinese_unrated_panel(supervisor_client):
    content = zh(supervisor_client).get(TEAM).content.decode()
    assert "2026-Q1 仍未评分：2 人" in content


# --------------------------------------------------------------------------- query counts


@pytest.mark.parametrize(
    "params", [{}, {"development": "on"}, {"view": "quarters", "period": "2026-01"}, {"sort": "change", "dir": "asc"}]
)
def test_query_count_stays_flat_with_headcount(params):
    small = unit_of(10, "A")
    large = unit_of(600, "B")
    assert queries_for(small, params) == queries_for(large, params)
