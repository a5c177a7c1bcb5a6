"""/employees/<no>/scorecard/<period>/print/: one closed scorecard on a printable sheet, seen by who sees the person."""

from __future__ import annotations

import re

import pytest

from appraisals.models import Period
from rewards.models import RewardSuggestion
from tests.builders import client_for, rep_month_scorecard, reward, user
from tests.pages.helpers import squashed

pytestmark = pytest.mark.django_db


def print_url(employee_no: str, code: str) -> str:
    return f"/employees/{employee_no}/scorecard/{code}/print/"


@pytest.fixture
def card(org):
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", band="B")
    reward(org.r01, period="2025-03", code="commission", amount="4310.00", status=RewardSuggestion.Status.APPROVED)
    rep_month_scorecard(org.r01, period="2025-02", composite="91.71", band="C")
    reward(org.r01, period="2025-02", code="commission", amount="1234.00")
    return org.r01


def test_a_rep_prints_their_own_scorecard_with_kpis_and_that_periods_rewards(rep_client, card):
    response = rep_client.get(print_url("R01", "2025-03"))

    page = squashed(response)
    assert response.status_code == 200
    assert "Scorecard 2025-03" in page and "Name R01" in page
    assert re.search(r'data-testid="composite">\s*104\.20', page)
    assert "R1 = 174,800.00 actual ÷ 200,000.00 target over 2025-03" in page
    assert "4,310.00" in page and "1,234.00" not in page  # only the printed period's rewards
    assert "data-print" in page and 'class="print-sheet' in page


def test_a_rep_gets_404_for_a_peers_scorecard(rep_client, org, card):
    rep_month_scorecard(org.r02, period="2025-03")

    assert rep_client.get(print_url("R02", "2025-03")).status_code == 404


def test_leads_print_their_units_scorecards_and_not_others(org, card):
    rep_month_scorecard(org.r03, period="2025-03")

    assert client_for(org.supervisor).get(print_url("R01", "2025-03")).status_code == 200
    assert client_for(org.supervisor).get(print_url("R03", "2025-03")).status_code == 404  # another team


def test_hr_prints_anyones(hr_client, card):
    assert hr_client.get(print_url("R01", "2025-03")).status_code == 200


def test_a_period_without_a_closed_scorecard_is_404(rep_client, org, card):
    rep_month_scorecard(org.r01, period="2025-04", status=Period.Status.CLOSING)

    assert rep_client.get(print_url("R01", "2025-04")).status_code == 404
    assert rep_client.get(print_url("R01", "2024-12")).status_code == 404
    assert rep_client.get(print_url("R01", "2025-13")).status_code == 404


def test_anonymous_goes_to_login_and_a_login_without_a_role_is_refused(client, card):
    response = client.get(print_url("R01", "2025-03"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client_for(user("nobody")).get(print_url("R01", "2025-03")).status_code == 403


def test_the_person_page_links_to_the_printable_scorecard(rep_client, card):
    page = rep_client.get("/employees/R01/?period=2025-02").content.decode()

    assert 'href="/employees/R01/scorecard/2025-02/print/"' in page


def test_the_printable_scorecard_in_chinese(rep_client, card):
    page = squashed(rep_client.get(print_url("R01", "2025-03"), headers={"accept-language": "zh-hans"}))

    assert "Printed" not in page and "Rewards for" not in page
    assert "2025-03" in page and "104.20" in page
