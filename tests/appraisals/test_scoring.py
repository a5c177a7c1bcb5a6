"""The scoring engine against POLICY.md §5 and §6, one table of cases per rule.

Every expected figure is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal as D

import pytest

from appraisals.engine.inputs import EmployeeInput, MetricAgg, PeriodSpec, TargetHits, UnitAggregate
from appraisals.engine.kpis import score_employee, team_target_hits, unit_totals
from appraisals.engine.org import score_period
from appraisals.engine.policy import BandDef, Formula, KpiDef, PolicyRules
from appraisals.engine.results import KpiResult, Missing, MissingReason, ScorecardResult
from appraisals.engine.rewards import commission_amount, rewards_for
from tests.appraisals.engine_policy import DEFAULT_BANDS, default_policy, default_rule

MARCH = PeriodSpec.from_code("2026-03", history_months=2)
Q1 = PeriodSpec.from_code("2026-Q1")
YEAR = PeriodSpec.from_code("2026")


def employee(
    key: int = 1,
    role: str = "rep",
    reports_to: int | None = None,
    *,
    values: Mapping[str, list[str]] | None = None,
    monthly: Mapping[str, Mapping[str, str]] | None = None,
    at: Mapping[tuple[str, str], str] | None = None,
    previous_bands: Mapping[str, str] | None = None,
    quarterly_bonus_base: str | None = None,
    annual_bonus_base: str | None = None,
) -> EmployeeInput:
    """An engine input. ``values``: metric -> recorded values in the period (totals only);
    ``monthly``: metric -> {month: value}, filling both totals and by_month."""
    totals = {metric: MetricAgg(sum((D(v) for v in vs), D(0)), len(vs)) for metric, vs in (values or {}).items()}
    by_month = {}
    for metric, months in (monthly or {}).items():
        totals[metric] = MetricAgg(sum((D(v) for v in months.values()), D(0)), len(months))
        by_month[metric] = {month: D(v) for month, v in months.items()}
    return EmployeeInput(
        key=key,
        role=role,
        reports_to=reports_to,
        totals=totals,
        by_month=by_month,
        at={k: D(v) for k, v in (at or {}).items()},
        previous_bands=dict(previous_bands or {}),
        quarterly_bonus_base=D(quarterly_bonus_base) if quarterly_bonus_base else None,
        annual_bonus_base=D(annual_bonus_base) if annual_bonus_base else None,
    )


def one_kpi_policy(*kpis: KpiDef, score_max: str = "150") -> PolicyRules:
    return PolicyRules(kpis=kpis, bands=DEFAULT_BANDS, reward_rules=(), score_max=D(score_max))


def kpi(code: str, formula: Formula, numerator: str | None, denominator: str | None, target: str, **kw) -> KpiDef:
    return KpiDef(
        code=code,
        role=kw.get("role", "rep"),
        formula=formula,
        numerator_metric=numerator,
        denominator_metric=denominator,
        target=D(target),
        weight=D(kw.get("weight", "1")),
        cadence=kw.get("cadence", "quarterly"),
    )


def score_alone(policy: PolicyRules, period: PeriodSpec, person: EmployeeInput, **team) -> ScorecardResult | None:
    """Score one employee with no reports (its unit is itself)."""
    unit = unit_totals(policy=policy, period=period, employees=[person])[person.key]
    return score_employee(policy=policy, period=period, employee=person, unit=unit, **team)


def only_kpi(scorecard: ScorecardResult | None, code: str) -> KpiResult:
    assert scorecard is not None
    result = scorecard.kpi(code)
    assert result is not None
    return result


def by_code(scorecard: ScorecardResult) -> dict[str, str | None]:
    return {r.code: None if r.score is None else str(r.score) for r in scorecard.kpis}


# --------------------------------------------------------------------------- periods


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


def test_default_policy_needs_sales_by_month_and_two_months_of_band_history():
    policy = default_policy()

    assert policy.metrics_needed_by_month() == {"sales_actual", "sales_target"}
    assert policy.flex_history_months() == 2


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


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("composite", "band"),
    [
        ("150.00", "A"),
        ("110.00", "A"),
        ("109.99", "B"),
        ("95.00", "B"),
        ("94.99", "C"),
        ("80.00", "C"),
        ("79.99", "D"),
        ("60.00", "D"),
        ("59.99", "E"),
        ("0.00", "E"),
    ],
)
def test_a_band_starts_at_its_minimum(composite, band):
    assert default_policy().band_for(D(composite)) == band


def test_a_composite_below_every_band_minimum_gets_the_lowest_band():
    policy = PolicyRules(kpis=(), bands=(BandDef("A", D("110")), BandDef("B", D("50"))), reward_rules=())

    assert (policy.band_for(D("49.99")), policy.band_for(D("50.00"))) == ("B", "B")


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


# --------------------------------------------------------------------------- org trees


def four_level_org() -> list[EmployeeInput]:
    """M(1) ─ S(2) ─ T(3) ─ R(4), Q(5);  M ─ U(6) ─ P(7);  M ─ X(8), a rep directly under M."""

    def sales(actual: str, target: str) -> dict[str, list[str]]:
        # totals only, as the selector hands over a month (M2 then reads the month from totals)
        return {"sales_actual": [actual], "sales_target": [target]}

    return [
        employee(1, "manager"),
        employee(2, "supervisor", 1),
        employee(3, "supervisor", 2),
        employee(4, "rep", 3, values=sales("150", "100")),
        employee(5, "rep", 3, values=sales("60", "200")),
        employee(6, "supervisor", 1),
        employee(7, "rep", 6, values=sales("100", "100")),
        employee(8, "rep", 1, values=sales("50", "100")),
    ]


def test_four_level_tree_scores_bottom_up():
    result = score_period(policy=default_policy(), period=MARCH, employees=four_level_org())
    cards = result.scorecards

    # reps: R 150 ÷ 100 → 150.00; Q 60 ÷ 200 → 30.00; P 100 ÷ 100 → 100.00; X 50 ÷ 100 → 50.00
    assert {k: cards[k].composite for k in (4, 5, 7, 8)} == {
        4: D("150.00"),
        5: D("30.00"),
        7: D("100.00"),
        8: D("50.00"),
    }
    # T: S1 = (150 + 60) ÷ (100 + 200) = 0.7 → 70.00; S4 = (150 + 30) ÷ 2 = 90.00
    #    composite (35 × 70 + 30 × 90) ÷ 65 = 5150 ÷ 65 = 79.2307… → 79.23, D
    assert by_code(cards[3]) == {"S1": "70.00", "S4": "90.00"}
    assert (cards[3].composite, cards[3].band) == (D("79.23"), "D")
    # S: S1 = unit(S) = unit(T) → 70.00; S4 = T's 79.23
    #    (35 × 70 + 30 × 79.23) ÷ 65 = 4826.9 ÷ 65 = 74.26
    assert by_code(cards[2]) == {"S1": "70.00", "S4": "79.23"}
    assert cards[2].composite == D("74.26")
    # U: S1 = 100 ÷ 100 → 100.00, S4 = P's 100.00 → 100.00
    assert cards[6].composite == D("100.00")
    # M: M1 = (150 + 60 + 100 + 50) ÷ (100 + 200 + 100 + 100) = 360 ÷ 500 = 0.72 → 72.00 (X counts)
    #    M2: S's unit 210 < 300 missed, U's unit 100 ≥ 100 hit, X has no team → 1 ÷ 2 ÷ 0.8 → 62.50
    #    M3a, M3b: no customer figures → missing
    #    composite (30 × 72 + 15 × 62.5) ÷ 45 = 3097.5 ÷ 45 = 68.833… → 68.83, D
    assert by_code(cards[1]) == {"M1": "72.00", "M2": "62.50", "M3a": None, "M3b": None}
    assert (cards[1].composite, cards[1].band, cards[1].missing_kpis) == (D("68.83"), "D", ("M3a", "M3b"))
    assert result.no_data == []


@pytest.mark.parametrize(
    ("supervisor_feb_sales", "score", "hits"),
    [
        # unit(2): Jan 60 + 40 = 100 ≥ 100 hit; Feb 40 + 50 = 90 < 200 miss; Mar 100 ≥ 100 hit.
        # unit(5): its only target is 0 → no pair.  2 ÷ 3 = 0.666… ÷ 0.8 × 100 = 83.333… → 83.33
        (None, "83.33", "2"),
        # the supervisor's own Feb sales count in unit(2): 90 + 110 = 200 ≥ 200 hit → 3 ÷ 3 ÷ 0.8 → 125.00
        ("110", "125.00", "3"),
        # 90 + 109.99 = 199.99 < 200 → still 2 of 3 → 83.33
        ("109.99", "83.33", "2"),
    ],
)
def test_m2_over_a_quarter_uses_unit_sums_month_by_month(supervisor_feb_sales, score, hits):
    policy = default_policy()
    own = {"sales_actual": {"2026-02": supervisor_feb_sales}} if supervisor_feb_sales else {}
    org = [
        employee(1, "manager", values={"collaboration": ["4"]}),
        employee(2, "supervisor", 1, monthly=own),
        employee(
            3,
            "rep",
            2,
            monthly={
                "sales_actual": {"2026-01": "60", "2026-02": "40", "2026-03": "100"},
                "sales_target": {"2026-01": "100", "2026-02": "100", "2026-03": "100"},
            },
        ),
        employee(
            4,
            "rep",
            2,
            monthly={
                "sales_actual": {"2026-01": "40", "2026-02": "50"},
                "sales_target": {"2026-01": "0", "2026-02": "100"},
            },
        ),
        employee(5, "supervisor", 1),
        employee(6, "rep", 5, monthly={"sales_target": {"2026-01": "0"}}),
    ]

    card = score_period(policy=policy, period=Q1, employees=org).scorecards[1]

    m2 = only_kpi(card, "M2")
    assert (m2.score, m2.inputs["pairs"], m2.inputs["hits"]) == (D(score), "3", hits)


def test_supervisor_without_team_has_s4_missing_and_members_without_data_are_ignored():
    org = [
        # V: a supervisor with no reports; S1 = own 90 ÷ 100 → 90.00, S4 missing
        employee(1, "supervisor", values={"sales_actual": ["90"], "sales_target": ["100"]}),
        # W with Y (110 ÷ 100 → 110.00) and Z (no data at all)
        employee(2, "supervisor"),
        employee(3, "rep", 2, values={"sales_actual": ["110"], "sales_target": ["100"]}),
        employee(4, "rep", 2),
    ]

    result = score_period(policy=default_policy(), period=MARCH, employees=org)

    assert (result.scorecards[1].composite, result.scorecards[1].missing_kpis) == (D("90.00"), ("S4",))
    # W: S1 = 110 ÷ 100 → 110.00; S4 = Y's 110.00 alone → composite 110.00, A
    assert by_code(result.scorecards[2]) == {"S1": "110.00", "S4": "110.00"}
    assert result.scorecards[2].band == "A"
    assert result.no_data == [4]


# --------------------------------------------------------------------------- rewards


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
