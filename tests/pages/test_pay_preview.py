"""/me/: a rep's pay preview for the open month, from the engine, and the spans of its money figures."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from appraisals.engine.inputs import EmployeeInput, MetricAgg, UnitAggregate
from appraisals.engine.kpis import score_employee
from appraisals.engine.policy import RewardKind, RewardRuleSpec
from appraisals.models import Period
from appraisals.selectors import engine_policy, period_result_in_memory, policy_version_for
from pages.selectors.pay_preview import pay_preview
from pages.selectors.person import my_page
from roles.models import Employee
from tests.builders import client_for, metrics, period, rep_month_scorecard, sales, this_month
from tests.pages.helpers import squashed

pytestmark = pytest.mark.django_db

ME = "/me/"


def engine_commission(employee, code: str) -> Decimal:
    """What a close of ``code`` would suggest as ``employee``'s commission, by the engine itself."""
    month = Period.objects.get(code=code)
    policy = engine_policy(policy_version_for(month))
    result = period_result_in_memory(policy=policy, period=month, employee_ids=[employee.pk])
    return next((r.amount for r in result.rewards if r.code == "commission"), Decimal("0.00"))


def commission_rule(code: str) -> RewardRuleSpec:
    policy = engine_policy(policy_version_for(Period.objects.get(code=code)))
    return next(r for r in policy.reward_rules if r.kind == RewardKind.COMMISSION)


# --------------------------------------------------------------------------- commission and tiers


def test_projected_commission_is_the_engines_commission_on_the_same_figures(org):
    # 2% × 200,000 + 4% × 62,500.50 = 4,000 + 2,500.02 = 6,500.02
    metrics(org.r01, period="2026-03", sales_actual="262500.50", sales_target="200000", csat="4.2")

    preview = pay_preview(employee=org.r01, month_code="2026-03")

    assert preview.commission == Decimal("6500.02") == engine_commission(org.r01, "2026-03")
    assert [(t.number, t.floor, t.ceiling, t.rate, t.is_current) for t in preview.tiers] == [
        (1, Decimal(0), Decimal("200000"), Decimal("0.02"), False),
        (2, Decimal("200000"), Decimal("300000"), Decimal("0.04"), True),
        (3, Decimal("300000"), None, Decimal("0.06"), False),
    ]
    assert preview.next_tier.rate == Decimal("0.06")
    assert preview.to_next_tier == Decimal("37499.50")


def test_sales_exactly_on_the_target_reach_the_second_tier_for_the_next_sale(org):
    sales(org.r01, month="2026-03", actual="200000", target="200000")

    preview = pay_preview(employee=org.r01, month_code="2026-03")

    assert preview.commission == Decimal("4000.00") == engine_commission(org.r01, "2026-03")
    assert preview.current_tier.number == 2
    assert preview.to_next_tier == Decimal("100000.00")


def test_without_a_target_the_commission_is_flat(org):
    metrics(org.r01, period="2026-03", sales_actual="12345.67")

    preview = pay_preview(employee=org.r01, month_code="2026-03")

    assert preview.commission == Decimal("246.91") == engine_commission(org.r01, "2026-03")  # 2% of 12,345.67
    assert preview.tiers == [] and preview.flat_rate_percent == "2"
    assert preview.composite is None and preview.next_band is None


def test_what_if_data_carries_the_rule_as_decimal_strings(org):
    sales(org.r01, month="2026-03", actual="174837.5", target="200000")

    data = pay_preview(employee=org.r01, month_code="2026-03").what_if

    assert Decimal(data["actual"]) == Decimal("174837.5") and Decimal(data["target"]) == Decimal("200000")
    tiers = [[None if m is None else Decimal(m), Decimal(rate)] for m, rate in data["tiers"]]
    assert tiers == [[Decimal("1"), Decimal("0.02")], [Decimal("1.5"), Decimal("0.04")], [None, Decimal("0.06")]]
    assert data["commission"] == "3496.75"
    assert (data["decimal_separator"], data["thousand_separator"]) == (".", ",")


