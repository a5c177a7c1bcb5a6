"""The reward rules of POLICY.md §6 (``appraisals.engine.rewards``), one table of cases per rule.

Every expected figure is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from appraisals.engine.inputs import PeriodSpec
from appraisals.engine.org import score_period
from appraisals.engine.results import KpiResult, ScorecardResult
from appraisals.engine.rewards import commission_amount, rewards_for
from tests.appraisals.engine.builders import MARCH, Q1, YEAR, employee, score_alone
from tests.appraisals.engine.defaults import default_policy, default_rule


def rep_card(band: str = "A", **scores: str | None) -> ScorecardResult:
    kpis = tuple(
        KpiResult(code, D("1"), D("1"), None, None if score is None else D(score), {}) for code, score in scores.items()
    )
    return ScorecardResult(1, "rep", D("100.00"), band, kpis, tuple(c for c, s in scores.items() if s is None), ())


def codes(results) -> list[tuple[str, D | None]]:
    return [(r.code, r.amount) for r in results]


@pytest.mark.parametrize(
    ("actual", "target", "amount"),
    [
        # a = t: 2% × 100000 = 2000.00
        ("100000", "100000", "2000.00"),
        # a = 1.5t: 2% × 100000 + 4% × 50000 = 2000 + 2000 = 4000.00
        ("150000", "100000", "4000.00"),
        # a > 1.5t: 2000 + 2000 + 6% × (200000 − 150000) = 2000 + 2000 + 3000 = 7000.00
        ("200000", "100000", "7000.00"),
        # a < t: 2% × 70000 = 1400.00
        ("70000", "100000", "1400.00"),
        # between t and 1.5t: 2% × 100000 + 4% × 20000 = 2000 + 800 = 2800.00
        ("120000", "100000", "2800.00"),
        # t = 0: flat 2% × 50000 = 1000.00
        ("50000", "0", "1000.00"),
        # no target recorded: flat 2% × 50000 = 1000.00
        ("50000", None, "1000.00"),
        # 2% × 12.25 = 0.245 → 0.25 (half up)
        ("12.25", None, "0.25"),
        # 2% × 100000 + 4% × 0.25 = 2000 + 0.01 = 2000.01
        ("100000.25", "100000", "2000.01"),
    ],
)
def test_commission_is_paid_by_tier_of_the_target(actual, target, amount):
    person = employee(
        monthly={"sales_actual": {"2026-03": actual}, **({"sales_target": {"2026-03": target}} if target else {})}
    )

    results = rewards_for(policy=default_policy(), period=MARCH, employee=person, scorecard=rep_card("C"))

    assert codes(results) == [("commission", D(amount))]
    assert commission_amount(default_rule("commission"), D(actual), D(target) if target else None)[0] == D(amount)


@pytest.mark.parametrize(
    "monthly",
    [
        # zero sales → no reward
        {"sales_actual": {"2026-03": "0"}, "sales_target": {"2026-03": "100000"}},
        # no sales recorded → no reward
        {"sales_target": {"2026-03": "100000"}},
        # 2% × 0.20 = 0.004 → 0.00 → a cash reward of 0.00 is not made
        {"sales_actual": {"2026-03": "0.20"}},
    ],
)
def test_no_commission_without_sales(monthly):
    person = employee(monthly=monthly)

    assert rewards_for(policy=default_policy(), period=MARCH, employee=person, scorecard=rep_card("C")) == []


def test_commission_reads_this_months_sales_from_totals_when_by_month_is_not_filled():
    # the selector may leave by_month out for a month close: 2% × 100000 = 2000.00
    person = employee(values={"sales_actual": ["100000"], "sales_target": ["100000"]})

    results = rewards_for(policy=default_policy(), period=MARCH, employee=person, scorecard=rep_card("C"))

    assert codes(results) == [("commission", D("2000.00"))]


@pytest.mark.parametrize(
    ("earlier", "band", "eligible"),
    [
        ({"2025-11": "A", "2025-12": "B"}, "A", True),
        ({"2025-11": "B", "2025-12": "B"}, "B", True),
        ({"2025-11": "C", "2025-12": "A"}, "A", False),
        ({"2025-11": "A", "2025-12": "A"}, "C", False),
        # 2025-11 never closed for this rep → not eligible
        ({"2025-12": "A"}, "A", False),
        ({}, "A", False),
    ],
)
def test_flex_time_looks_back_over_the_year_boundary(earlier, band, eligible):
    january = PeriodSpec.from_code("2026-01", history_months=2)
    person = employee(previous_bands=earlier)

    results = rewards_for(policy=default_policy(), period=january, employee=person, scorecard=rep_card(band))

    assert codes(results) == ([("flex_time", None)] if eligible else [])
    if eligible:
        assert (
            results[0].details["bands"] == f"2025-11:{earlier['2025-11']}, 2025-12:{earlier['2025-12']}, 2026-01:{band}"
        )


@pytest.mark.parametrize(
    ("role", "period", "band", "base_field", "base", "expected"),
    [
        # employee base 8000.00 × B 1.2 = 9600.00
        ("supervisor", Q1, "B", "quarterly_bonus_base", "8000.00", ("quarterly_bonus", "9600.00", "employee")),
        # default 6000.00 × A 1.5 = 9000.00
        ("supervisor", Q1, "A", "quarterly_bonus_base", None, ("quarterly_bonus", "9000.00", "default")),
        # default 6000.00 × D 0.5 = 3000.00
        ("supervisor", Q1, "D", "quarterly_bonus_base", None, ("quarterly_bonus", "3000.00", "default")),
        # 6000 × E 0 = 0.00 → not made
        ("supervisor", Q1, "E", "quarterly_bonus_base", None, None),
        # employee 80000.00 × B 1.5 = 120000.00
        ("manager", YEAR, "B", "annual_bonus_base", "80000.00", ("year_end_bonus", "120000.00", "employee")),
        # default 60000.00 × C 1.0 = 60000.00
        ("manager", YEAR, "C", "annual_bonus_base", None, ("year_end_bonus", "60000.00", "default")),
        # 333.33 × A 2.0 = 666.66
        ("manager", YEAR, "A", "annual_bonus_base", "333.33", ("year_end_bonus", "666.66", "employee")),
        # E → 0 → not made
        ("manager", YEAR, "E", "annual_bonus_base", "80000.00", None),
    ],
)
def test_band_bonus_is_the_base_times_the_band_multiplier(role, period, band, base_field, base, expected):
    person = employee(1, role, **{base_field: base})
    card = ScorecardResult(1, role, D("100.00"), band, (), (), ())

    cash = [
        r
        for r in rewards_for(policy=default_policy(), period=period, employee=person, scorecard=card)
        if r.amount is not None
    ]

    if expected is None:
        assert cash == []
    else:
        code, amount, source = expected
        assert codes(cash) == [(code, D(amount))]
        assert (cash[0].details["band"], cash[0].details["base_source"]) == (band, source)


@pytest.mark.parametrize(
    ("period", "band", "expected"),
    [
        (YEAR, "A", ["promotion_or_raise", "training_or_career_plan"]),
        (YEAR, "B", ["training_or_career_plan"]),
        (YEAR, "C", []),
        (Q1, "A", ["training_or_career_plan"]),
        (Q1, "B", ["training_or_career_plan"]),
        (Q1, "C", []),
        # flags are not made at a month close (flex time needs earlier months, none given here)
        (PeriodSpec.from_code("2026-03"), "A", []),
    ],
)
def test_band_flags_follow_the_band_and_period(period, band, expected):
    results = rewards_for(policy=default_policy(), period=period, employee=employee(), scorecard=rep_card(band))

    assert [r.code for r in results] == expected


def test_development_plan_lists_the_kpis_scored_below_80():
    card = rep_card("C", R1="79.99", R2="80.00", R3="62.50", R4=None)

    results = rewards_for(policy=default_policy(), period=Q1, employee=employee(), scorecard=card)

    assert [r.code for r in results] == ["development_plan"]
    assert (results[0].amount, results[0].details["kpis"]) == (None, "R1;R3")


def test_scorecard_development_kpis_only_where_the_flag_applies():
    person = employee(values={"sales_actual": ["70"], "sales_target": ["100"], "csat": ["4"], "collaboration": ["5"]})

    quarter = score_alone(default_policy(), Q1, person)
    month = score_alone(default_policy(), MARCH, person)

    # R1 = 70 ÷ 100 → 70.00 < 80; R2 = 100.00, R3 = 125.00
    assert quarter.development_kpis == ("R1",)
    assert month.development_kpis == ()


def test_commission_is_paid_without_a_scorecard():
    """Commission depends on sales alone (POLICY.md §6): no KPI to score, still 2% × sales."""
    person = employee(monthly={"sales_actual": {"2026-03": "100000"}})

    rewards = rewards_for(policy=default_policy(), period=MARCH, employee=person, scorecard=None)

    assert [(reward.code, reward.amount) for reward in rewards] == [("commission", D("2000.00"))]
    # sales alone (no target, no csat) give R1 and R2 nothing to score → no scorecard, commission only
    result = score_period(policy=default_policy(), period=MARCH, employees=[person])
    assert (result.no_data, result.scorecards) == ([1], {})
    assert [(reward.code, reward.amount) for reward in result.rewards] == [("commission", D("2000.00"))]


def test_without_sales_and_scorecard_there_is_no_reward():
    person = employee(values={"csat": []})

    assert rewards_for(policy=default_policy(), period=MARCH, employee=person, scorecard=None) == []


def test_rewards_come_in_the_policy_table_order():
    person = employee(1, "rep")
    card = rep_card("A", R1="150.00", R3="50.00")

    results = rewards_for(policy=default_policy(), period=YEAR, employee=person, scorecard=card)

    assert [r.code for r in results] == ["promotion_or_raise", "training_or_career_plan", "development_plan"]
