"""Engine inputs for the engine's tests, from plain strings: an employee's figures, a one-KPI policy,
a scorecard scored alone, and the periods most cases use."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal as D

from appraisals.engine.inputs import EmployeeInput, MetricAgg, PeriodSpec
from appraisals.engine.kpis import score_employee, unit_totals
from appraisals.engine.policy import Formula, KpiDef, PolicyRules
from appraisals.engine.results import KpiResult, ScorecardResult
from tests.appraisals.engine.defaults import DEFAULT_BANDS

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
