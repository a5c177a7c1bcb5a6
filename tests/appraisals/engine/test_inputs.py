"""The period as the engine receives it, and the plan of what a selector reads for it
(``appraisals.engine.inputs``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appraisals.engine.inputs import InputsPlan, PeriodSpec
from appraisals.engine.policy import PolicyRules
from tests.appraisals.engine.defaults import DEFAULT_BANDS, DEFAULT_KPIS, default_policy, default_rule


@pytest.mark.parametrize(
    ("code", "history", "months", "quarters", "last", "baseline", "previous"),
    [
        ("2026-01", 2, ("2026-01",), (), None, None, ("2025-12", "2025-11")),
        ("2026-03", 0, ("2026-03",), (), None, None, ()),
        ("2026-Q1", 2, ("2026-01", "2026-02", "2026-03"), ("2026-Q1",), "2026-Q1", "2025-Q4", ()),
        ("2026-Q3", 0, ("2026-07", "2026-08", "2026-09"), ("2026-Q3",), "2026-Q3", "2026-Q2", ()),
        (
            "2026",
            0,
            tuple(f"2026-{m:02d}" for m in range(1, 13)),
            ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"),
            "2026-Q4",
            "2025-Q4",
            (),
        ),
    ],
)
def test_period_spec_knows_its_months_quarters_and_baseline(code, history, months, quarters, last, baseline, previous):
    spec = PeriodSpec.from_code(code, history_months=history)

    assert (spec.months, spec.quarters, spec.last_quarter, spec.baseline_quarter, spec.previous_months) == (
        months,
        quarters,
        last,
        baseline,
        previous,
    )


SALES = ("sales_actual", "sales_target")
UNIT_RATIO_METRICS = ("customers_retained", "customers_start", "new_customer_target", "new_customers", *SALES)


@pytest.mark.parametrize(
    ("code", "sub_periods", "point_quarters", "band_months"),
    [
        # a month: its own figures and the bands of the two months before it (flex time's window of 3)
        ("2026-03", ("2026-03",), (), ("2026-02", "2026-01")),
        # a quarter: its months and itself; M5 compares it with the quarter before
        ("2026-Q1", ("2026-01", "2026-02", "2026-03", "2026-Q1"), ("2026-Q1", "2025-Q4"), ()),
        # a year: twelve months and four quarters; M5 compares its last quarter with last year's
        (
            "2026",
            (*(f"2026-{m:02d}" for m in range(1, 13)), "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"),
            ("2026-Q4", "2025-Q4"),
            (),
        ),
    ],
)
def test_inputs_plan_of_the_default_policy(code, sub_periods, point_quarters, band_months):
    policy = default_policy()

    plan = InputsPlan.of(policy, policy.period_spec(code))

    assert (plan.sub_periods, plan.point_quarters, plan.band_months) == (sub_periods, point_quarters, band_months)
    assert plan.period_codes == sub_periods + point_quarters + band_months
    # commission is a monthly reward: a month's totals are its month-by-month values, so none are read apart
    assert plan.by_month_metrics == ()
    assert plan.point_metrics == ("market_share",)
    assert plan.unit_metrics == UNIT_RATIO_METRICS
    assert (plan.unit_month_metrics, plan.roles_comparing_team_targets) == (SALES, {"manager"})


def test_inputs_plan_reads_month_by_month_sales_only_for_a_commission_over_several_months():
    quarterly = replace(default_rule("commission"), period_kinds=frozenset({"month", "quarter"}))
    policy = PolicyRules(kpis=DEFAULT_KPIS, bands=DEFAULT_BANDS, reward_rules=(quarterly,))

    assert InputsPlan.of(policy, policy.period_spec("2026-Q1")).by_month_metrics == SALES
    assert InputsPlan.of(policy, policy.period_spec("2026-03")).by_month_metrics == ()
    assert InputsPlan.of(policy, policy.period_spec("2026")).by_month_metrics == ()