# --------------------------------------------------------------------------- composite, band, next band


def test_projected_composite_and_the_completion_that_reaches_the_next_band(org):
    # R1 = 87.40, R2 = 4.2 / 4 → 105.00: (50 × 87.40 + 20 × 105.00) / 70 = 92.43 → C.
    # B needs 95: (50 × R1 + 2100) / 70 ≥ 94.995 → R1 ≥ 90.993 → 91.00 % (the score is rounded to 0.01).
    metrics(org.r01, period="2026-03", sales_actual="174800", sales_target="200000", csat="4.2")

    preview = pay_preview(employee=org.r01, month_code="2026-03")

    assert (preview.composite, preview.band, preview.band_label) == (Decimal("92.43"), "C", "Meets")
    goal = preview.next_band
    assert (goal.letter, goal.completion, goal.more_sales) == ("B", Decimal("91.00"), Decimal("7200.00"))
    # the engine agrees: at 91.00 % the band is B, at 90.99 % still C
    policy = engine_policy(policy_version_for(Period.objects.get(code="2026-03")))
    for actual, band in (("182000", "B"), ("181980", "C")):
        metrics_at = EmployeeInput(
            key=1,
            role="rep",
            reports_to=None,
            totals={
                "sales_actual": MetricAgg(Decimal(actual), 1),
                "sales_target": MetricAgg(Decimal("200000"), 1),
                "csat": MetricAgg(Decimal("4.2"), 1),
            },
        )
        unit = UnitAggregate(totals=metrics_at.totals, by_month={}, has_team=False)
        card = score_employee(policy=policy, period=policy.period_spec("2026-03"), employee=metrics_at, unit=unit)
        assert card.band == band


def test_a_band_out_of_reach_through_sales_alone_says_so(org):
    # R2 = 1 / 4 → 25.00; even R1 capped at 150: (7500 + 500) / 70 = 114.29 → A is reachable;
    # at R1 = 50.00: (2500 + 500) / 70 = 42.86 → E; D needs 60 → R1 ≥ 74.00.
    metrics(org.r01, period="2026-03", sales_actual="50000", sales_target="100000", csat="1")

    preview = pay_preview(employee=org.r01, month_code="2026-03")

    assert (preview.band, preview.next_band.letter, preview.next_band.completion) == ("E", "D", Decimal("74.00"))


def test_the_top_band_has_no_next_band(org):
    metrics(org.r01, period="2026-03", sales_actual="150000", sales_target="100000", csat="5")

    preview = pay_preview(employee=org.r01, month_code="2026-03")

    assert preview.band == "A" and preview.next_band is None


# --------------------------------------------------------------------------- flex time


def test_flex_streak_counts_the_earlier_closed_bands_and_the_projection(org):
    rep_month_scorecard(org.r01, period="2026-01", composite="112.00", band="A")
    rep_month_scorecard(org.r01, period="2026-02", composite="85.00", band="C")
    metrics(org.r01, period="2026-03", sales_actual="100000", sales_target="100000", csat="4.4")  # 102.86 B

    flex = pay_preview(employee=org.r01, month_code="2026-03").flex

    assert [(m.month, m.band, m.projected, m.counts) for m in flex.months] == [
        ("2026-01", "A", False, True),
        ("2026-02", "C", False, False),
        ("2026-03", "B", True, True),
    ]
    assert (flex.count, flex.needed, flex.earned, flex.bands) == (2, 3, False, "A/B")


# --------------------------------------------------------------------------- when there is nothing to project


def test_no_preview_for_a_lead_a_closed_month_or_a_month_without_figures(org):
    sales(org.s01, month="2026-03", actual="1000", target="1000")
    sales(org.r01, month="2026-02", actual="1000", target="1000")
    period("2026-02", status=Period.Status.CLOSED)

    assert pay_preview(employee=org.s01, month_code="2026-03") is None
    assert pay_preview(employee=org.r01, month_code="2026-02") is None
    assert pay_preview(employee=org.r01, month_code="2026-04") is None


