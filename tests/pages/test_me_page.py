"""/me/: the month in progress, the last closed month, commission, trend, rewards; scope and methods."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appraisals.models import Period
from appraisals.periods import PeriodRef
from pages.person import my_page
from rewards.models import RewardSuggestion
from roles.models import Employee
from tests.roles.person_fixtures import closed, hr_user, login, make_org, reward, sales, scorecard, set_status

pytestmark = pytest.mark.django_db

ME = "/me/"
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


def this_month() -> str:
    today = timezone.localdate()
    return PeriodRef.month(today.year, today.month).code


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def org():
    return make_org()


# --------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client):
    response = client.get(ME)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_hr_without_an_employee_link_is_forbidden(client):
    client.force_login(hr_user())
    assert client.get(ME).status_code == 403


def test_hr_with_an_employee_link_sees_their_own_page(client, org):
    org.r01.user.groups.add(hr_user().groups.get())
    client.force_login(org.r01.user)
    assert client.get(ME).status_code == 200


def test_login_without_employee_or_hr_is_forbidden(client):
    client.force_login(login("nobody"))
    assert client.get(ME).status_code == 403


def test_inactive_employee_is_forbidden(client, org):
    org.r01.is_active = False
    org.r01.save(update_fields=["is_active"])
    client.force_login(org.r01.user)
    assert client.get(ME).status_code == 403


def test_post_is_not_allowed(client, org):
    client.force_login(org.r01.user)
    assert client.post(ME).status_code == 405


# --------------------------------------------------------------------------- the month in progress


def test_rep_sees_own_completion_rate_from_the_month_figures(client, org):
    sales(org.r01, this_month(), "174800", "200000")
    sales(org.r02, this_month(), "999999", "1000")  # a peer's figures do not count
    client.force_login(org.r01.user)

    page = text(client.get(ME))

    assert re.search(r'data-testid="completion">\s*87\.4 %', page)
    assert 'aria-valuenow="87"' in page
    assert "Sales 174,800.00 of 200,000.00 CNY" in page
    assert f"{this_month()} " in page


def test_completion_over_target_fills_the_bar_and_says_the_real_figure(client, org):
    sales(org.r01, this_month(), "236000", "200000")
    client.force_login(org.r01.user)

    page = text(client.get(ME))

    assert re.search(r'data-testid="completion">\s*118\.0 %', page)
    assert 'aria-valuenow="100"' in page and 'aria-valuetext="118.0 %"' in page


def test_days_left_count_today_until_month_end(org):
    sales(org.r01, "2026-11", "174800", "200000")

    month = my_page(employee=org.r01, today=date(2026, 11, 19)).open_month

    assert (month.code, month.days_left, month.completion) == ("2026-11", 12, Decimal("87.4"))


def test_open_month_is_the_latest_unclosed_month_with_figures_that_has_begun(org):
    closed("2026-09")
    sales(org.r01, "2026-09", "1", "1")
    sales(org.r01, "2026-10", "50000", "100000")
    sales(org.r01, "2026-12", "0", "100000")  # a target loaded ahead of time

    month = my_page(employee=org.r01, today=date(2026, 11, 3)).open_month

    assert (month.code, month.days_left, month.actual, month.target) == (
        "2026-10",
        0,
        Decimal("50000.00"),
        Decimal("100000.00"),
    )


def test_without_figures_the_open_month_is_the_calendar_month(org):
    closed("2026-10")
    scorecard(org.r01, "2026-10")

    month = my_page(employee=org.r01, today=date(2026, 11, 30)).open_month

    assert (month.code, month.days_left, month.completion) == ("2026-11", 1, None)


def test_supervisor_sees_the_completion_of_their_unit(client, org):
    sales(org.r01, this_month(), "100000", "100000")
    sales(org.r02, this_month(), "50000", "100000")
    sales(org.r07, this_month(), "30000", "100000")  # depth 2 counts
    sales(org.r03, this_month(), "100000", "100000")  # another team does not
    client.force_login(org.s01.user)

    page = text(client.get(ME))

    assert "Unit target completion" in page
    assert re.search(r'data-testid="completion">\s*60\.0 %', page)
    assert "Sales 180,000.00 of 300,000.00 CNY" in page


# --------------------------------------------------------------------------- the last closed month


def test_last_closed_month_shows_composite_band_and_kpi_table(client, org):
    scorecard(org.r01, "2025-02", composite="91.71", band="C")
    scorecard(org.r01, "2025-03", composite="104.20", band="B")
    client.force_login(org.r01.user)

    page = text(client.get(ME))

    assert "Last closed month 2025-03" in page
    assert re.search(r'data-testid="composite">\s*104\.20', page)
    assert re.search(r'band-B"[^>]*>B</span> <span class="small">Strong</span>', page)
    # R1: value, target, weight, score
    assert re.search(r"R1</span> Personal sales-target completion.*?0\.874.*?1\.00.*?50\.00.*?87\.40", page)


def test_a_closing_month_is_not_shown_as_the_last_closed_month(client, org):
    scorecard(org.r01, "2025-02", composite="91.71")
    scorecard(org.r01, "2025-03", composite="104.20", status=Period.Status.CLOSING)
    client.force_login(org.r01.user)

    page = text(client.get(ME))

    assert "Last closed month 2025-02" in page
    assert "104.20" not in page


def test_commission_of_the_month_and_year_to_date(client, org):
    for code in ("2024-12", "2025-01", "2025-02", "2025-03"):
        scorecard(org.r01, code)
    reward(org.r01, "2024-12", "commission", "9000.00", APPROVED)  # last year
    reward(org.r01, "2025-01", "commission", "4000.00", APPROVED)
    reward(org.r01, "2025-02", "commission", "2500.00", REJECTED)  # not paid
    reward(org.r01, "2025-03", "commission", "4310.00")  # pending counts
    reward(org.r01, "2025-03", "flex_time", None)
    set_status("2025-04", Period.Status.CLOSING)
    reward(org.r01, "2025-04", "commission", "7777.00")  # partial results of a closing month
    client.force_login(org.r01.user)

    page = text(client.get(ME))

    assert re.search(r'data-testid="commission-month">\s*4,310\.00 CNY', page)
    assert re.search(r'data-testid="commission-ytd">\s*8,310\.00 CNY', page)
    assert "7,777.00" not in page


def test_rewards_are_counted_per_reward_and_status(client, org):
    for code in ("2025-01", "2025-02", "2025-03"):
        scorecard(org.r01, code)
        reward(org.r01, code, "commission", "100.00", APPROVED)
    reward(org.r01, "2025-03", "flex_time", None)
    client.force_login(org.r01.user)

    page = text(client.get(ME))

    assert re.search(r"Sales commission ×3 <span[^>]*>approved</span> <span[^>]*>300\.00 CNY", page)
    assert re.search(r"Flexible working time ×1 <span[^>]*>pending</span>", page)


def test_past_scorecards_link_to_the_person_page_with_the_period(client, org):
    scorecard(org.r01, "2025-03", composite="104.20", band="B")
    scorecard(
        org.r01,
        "2025-Q1",
        composite="99.00",
        band="B",
        kpis={"R1": ("50", "1.0", "0.99", "99.00", {"sales_actual": "1", "sales_target": "1"})},
    )
    client.force_login(org.r01.user)

    page = client.get(ME).content.decode()

    assert 'href="/employees/R01/?period=2025-Q1"' in page
    assert 'href="/employees/R01/?period=2025-03"' in page


def test_trend_has_twelve_months_of_completion_and_composite(client, org):
    scorecard(org.r01, "2025-01", composite="91.71")
    scorecard(org.r01, "2025-03", composite="104.20", band="B")
    client.force_login(org.r01.user)

    response = client.get(ME)

    data = json.loads(re.search(r'id="trend-data"[^>]*>(.*?)</script>', response.content.decode()).group(1))
    assert data["labels"][0] == "2024-04" and data["labels"][-1] == "2025-03" and len(data["labels"]) == 12
    completion, composite = data["series"]
    assert completion["data"][-3:] == [87.4, None, 87.4]
    assert composite["data"][-3:] == [91.71, None, 104.2]
    # the same figures as a table
    assert re.search(r"2025-03</th>\s*<td class=\"num\">87\.4</td>\s*<td class=\"num\">104\.20</td>", text(response))


def test_a_person_without_data_sees_a_friendly_empty_state(client, org):
    client.force_login(org.r01.user)

    response = client.get(ME)

    assert response.status_code == 200
    assert "Nothing to show yet" in response.content.decode()
    assert "trend-data" not in response.content.decode()


# --------------------------------------------------------------------------- queries


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(ME).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_months_and_rewards(client, org):
    sales(org.r01, this_month(), "1", "2")
    sales(org.r02, this_month(), "1", "2")
    scorecard(org.r01, "2025-01")
    reward(org.r01, "2025-01", "commission", "10.00")
    for month in range(1, 13):
        code = f"2024-{month:02d}"
        scorecard(org.r02, code)
        reward(org.r02, code, "commission", "10.00", APPROVED)
        reward(org.r02, code, "flex_time", None)
    scorecard(org.r02, "2025-01")

    small = _queries(client, org.r01.user)
    large = _queries(client, org.r02.user)

    assert small == large
    assert large <= 14


def test_my_page_selector_takes_eight_queries(django_assert_num_queries, org):
    sales(org.r01, "2025-04", "1", "2")
    for month in range(1, 13):
        scorecard(org.r01, f"2024-{month:02d}")
        reward(org.r01, f"2024-{month:02d}", "commission", "10.00", APPROVED)
    employee = Employee.objects.select_related("role").get(pk=org.r01.pk)

    with django_assert_num_queries(8):
        page = my_page(employee=employee, today=date(2025, 4, 10))

    assert page.last_month.period_code == "2024-12"
    assert page.commission_ytd == Decimal("120.00")
