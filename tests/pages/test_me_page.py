"""/me/: the month in progress, the last closed month, commission, trend, rewards; scope and methods."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals.models import Period
from pages.selectors.person import my_page
from rewards.models import RewardSuggestion
from roles.models import Employee
from tests.builders import (
    Kpi,
    client_for,
    hr_user,
    period,
    rep_month_scorecard,
    reward,
    sales,
    scorecard,
    this_month,
    user,
)
from tests.pages.helpers import squashed

pytestmark = pytest.mark.django_db

ME = "/me/"
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


# --------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client):
    response = client.get(ME)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_hr_without_an_employee_link_is_forbidden(hr_client):
    assert hr_client.get(ME).status_code == 403


def test_hr_with_an_employee_link_sees_their_own_page(rep_client, org):
    org.r01.user.groups.add(hr_user().groups.get())
    assert rep_client.get(ME).status_code == 200


def test_login_without_employee_or_hr_is_forbidden():
    assert client_for(user("nobody")).get(ME).status_code == 403


def test_inactive_employee_is_logged_out(rep_client, org):
    org.r01.is_active = False
    org.r01.save(update_fields=["is_active"])
    response = rep_client.get(ME)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_me_page_refuses_a_post(rep_client):
    assert rep_client.post(ME).status_code == 405


# --------------------------------------------------------------------------- the month in progress


def test_rep_sees_own_completion_rate_from_the_month_figures(rep_client, org):
    sales(org.r01, month=this_month(), actual="174800", target="200000")
    sales(org.r02, month=this_month(), actual="999999", target="1000")  # a peer's figures do not count

    page = squashed(rep_client.get(ME))

    assert re.search(r'data-testid="completion">\s*87\.4 %', page)
    assert 'aria-valuenow="87"' in page
    assert f"Sales in {this_month()}: 174,800.00 of 200,000.00 CNY" in page
    assert f"{this_month()} " in page


def test_completion_over_target_fills_the_bar_and_says_the_real_figure(rep_client, org):
    sales(org.r01, month=this_month(), actual="236000", target="200000")

    page = squashed(rep_client.get(ME))

    assert re.search(r'data-testid="completion">\s*118\.0 %', page)
    assert 'aria-valuenow="100"' in page and 'aria-valuetext="118.0 %"' in page


def test_days_left_count_today_until_month_end(org):
    sales(org.r01, month="2026-11", actual="174800", target="200000")

    month = my_page(employee=org.r01, today=date(2026, 11, 19)).open_month

    assert (month.code, month.days_left, month.completion) == ("2026-11", 12, Decimal("87.4"))


def test_open_month_is_the_earliest_unclosed_month_with_figures_that_has_begun(org):
    period("2026-09", status=Period.Status.CLOSED)
    sales(org.r01, month="2026-09", actual="1", target="1")
    sales(org.r01, month="2026-10", actual="50000", target="100000")
    sales(org.r01, month="2026-12", actual="0", target="100000")  # a target loaded ahead of time

    month = my_page(employee=org.r01, today=date(2026, 11, 3)).open_month

    assert (month.code, month.days_left, month.actual, month.target) == (
        "2026-10",
        0,
        Decimal("50000.00"),
        Decimal("100000.00"),
    )


def test_without_figures_the_open_month_is_the_calendar_month(org):
    period("2026-10", status=Period.Status.CLOSED)
    rep_month_scorecard(org.r01, period="2026-10")

    month = my_page(employee=org.r01, today=date(2026, 11, 30)).open_month

    assert (month.code, month.days_left, month.completion) == ("2026-11", 1, None)


def test_supervisor_sees_the_completion_of_their_unit(supervisor_client, org):
    sales(org.r01, month=this_month(), actual="100000", target="100000")
    sales(org.r02, month=this_month(), actual="50000", target="100000")
    sales(org.r07, month=this_month(), actual="30000", target="100000")  # depth 2 counts
    sales(org.r03, month=this_month(), actual="100000", target="100000")  # another team does not

    page = squashed(supervisor_client.get(ME))

    assert "Unit target completion" in page
    assert re.search(r'data-testid="completion">\s*60\.0 %', page)
    assert f"Sales in {this_month()}: 180,000.00 of 300,000.00 CNY" in page


# --------------------------------------------------------------------------- the last closed month


def test_last_closed_month_shows_composite_band_and_kpi_table(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-02", composite="91.71", band="C")
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", band="B")

    page = squashed(rep_client.get(ME))

    assert "Last closed month 2025-03" in page
    assert re.search(r'data-testid="composite">\s*104\.20', page)
    assert re.search(r'band-B"[^>]*>B</span> <span class="small">Strong</span>', page)
    # R1: value, target, weight, score
    assert re.search(r"R1</span> Personal sales-target completion.*?0\.874.*?1\.00.*?50\.00.*?87\.40", page)


def test_a_closing_month_is_not_shown_as_the_last_closed_month(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-02", composite="91.71")
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", status=Period.Status.CLOSING)

    page = squashed(rep_client.get(ME))

    assert "Last closed month 2025-02" in page
    assert "104.20" not in page


def test_commission_of_the_month_and_year_to_date(rep_client, org):
    for code in ("2024-12", "2025-01", "2025-02", "2025-03"):
        rep_month_scorecard(org.r01, period=code)
    reward(org.r01, period="2024-12", code="commission", amount="9000.00", status=APPROVED)  # last year
    reward(org.r01, period="2025-01", code="commission", amount="4000.00", status=APPROVED)
    reward(org.r01, period="2025-02", code="commission", amount="2500.00", status=REJECTED)  # not paid
    reward(org.r01, period="2025-03", code="commission", amount="4310.00")  # pending counts
    reward(org.r01, period="2025-03", code="flex_time", amount=None)
    closing = period("2025-04", status=Period.Status.CLOSING)
    reward(org.r01, period=closing, code="commission", amount="7777.00")  # partial results of a closing month

    page = squashed(rep_client.get(ME))

    assert re.search(r'data-testid="commission-month">\s*4,310\.00 CNY', page)
    assert re.search(r'data-testid="commission-ytd">\s*8,310\.00 CNY', page)
    assert "7,777.00" not in page


def test_rewards_are_counted_per_reward_and_status(rep_client, org):
    for code in ("2025-01", "2025-02", "2025-03"):
        rep_month_scorecard(org.r01, period=code)
        reward(org.r01, period=code, code="commission", amount="100.00", status=APPROVED)
    reward(org.r01, period="2025-03", code="flex_time", amount=None)

    page = squashed(rep_client.get(ME))

    assert re.search(r"Sales commission ×3 <span[^>]*>approved</span> <span[^>]*>300\.00 CNY", page)
    assert re.search(r"Flexible working time ×1 <span[^>]*>pending</span>", page)


def test_past_scorecards_link_to_the_person_page_with_the_period(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", band="B")
    scorecard(
        org.r01,
        period="2025-Q1",
        composite="99.00",
        band="B",
        kpis={
            "R1": Kpi(
                "99.00", value="0.99", weight="50", target="1.0", inputs={"sales_actual": "1", "sales_target": "1"}
            )
        },
    )

    page = rep_client.get(ME).content.decode()

    assert 'href="/employees/R01/?period=2025-Q1"' in page
    assert 'href="/employees/R01/?period=2025-03"' in page


def test_trend_has_twelve_months_of_completion_and_composite(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-01", composite="91.71")
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", band="B")

    response = rep_client.get(ME)

    data = json.loads(re.search(r'id="trend-data"[^>]*>(.*?)</script>', response.content.decode()).group(1))
    assert data["labels"][0] == "2024-04" and data["labels"][-1] == "2025-03" and len(data["labels"]) == 12
    completion, composite = data["series"]
    assert completion["data"][-3:] == [87.4, None, 87.4]
    assert composite["data"][-3:] == [91.71, None, 104.2]
    # the same figures as a table
    assert re.search(
        r"2025-03</th>\s*<td class=\"num\">87\.4</td>\s*<td class=\"num\">104\.20</td>", squashed(response)
    )


def test_a_person_without_data_sees_a_friendly_empty_state(rep_client):
    response = rep_client.get(ME)

    assert response.status_code == 200
    assert "Nothing to show yet" in response.content.decode()
    assert "trend-data" not in response.content.decode()


# --------------------------------------------------------------------------- queries


def _queries(who: Employee) -> int:
    client = client_for(who)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(ME).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_months_and_rewards(org):
    sales(org.r01, month=this_month(), actual="1", target="2")
    sales(org.r02, month=this_month(), actual="1", target="2")
    rep_month_scorecard(org.r01, period="2025-01")
    reward(org.r01, period="2025-01", code="commission", amount="10.00")
    for month in range(1, 13):
        code = f"2024-{month:02d}"
        rep_month_scorecard(org.r02, period=code)
        reward(org.r02, period=code, code="commission", amount="10.00", status=APPROVED)
        reward(org.r02, period=code, code="flex_time", amount=None)
    rep_month_scorecard(org.r02, period="2025-01")

    small = _queries(org.r01)
    large = _queries(org.r02)

    assert small == large
    assert large <= 28  # 14 of them the pay preview's: the policy and the engine's inputs, a fixed number


def test_my_page_selector_takes_nine_queries(django_assert_num_queries, org):
    sales(org.r01, month="2025-04", actual="1", target="2")
    for month in range(1, 13):
        rep_month_scorecard(org.r01, period=f"2024-{month:02d}")
        reward(org.r01, period=f"2024-{month:02d}", code="commission", amount="10.00", status=APPROVED)
    employee = Employee.objects.select_related("role").get(pk=org.r01.pk)

    with django_assert_num_queries(9):  # one of them: has any month closed (which open month is next)
        page = my_page(employee=employee, today=date(2025, 4, 10))

    assert page.last_month.period_code == "2024-12"
    assert page.commission_ytd == Decimal("120.00")