# --------------------------------------------------------------------------- the page


def test_me_shows_the_preview_with_its_span_and_as_of_time(rep_client, org):
    month = this_month()
    metrics(org.r01, period=month, sales_actual="262500.50", sales_target="200000", csat="4.2")

    response = rep_client.get(ME)
    page = squashed(response)

    assert f"Pay preview for {month}" in page
    assert re.search(r'data-testid="preview-as-of">\s*as of \S', page)
    assert re.search(
        rf'Projected commission, {month}</dt> <dd[^>]*data-testid="projected-commission">6,500\.02 CNY', page
    )
    assert f"37,499.50 CNY more in sales in {month} reaches tier 3, paid at 6 %." in page
    assert re.search(r'data-testid="projected-composite">\s*1\d\d\.\d\d', page)
    data = json.loads(re.search(r'id="what-if-data"[^>]*>(.*?)</script>', page).group(1))
    assert data["commission"] == "6500.02"
    assert "/static/js/what_if.js" in page


def test_every_money_figure_on_me_states_its_span(rep_client, org):
    rep_month_scorecard(org.r01, period="2025-03")
    month = this_month()
    sales(org.r01, month=month, actual="1000", target="2000")

    page = squashed(rep_client.get(ME))

    assert f"Sales in {month}: 1,000.00 of 2,000.00 CNY" in page
    assert "Commission 2025-03" in page and "Commission, year to date" in page
    assert re.search(r"My rewards <span[^>]*>all time</span>", page)


def test_the_month_header_shows_the_periods_real_status(rep_client, org):
    sales(org.r01, month=this_month(), actual="1000", target="2000")
    period(this_month(), status=Period.Status.CLOSING)

    page = squashed(rep_client.get(ME))

    assert re.search(r'data-testid="month-status">closing<', page)


def test_a_closed_calendar_month_reads_closed_not_open(org):
    period("2026-10", status=Period.Status.CLOSED)
    period("2026-11", status=Period.Status.CLOSED)

    month = my_page(employee=org.r01, today=date(2026, 11, 30)).open_month

    assert (month.code, month.status, str(month.status_label)) == ("2026-11", "closed", "closed")


def test_the_preview_month_is_the_earliest_open_month_after_the_last_closed_one(org):
    period("2026-09", status=Period.Status.CLOSED)
    sales(org.r01, month="2026-10", actual="50000", target="100000")
    sales(org.r01, month="2026-11", actual="10000", target="100000")

    month = my_page(employee=org.r01, today=date(2026, 11, 3)).open_month

    assert month.code == "2026-10"


def test_chinese_me_page_translates_the_preview(rep_client, org):
    metrics(org.r01, period=this_month(), sales_actual="262500.50", sales_target="200000", csat="4.2")

    page = squashed(rep_client.get(ME, headers={"accept-language": "zh-hans"}))

    assert "Pay preview" not in page and "Projected commission" not in page
    assert "6,500.02" in page


# --------------------------------------------------------------------------- the demo rep


def test_the_demo_reps_projected_commission_on_me_is_the_engines():
    from appraisals.periods import PeriodRef
    from demo.logins import DEMO_LOGINS
    from demo.seed import demo_seed

    result = demo_seed(end=PeriodRef.parse(this_month()), employees=20, months=3, seed=42)
    rep_login = next(login for login in result.logins if login.username == "rep")
    assert any(login.username == "rep" for login in DEMO_LOGINS)
    rep = Employee.objects.get(employee_no=rep_login.employee_no)
    client = client_for(rep)

    page = squashed(client.get(ME))

    expected = engine_commission(rep, this_month())
    assert expected > 0
    shown = re.search(r'data-testid="projected-commission">([\d,.]+) CNY', page).group(1)
    assert Decimal(shown.replace(",", "")) == expected
