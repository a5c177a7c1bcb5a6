"""/employees/<no>/ and its ratings form: scope, the scorecard with its raw figures, history, ratings, queries."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appraisals.models import KpiDefinition, Metric, MetricValue, Period, RatingComment
from appraisals.ratings import RatingRefused, rating_quarters
from pages.selectors.kpi_sentences import kpi_explanation
from pages.selectors.person import person_page
from rewards.models import RewardSuggestion
from roles.models import Employee
from tests.builders import (
    client_for,
    close_period,
    metrics,
    period,
    ratings,
    rep_month_scorecard,
    reward,
    sales,
    stored_metrics,
    user,
)
from tests.pages.helpers import squashed

pytestmark = pytest.mark.django_db

APPROVED = RewardSuggestion.Status.APPROVED


def page_of(employee_no: str) -> str:
    return f"/employees/{employee_no}/"


def ratings_url(employee_no: str) -> str:
    return f"/employees/{employee_no}/ratings/"


def quarters() -> tuple[str, str]:
    current, previous = rating_quarters(timezone.localdate())
    return current.code, previous.code


# --------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(page_of("R01"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_rep_sees_own_page(rep_client):
    response = rep_client.get(page_of("R01"))
    assert response.status_code == 200
    assert "Name R01" in response.content.decode()


def test_rep_cannot_open_a_peers_page(rep_client):
    assert rep_client.get(page_of("R02")).status_code == 404


def test_supervisor_sees_a_team_member(supervisor_client):
    assert supervisor_client.get(page_of("R01")).status_code == 200


def test_supervisor_does_not_see_another_teams_member(supervisor_client):
    assert supervisor_client.get(page_of("R03")).status_code == 404


def test_manager_sees_anyone_in_the_unit_at_depth_two(manager_client):
    assert manager_client.get(page_of("R07")).status_code == 200
    assert manager_client.get(page_of("R03")).status_code == 200


def test_manager_does_not_see_another_unit(manager_client):
    assert manager_client.get(page_of("R09")).status_code == 404


def test_hr_sees_everyone(hr_client, org):
    assert [hr_client.get(page_of(no)).status_code for no in ("M01", "R07", "M09", "R09")] == [200] * 4


def test_login_without_employee_or_hr_is_forbidden(org):
    assert client_for(user("nobody")).get(page_of("R01")).status_code == 403


def test_employee_page_refuses_a_post(rep_client):
    assert rep_client.post(page_of("R01")).status_code == 405


# --------------------------------------------------------------------------- what the page shows


def test_page_shows_role_supervisor_and_the_roles_duties_in_order(rep_client):
    page = squashed(rep_client.get(page_of("R01")))

    assert "Sales Representative" in page
    assert "Reports to Name S01" in page
    first = page.index("Prospect for customers")
    last = page.index("Report customer needs")
    assert first < last


def test_page_is_in_chinese_when_chinese_is_chosen(rep_client):
    page = squashed(rep_client.get(page_of("R01"), headers={"accept-language": "zh-hans"}))

    assert "销售代表" in page
    assert "负责开拓潜在客户" in page


def test_kpi_sentence_shows_the_raw_figures_of_a_real_close(supervisor_client, org):
    for code, actual, target in (("2026-07", "120000", "100000"), ("2026-08", "134000", "100000")):
        sales(org.r01, month=code, actual=actual, target=target)
    sales(org.r01, month="2026-09", actual="100000", target="100000")
    metrics(org.r01, period="2026-07", csat="4.5")
    for code in ("2026-07", "2026-08", "2026-09", "2026-Q3"):
        close_period(code)

    page = squashed(supervisor_client.get(page_of("R01") + "?period=2026-Q3"))

    assert "Scorecard 2026-Q3" in page
    assert "R1 = 354,000.00 actual ÷ 300,000.00 target over 2026-07…09" in page
    assert "R2 = 4.50 Customer feedback (service quality) ÷ 1 value over 2026-07…09" in page
    # R3 and R4 had no ratings: missing, with the reason
    assert "Missing: no Collaboration rating recorded" in page
    assert "Missing: no Skill growth and learning rating recorded" in page


def test_default_scorecard_is_the_latest_closed_month(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-02", composite="91.71")
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", band="B")
    rep_month_scorecard(org.r01, period="2025-04", composite="77.00", band="D", status=Period.Status.CLOSING)

    page = squashed(rep_client.get(page_of("R01")))

    assert "Scorecard 2025-03" in page
    assert re.search(r'data-testid="composite">\s*104\.20', page)
    assert "77.00" not in page


def test_period_parameter_chooses_the_scorecard(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-02", composite="91.71")
    rep_month_scorecard(org.r01, period="2025-03", composite="104.20", band="B")

    page = squashed(rep_client.get(page_of("R01") + "?period=2025-02"))

    assert "Scorecard 2025-02" in page
    assert re.search(r'data-testid="composite">\s*91\.71', page)


def test_a_period_without_a_closed_scorecard_says_so(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-03", status=Period.Status.CLOSING)

    response = rep_client.get(page_of("R01") + "?period=2025-03")

    assert response.status_code == 200
    assert "There is no closed scorecard for 2025-03." in squashed(response)


def test_reward_history_lists_closed_periods_only(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-01")
    reward(org.r01, period="2025-01", code="commission", amount="4310.00", status=APPROVED)
    reward(org.r01, period="2025-Q1", code="training_or_career_plan", amount=None)
    period("2025-Q1", status=Period.Status.CLOSED)
    reopened = period("2025-02", status=Period.Status.OPEN)
    reward(org.r01, period=reopened, code="commission", amount="9999.00")

    page = squashed(rep_client.get(page_of("R01")))

    assert re.search(r"<td>2025-01</td> <td>Sales commission</td> <td class=\"num\">4,310\.00</td>", page)
    assert re.search(r"<td>2025-Q1</td> <td>Training or career plan</td>", page, re.IGNORECASE)
    assert "9,999.00" not in page


def test_ratings_history_shows_values_per_quarter(rep_client, org):
    ratings(org.r01, quarter="2025-Q1", collaboration="4.5", skill_growth="3.5")
    ratings(org.r01, quarter="2025-Q2", collaboration="4")

    page = squashed(rep_client.get(page_of("R01")))

    assert re.search(
        r'2025-Q2</th> <td class="num">4\.00</td><td class="num">—</td>.*'
        r'2025-Q1</th> <td class="num">4\.50</td><td class="num">3\.50</td>',
        page,
    )


# --------------------------------------------------------------------------- the raw-figures sentence


def _definition(formula: str, numerator: str | None = None, denominator: str | None = None) -> KpiDefinition:
    return KpiDefinition(
        formula=formula,
        numerator_metric=Metric.objects.get(code=numerator) if numerator else None,
        denominator_metric=Metric.objects.get(code=denominator) if denominator else None,
    )


@pytest.mark.parametrize(
    ("code", "formula", "numerator", "denominator", "inputs", "sentence"),
    [
        (
            "R1",
            "own_ratio",
            "sales_actual",
            "sales_target",
            {"sales_actual": "354000.00", "sales_target": "300000.00", "months": "2026-07..2026-09"},
            "R1 = 354,000.00 actual ÷ 300,000.00 target over 2026-07…09",
        ),
        (
            "M1",
            "unit_ratio",
            "sales_actual",
            "sales_target",
            {"sales_actual": "1.5", "sales_target": "2", "months": "2025-12..2026-02", "scope": "unit"},
            "M1 = 1.50 actual ÷ 2.00 target over 2025-12…2026-02, whole unit",
        ),
        (
            "M3a",
            "unit_ratio",
            "new_customers",
            "new_customer_target",
            {"new_customers": "736", "new_customer_target": "1746", "months": "2026-04", "scope": "unit"},
            "M3a = 736 new customers ÷ 1,746 new-customer target over 2026-04, whole unit",
        ),
        (
            "R3",
            "own_mean",
            "collaboration",
            None,
            {"collaboration_total": "8.5", "collaboration_count": "2", "quarters": "2026-Q1..2026-Q2"},
            "R3 = 8.50 Collaboration rating ÷ 2 values over 2026-Q1…Q2",
        ),
        (
            "S4",
            "team_mean_composite",
            None,
            None,
            {"team_scorecards": "8", "composites_total": "767.34", "months": "2026-07..2026-09"},
            "S4 = 767.34 composite ÷ 8 team scorecards over 2026-07…09",
        ),
        (
            "M2",
            "team_target_hit_share",
            "sales_actual",
            "sales_target",
            {"pairs": "21", "hits": "12", "months": "2026-04..2026-06"},
            "M2 = 12 of 21 team-months on target over 2026-04…06",
        ),
        (
            "M5",
            "own_delta",
            "market_share",
            None,
            {"market_share@2026-Q2": "6.2", "market_share@2026-Q1": "5"},
            "M5 = Market share (%) 6.20 at 2026-Q2 − 5.00 at 2026-Q1",
        ),
    ],
)
def test_kpi_sentence_per_formula(code, formula, numerator, denominator, inputs, sentence):
    assert kpi_explanation(code, _definition(formula, numerator, denominator), inputs) == sentence


def test_kpi_sentence_without_a_definition_lists_the_figures():
    assert kpi_explanation("X1", None, {"b": "2", "a": "1", "reason": "x"}) == "X1: a = 1, b = 2"


# --------------------------------------------------------------------------- ratings


def test_supervisor_sees_the_ratings_form_for_a_direct_report(supervisor_client):
    page = supervisor_client.get(page_of("R01")).content.decode()

    assert 'action="/employees/R01/ratings/"' in page
    assert 'name="rating_collaboration"' in page and 'name="rating_skill_growth"' in page
    assert 'name="rating_team_efficiency"' not in page


def test_rep_sees_no_ratings_form_on_own_page(rep_client):
    assert "ratings-form" not in rep_client.get(page_of("R01")).content.decode()


def test_supervisor_saves_ratings(supervisor_client, org):
    current, _previous = quarters()

    response = supervisor_client.post(
        ratings_url("R01"), {"quarter": current, "rating_collaboration": "4.5", "rating_skill_growth": "3.5"}
    )

    assert response.status_code == 302 and response.url == "/employees/R01/#ratings"
    assert stored_metrics(org.r01, period=current) == {"collaboration": Decimal("4.5"), "skill_growth": Decimal("3.5")}
    assert set(MetricValue.objects.filter(employee=org.r01).values_list("entered_by", flat=True)) == {org.s01.user.pk}
    assert f"Ratings for {current} saved." in supervisor_client.get(response.url).content.decode()


def test_blank_rating_leaves_the_stored_value(supervisor_client, org):
    current, _previous = quarters()
    ratings(org.r01, quarter=current, skill_growth="3")

    supervisor_client.post(
        ratings_url("R01"), {"quarter": current, "rating_collaboration": "4.5", "rating_skill_growth": ""}
    )

    assert stored_metrics(org.r01, period=current) == {"collaboration": Decimal("4.5"), "skill_growth": Decimal("3")}


def test_a_rating_of_five_needs_a_comment_which_is_kept(supervisor_client, org):
    current, _previous = quarters()

    refused = supervisor_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "5"})

    assert refused.status_code == 200
    assert "A rating of 2 or below, or of 5, needs a comment." in refused.content.decode()
    assert stored_metrics(org.r01, period=current) == {}

    supervisor_client.post(
        ratings_url("R01"),
        {"quarter": current, "rating_collaboration": "5", "comment_collaboration": "Led the Q3 handover."},
    )

    assert stored_metrics(org.r01, period=current) == {"collaboration": Decimal("5")}
    comment = RatingComment.objects.get(employee=org.r01, metric_id="collaboration")
    assert (comment.text, comment.period.code) == ("Led the Q3 handover.", current)
    # Stored with its comment, the rating can be entered again without repeating it.
    supervisor_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "5"})
    assert RatingComment.objects.filter(employee=org.r01).count() == 1


def test_closed_quarter_is_refused_with_a_form_error(supervisor_client, org):
    _current, previous = quarters()
    period(previous, status=Period.Status.CLOSED)

    response = supervisor_client.post(ratings_url("R01"), {"quarter": previous, "rating_collaboration": "4"})

    assert response.status_code == 200
    assert f"{previous} is closed; its ratings can no longer change." in response.content.decode()
    assert stored_metrics(org.r01, period=previous) == {}


def test_a_refusal_from_the_service_shows_on_the_form(supervisor_client, monkeypatch):
    current, _previous = quarters()

    def refuse(**kwargs):
        raise RatingRefused(f"{current} is being closed; its ratings can no longer change.", field="quarter")

    monkeypatch.setattr("pages.views.person.ratings_enter", refuse)

    response = supervisor_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "4"})

    assert response.status_code == 200
    assert f"{current} is being closed; its ratings can no longer change." in response.content.decode()


def test_posting_no_rating_at_all_asks_for_one(supervisor_client):
    current, _previous = quarters()

    response = supervisor_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": ""})

    assert response.status_code == 200
    assert "Enter at least one rating." in response.content.decode()


def test_closed_quarter_is_not_offered(supervisor_client):
    current, previous = quarters()
    period(previous, status=Period.Status.CLOSED)

    page = supervisor_client.get(page_of("R01")).content.decode()

    assert f'<option value="{current}"' in page
    assert f'<option value="{previous}"' not in page


def test_out_of_range_rating_is_refused(supervisor_client, org):
    current, _previous = quarters()

    response = supervisor_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "6"})

    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 5." in response.content.decode()
    assert stored_metrics(org.r01, period=current) == {}


def test_rep_cannot_post_ratings(rep_client, org):
    current, _previous = quarters()

    response = rep_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "5"})

    assert response.status_code == 403
    assert stored_metrics(org.r01, period=current) == {}


def test_supervisor_cannot_rate_someone_in_the_unit_who_is_not_a_direct_report(supervisor_client, org):
    current, _previous = quarters()

    response = supervisor_client.post(ratings_url("R07"), {"quarter": current, "rating_collaboration": "5"})

    assert response.status_code == 403
    assert stored_metrics(org.r07, period=current) == {}


def test_supervisor_cannot_rate_another_teams_member(supervisor_client):
    current, _previous = quarters()

    response = supervisor_client.post(ratings_url("R03"), {"quarter": current, "rating_collaboration": "5"})

    assert response.status_code == 404


def test_manager_rates_a_direct_report_supervisor(manager_client, org):
    current, _previous = quarters()

    response = manager_client.post(
        ratings_url("S01"), {"quarter": current, "rating_collaboration": "4", "rating_team_efficiency": "4.5"}
    )

    assert response.status_code == 302
    assert stored_metrics(org.s01, period=current) == {"collaboration": Decimal("4"), "team_efficiency": Decimal("4.5")}


def test_manager_cannot_rate_a_rep_two_levels_down(manager_client):
    current, _previous = quarters()

    assert manager_client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "4"}).status_code == 403


def test_hr_rates_anyone(hr_client, org):
    current, _previous = quarters()

    response = hr_client.post(ratings_url("M09"), {"quarter": current, "rating_collaboration": "3"})

    assert response.status_code == 302
    assert stored_metrics(org.m09, period=current) == {"collaboration": Decimal("3")}


def test_ratings_url_refuses_a_get(supervisor_client):
    assert supervisor_client.get(ratings_url("R01")).status_code == 405


def test_anonymous_post_of_ratings_is_sent_to_login(client, org):
    current, _previous = quarters()
    response = client.post(ratings_url("R01"), {"quarter": current, "rating_collaboration": "5"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert stored_metrics(org.r01, period=current) == {}


# --------------------------------------------------------------------------- queries


def _queries(client, employee_no: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(page_of(employee_no)).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_months_rewards_and_ratings(supervisor_client, org):
    rep_month_scorecard(org.r01, period="2025-01")
    reward(org.r01, period="2025-01", code="commission", amount="10.00")
    ratings(org.r01, quarter="2025-Q1", collaboration="4")
    for month in range(1, 13):
        code = f"2024-{month:02d}"
        rep_month_scorecard(org.r02, period=code)
        reward(org.r02, period=code, code="commission", amount="10.00", status=APPROVED)
        reward(org.r02, period=code, code="flex_time", amount=None)
    for quarter in range(1, 5):
        ratings(org.r02, quarter=f"2024-Q{quarter}", collaboration="4", skill_growth="4")
    rep_month_scorecard(org.r02, period="2025-01")

    small = _queries(supervisor_client, "R01")
    large = _queries(supervisor_client, "R02")

    assert small == large
    assert large <= 24


def test_person_page_selector_takes_nine_queries(django_assert_num_queries, org):
    for month in range(1, 13):
        rep_month_scorecard(org.r01, period=f"2024-{month:02d}")
        reward(org.r01, period=f"2024-{month:02d}", code="commission", amount="10.00", status=APPROVED)
    ratings(org.r01, quarter="2024-Q1", collaboration="4")
    employee = Employee.objects.select_related("role").get(pk=org.r01.pk)

    with django_assert_num_queries(9):
        page = person_page(employee=employee, period_code=None)

    assert page.selected.period_code == "2024-12"
    assert len(page.scorecards) == 12 and len(page.rewards) == 12 and len(page.ratings) == 1
