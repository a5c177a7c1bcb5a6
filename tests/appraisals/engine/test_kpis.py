"""The KPI maths of POLICY.md §5 (``appraisals.engine.kpis``), one table of cases per formula.

Every expected figure is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal as D

import pytest

from appraisals.engine.inputs import MetricAgg, TargetHits, UnitAggregate
from appraisals.engine.kpis import score_employee, team_target_hits
from appraisals.engine.org import score_period
from appraisals.engine.policy import Formula
from appraisals.engine.results import Missing, MissingReason
from tests.appraisals.engine.builders import MARCH, Q1, YEAR, employee, kpi, one_kpi_policy, only_kpi, score_alone
from tests.appraisals.engine.defaults import default_policy

# --------------------------------------------------------------------------- formulas

RATIO = kpi("K", Formula.OWN_RATIO, "sales_actual", "sales_target", "1.0")


@pytest.mark.parametrize(
    ("values", "value", "score"),
    [
        # 354000.00 ÷ 300000.00 = 1.18 → 1.18 ÷ 1.0 × 100 = 118.00
        ({"sales_actual": ["120000.00", "114000.00", "120000.00"], "sales_target": ["100000"] * 3}, "1.18", "118.00"),
        # (95000 + 0) ÷ (100000 + 100000) = 0.475 → 47.50: a month with no actual adds nothing
        ({"sales_actual": ["95000"], "sales_target": ["100000", "100000"]}, "0.475", "47.50"),
        # a recorded 0 is a value: 0 ÷ 100000 = 0 → 0.00
        ({"sales_actual": ["0"], "sales_target": ["100000"]}, "0", "0.00"),
        # no sales_actual recorded → missing
        ({"sales_target": ["100000"]}, None, None),
        # Σ target 0 → missing (no division by zero)
        ({"sales_actual": ["5000"], "sales_target": ["0"]}, None, None),
        # no target at all → missing
        ({"sales_actual": ["5000"]}, None, None),
    ],
)
def test_own_ratio_divides_the_employees_sums(values, value, score):
    result = only_kpi(
        score_alone(
            one_kpi_policy(RATIO, kpi("X", Formula.OWN_MEAN, "csat", None, "4")),
            Q1,
            employee(values={**values, "csat": ["4"]}),
        ),
        "K",
    )

    assert (result.value, result.score) == (
        None if value is None else D(value),
        None if score is None else D(score),
    )
    assert result.missing is (score is None)


@pytest.mark.parametrize(
    ("csat", "value", "score"),
    [
        # (3.5 + 5 + 4) ÷ 3 = 4.1666… → ÷ 4 × 100 = 104.166… → 104.17
        (["3.5", "5", "4"], "4.16666667", "104.17"),
        # 4.5 ÷ 4 × 100 = 112.50
        (["4.5"], "4.5", "112.50"),
        # 1 ÷ 4 × 100 = 25.00
        (["1", "1"], "1", "25.00"),
        # nothing recorded → missing
        ([], None, None),
    ],
)
def test_own_mean_averages_the_recorded_values(csat, value, score):
    mean = kpi("R2", Formula.OWN_MEAN, "csat", None, "4", cadence="monthly")
    policy = one_kpi_policy(mean, RATIO)
    person = employee(values={"csat": csat, "sales_actual": ["1"], "sales_target": ["1"]})

    result = only_kpi(score_alone(policy, Q1, person), "R2")

    assert (result.value, result.score) == (
        None if value is None else D(value),
        None if score is None else D(score),
    )


def test_unit_ratio_sums_the_whole_unit_including_own_figures():
    unit_kpi = kpi("S1", Formula.UNIT_RATIO, "sales_actual", "sales_target", "1.0", role="supervisor")
    rep_kpi = kpi("R1", Formula.OWN_RATIO, "sales_actual", "sales_target", "1.0")
    policy = one_kpi_policy(unit_kpi, rep_kpi)
    org = [
        employee(1, "supervisor", values={"sales_actual": ["10000"], "sales_target": ["0"]}),
        employee(2, "rep", 1, values={"sales_actual": ["150000"], "sales_target": ["100000"]}),
        employee(3, "rep", 1, values={"sales_actual": ["95000"], "sales_target": ["100000"]}),
    ]

    result = score_period(policy=policy, period=Q1, employees=org)

    # (10000 + 150000 + 95000) ÷ (0 + 100000 + 100000) = 255000 ÷ 200000 = 1.275 → 127.50
    s1 = only_kpi(result.scorecards[1], "S1")
    assert (s1.value, s1.score) == (D("1.275"), D("127.50"))
    assert s1.inputs["sales_actual"] == "255000"
    assert s1.inputs["sales_target"] == "200000"


@pytest.mark.parametrize(
    ("own", "reports", "score"),
    [
        # only a rep two levels down recorded new customers: 3 ÷ (2 + 2) = 0.75 → 75.00
        ({"new_customer_target": ["2"]}, [{"new_customers": ["3"], "new_customer_target": ["2"]}], "75.00"),
        # nobody in the unit recorded new_customers → missing, although targets exist
        ({"new_customer_target": ["2"]}, [{"new_customer_target": ["2"]}], None),
        # customers recorded but every target 0 → missing
        ({"new_customer_target": ["0"]}, [{"new_customers": ["3"], "new_customer_target": ["0"]}], None),
    ],
)
def test_unit_ratio_missing_only_when_the_unit_has_no_numerator_or_a_zero_denominator(own, reports, score):
    m3a = kpi("M3a", Formula.UNIT_RATIO, "new_customers", "new_customer_target", "1.0", role="manager")
    filler = kpi("M4", Formula.OWN_MEAN, "collaboration", None, "4", role="manager")
    policy = one_kpi_policy(m3a, filler)
    org = [
        employee(1, "manager", values={**own, "collaboration": ["4"]}),
        employee(2, "supervisor", 1),
        *[employee(10 + i, "rep", 2, values=values) for i, values in enumerate(reports)],
    ]

    result = score_period(policy=policy, period=Q1, employees=org)

    assert only_kpi(result.scorecards[1], "M3a").score == (None if score is None else D(score))


@pytest.mark.parametrize(
    ("composites", "value", "score"),
    [
        # (112.45 + 93.70) ÷ 2 = 103.075 → ÷ 100 × 100 = 103.075 → 103.08 (half up)
        (["112.45", "93.70"], "103.075", "103.08"),
        # (120.00 + 60.00 + 90.00) ÷ 3 = 90.00
        (["120.00", "60.00", "90.00"], "90", "90.00"),
        # 200.00 ÷ 1 = 200 → clamped to 150.00
        (["200.00"], "200", "150.00"),
        # no team member with a scorecard → missing
        ([], None, None),
    ],
)
def test_team_mean_composite_averages_the_team_composites(composites, value, score):
    s4 = kpi("S4", Formula.TEAM_MEAN_COMPOSITE, None, None, "100", role="supervisor")
    filler = kpi("S2", Formula.OWN_MEAN, "collaboration", None, "4", role="supervisor")
    person = employee(1, "supervisor", values={"collaboration": ["4"]})

    result = only_kpi(
        score_alone(one_kpi_policy(s4, filler), Q1, person, team_composites=[D(c) for c in composites]), "S4"
    )

    assert (result.value, result.score) == (
        None if value is None else D(value),
        None if score is None else D(score),
    )


def unit(has_team: bool, actual: Mapping[str, str], target: Mapping[str, str]) -> UnitAggregate:
    by_month = {
        "sales_actual": {m: D(v) for m, v in actual.items()},
        "sales_target": {m: D(v) for m, v in target.items()},
    }
    return UnitAggregate(totals={}, by_month=by_month, has_team=has_team)


def test_team_target_hits_counts_pairs_of_subteams_and_months_with_a_target():
    team = [
        # January hit (equal counts), February missed, March has target 0 → no pair
        unit(
            True,
            {"2026-01": "100", "2026-02": "90", "2026-03": "50"},
            {"2026-01": "100", "2026-02": "100", "2026-03": "0"},
        ),
        # a rep directly under the manager: no team of its own → never a pair
        unit(False, {"2026-01": "500"}, {"2026-01": "100"}),
        # January target, no actual → pair, missed
        unit(True, {}, {"2026-01": "100"}),
    ]

    hits = team_target_hits(policy=default_policy(), period=Q1, role="manager", team_units=team)

    # pairs: (1st, Jan), (1st, Feb), (3rd, Jan) = 3; hits: (1st, Jan) = 1
    assert hits == {"M2": TargetHits(pairs=3, hits=1)}


@pytest.mark.parametrize(
    ("tally", "value", "score"),
    [
        # 1 ÷ 3 = 0.333… ÷ 0.8 × 100 = 41.666… → 41.67
        (TargetHits(3, 1), "0.33333333", "41.67"),
        # 2 ÷ 2 = 1 ÷ 0.8 × 100 = 125.00
        (TargetHits(2, 2), "1", "125.00"),
        # 11 ÷ 24 = 0.458333… ÷ 0.8 × 100 = 57.291666… → 57.29
        (TargetHits(24, 11), "0.45833333", "57.29"),
        # 0 ÷ 2 = 0 → 0.00
        (TargetHits(2, 0), "0", "0.00"),
        # no pair at all → missing
        (TargetHits(0, 0), None, None),
    ],
)
def test_team_target_hit_share_is_hits_over_pairs(tally, value, score):
    policy = default_policy()
    manager = employee(1, "manager", values={"collaboration": ["4"]})

    result = only_kpi(score_alone(policy, Q1, manager, team_hits={"M2": tally}), "M2")

    assert (result.value, result.score) == (
        None if value is None else D(value),
        None if score is None else D(score),
    )


@pytest.mark.parametrize(
    ("period", "at", "value", "score"),
    [
        # year: 2026-Q4 20.5 − 2025-Q4 18.0 = 2.5 pp ÷ 1.0 × 100 = 250 → clamped to 150.00
        (YEAR, {"2026-Q4": "20.5", "2025-Q4": "18.0"}, "2.5", "150.00"),
        # quarter: 2026-Q1 18.6 − 2025-Q4 18.0 = 0.6 → 60.00 (the baseline is last year's Q4)
        (Q1, {"2026-Q1": "18.6", "2025-Q4": "18.0"}, "0.6", "60.00"),
        # a fall: 17.0 − 18.0 = −1.0 → −100 → clamped to 0.00
        (Q1, {"2026-Q1": "17.0", "2025-Q4": "18.0"}, "-1", "0.00"),
        # no baseline (2025-Q4) → missing
        (YEAR, {"2026-Q4": "20.5", "2026-Q3": "19.0"}, None, None),
        # no value at the period's last quarter → missing
        (YEAR, {"2025-Q4": "18.0", "2026-Q3": "19.0"}, None, None),
    ],
)
def test_own_delta_is_the_change_since_the_baseline_quarter(period, at, value, score):
    manager = employee(
        1, "manager", values={"collaboration": ["4"]}, at={("market_share", quarter): v for quarter, v in at.items()}
    )

    result = only_kpi(score_alone(default_policy(), period, manager), "M5")

    assert (result.value, result.score) == (
        None if value is None else D(value),
        None if score is None else D(score),
    )


def test_a_kpi_target_of_zero_makes_the_kpi_missing():
    zero_target = kpi("K", Formula.OWN_MEAN, "csat", None, "0")
    other = kpi("L", Formula.OWN_MEAN, "collaboration", None, "4")

    scorecard = score_alone(
        one_kpi_policy(zero_target, other), Q1, employee(values={"csat": ["4"], "collaboration": ["5"]})
    )

    # K missing; composite = L alone = 5 ÷ 4 × 100 = 125.00
    assert scorecard is not None
    assert (scorecard.missing_kpis, scorecard.composite) == (("K",), D("125.00"))


@pytest.mark.parametrize(
    ("role", "period", "person", "code", "missing"),
    [
        # no sales_actual recorded → R1 missing, named by its numerator metric
        (
            "rep",
            MARCH,
            employee(values={"sales_target": ["100"], "csat": ["4"]}),
            "R1",
            Missing(MissingReason.NO_VALUES, metric="sales_actual"),
        ),
        # target total 0 → R1 missing, named by its denominator metric
        (
            "rep",
            MARCH,
            employee(values={"sales_actual": ["5"], "sales_target": ["0"], "csat": ["4"]}),
            "R1",
            Missing(MissingReason.ZERO_TOTAL, metric="sales_target"),
        ),
        # no csat at all → R2 missing
        (
            "rep",
            MARCH,
            employee(values={"sales_actual": ["5"], "sales_target": ["5"]}),
            "R2",
            Missing(MissingReason.NO_VALUES, metric="csat"),
        ),
        # no team → S4 missing
        (
            "supervisor",
            MARCH,
            employee(1, "supervisor", values={"sales_actual": ["5"], "sales_target": ["5"]}),
            "S4",
            Missing(MissingReason.NO_TEAM_SCORECARDS),
        ),
        # no baseline market share → M5 missing, naming the quarter it lacks
        (
            "manager",
            Q1,
            employee(1, "manager", values={"collaboration": ["4"]}, at={("market_share", "2026-Q1"): "9"}),
            "M5",
            Missing(MissingReason.NO_POINT, metric="market_share", quarter="2025-Q4"),
        ),
    ],
)
def test_a_missing_kpi_carries_a_reason_code_and_its_parameters(role, period, person, code, missing):
    result = only_kpi(score_alone(default_policy(), period, person), code)

    assert (result.score, result.missing_reason) == (None, missing)
    # kept beside the raw figures as codes, never as a sentence
    assert {key: value for key, value in result.inputs.items() if key.startswith("reason")} == missing.as_inputs()


def test_no_subteam_with_a_target_makes_m2_missing_with_its_code():
    result = only_kpi(
        score_employee(
            policy=default_policy(),
            period=MARCH,
            employee=employee(1, "manager", values={"sales_actual": ["5"], "sales_target": ["5"]}),
            # M1 scores on the unit's sales, so the scorecard exists
            unit=UnitAggregate(
                totals={"sales_actual": MetricAgg(D("5"), 1), "sales_target": MetricAgg(D("5"), 1)},
                by_month={},
                has_team=True,
            ),
            team_hits={"M2": TargetHits(0, 0)},
        ),
        "M2",
    )

    assert result.missing_reason == Missing(MissingReason.NO_SUBTEAM_TARGETS)
    assert result.inputs["reason"] == "no_subteam_targets"


# --------------------------------------------------------------------------- clamp and rounding


@pytest.mark.parametrize(
    ("actual", "target", "score_max", "score"),
    [
        # 160000 ÷ 100000 = 1.6 → 160 → clamped to 150.00
        ("160000", "100000", "150", "150.00"),
        # exactly 1.5 → 150.00
        ("150000", "100000", "150", "150.00"),
        # the cap is policy data: with 200, 160 stays 160.00
        ("160000", "100000", "200", "160.00"),
        # 100005 ÷ 100000 = 1.00005 → 100.005 → 100.01 (half up, not half even)
        ("100005", "100000", "150", "100.01"),
        # 100004.9 ÷ 100000 → 100.0049 → 100.00
        ("100004.9", "100000", "150", "100.00"),
        # 2 ÷ 3 = 0.666… → 66.666… → 66.67
        ("2", "3", "150", "66.67"),
    ],
)
def test_score_is_clamped_then_rounded_half_up(actual, target, score_max, score):
    policy = one_kpi_policy(RATIO, score_max=score_max)

    scorecard = score_alone(policy, Q1, employee(values={"sales_actual": [actual], "sales_target": [target]}))

    assert only_kpi(scorecard, "K").score == D(score)


@pytest.mark.parametrize(
    ("csat", "composite"),
    [
        # K1 = 100005 ÷ 100000 → 100.005 → 100.01; K2 = 4.00004 ÷ 4 → 100.001 → 100.00
        # composite from rounded scores: (100.01 + 100.00) ÷ 2 = 100.005 → 100.01 (half up);
        # from unrounded scores it would be 100.003 → 100.00
        ("4.00004", "100.01"),
        # K2 = 4.0004 ÷ 4 = 100.01 → (100.01 + 100.01) ÷ 2 = 100.01
        ("4.0004", "100.01"),
        # K2 = 3.9996 ÷ 4 = 99.99 → (100.01 + 99.99) ÷ 2 = 100.00
        ("3.9996", "100.00"),
    ],
)
def test_composite_is_from_rounded_scores_and_rounded_half_up(csat, composite):
    policy = one_kpi_policy(
        kpi("K1", Formula.OWN_RATIO, "sales_actual", "sales_target", "1.0"),
        kpi("K2", Formula.OWN_MEAN, "csat", None, "4"),
    )
    person = employee(values={"sales_actual": ["100005"], "sales_target": ["100000"], "csat": [csat]})

    assert score_alone(policy, Q1, person).composite == D(composite)


# --------------------------------------------------------------------------- missing KPIs


@pytest.mark.parametrize(
    ("period", "values", "composite", "missing"),
    [
        # month: R1 missing (no actual), R2 = 5 ÷ 4 = 125.00 alone → 125.00; R3/R4 never listed
        (MARCH, {"sales_target": ["100000"], "csat": ["5"]}, "125.00", ("R1",)),
        # quarter: R1 = 95.00 (w 50), R3 = 100.00 (w 15), R2 and R4 missing
        # (50 × 95 + 15 × 100) ÷ 65 = 6250 ÷ 65 = 96.1538… → 96.15
        (Q1, {"sales_actual": ["95000"], "sales_target": ["100000"], "collaboration": ["4"]}, "96.15", ("R2", "R4")),
        # quarter, all four: (50 × 100 + 20 × 100 + 15 × 125 + 15 × 75) ÷ 100 = 10000 ÷ 100 = 100.00
        (
            Q1,
            {
                "sales_actual": ["1"],
                "sales_target": ["1"],
                "csat": ["4"],
                "collaboration": ["5"],
                "skill_growth": ["3"],
            },
            "100.00",
            (),
        ),
    ],
)
def test_missing_kpis_are_left_out_and_weights_renormalised(period, values, composite, missing):
    scorecard = score_alone(default_policy(), period, employee(values=values))

    assert scorecard is not None
    assert (scorecard.composite, scorecard.missing_kpis) == (D(composite), missing)


def test_a_month_scorecard_holds_only_monthly_kpis():
    scorecard = score_alone(default_policy(), MARCH, employee(values={"csat": ["4"], "collaboration": ["5"]}))

    assert [r.code for r in scorecard.kpis] == ["R1", "R2"]


def test_no_kpi_at_all_means_no_scorecard_and_no_data():
    policy = default_policy()
    org = [employee(1, "rep", values={"collaboration": ["4"]}), employee(2, "rep", values={"csat": ["4"]})]

    # collaboration is quarterly: a month scorecard of employee 1 has nothing to score
    result = score_period(policy=policy, period=MARCH, employees=org)

    assert (set(result.scorecards), result.no_data) == ({2}, [1])


@pytest.mark.parametrize(
    ("csat", "band"),
    [
        # 4.4 ÷ 4 × 100 = 110.00 → A
        ("4.4", "A"),
        # 4.3996 ÷ 4 × 100 = 109.99 → B
        ("4.3996", "B"),
        # 3.8 ÷ 4 = 95.00 → B; 3.2 → 80.00 → C; 2.4 → 60.00 → D; 2.3996 → 59.99 → E
        ("3.8", "B"),
        ("3.2", "C"),
        ("2.4", "D"),
        ("2.3996", "E"),
    ],
)
def test_scorecard_band_comes_from_its_composite(csat, band):
    scorecard = score_alone(default_policy(), MARCH, employee(values={"csat": [csat]}))

    assert scorecard.band == band
