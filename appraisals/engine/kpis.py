"""The KPI maths of POLICY.md §5: sums over a unit, M2's tally of team targets hit, each KPI's value
and score, and one employee's scorecard (composite, band, development KPIs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

from appraisals.engine.base import (
    ENGINE_CONTEXT,
    HUNDRED,
    MONTHLY,
    VALUE_QUANTUM,
    ZERO,
    count_text,
    decimal_text,
    input_key,
    period_span,
    round_half_up,
)
from appraisals.engine.inputs import (
    NO_VALUES,
    EmployeeInput,
    MetricAgg,
    PeriodSpec,
    TargetHits,
    UnitAggregate,
    monthly_values,
)
from appraisals.engine.policy import Formula, KpiDef, PolicyRules
from appraisals.engine.results import KpiResult, Missing, MissingReason, ScorecardResult
from roles.tree import team_index, tree_levels


def unit_totals(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    employees: Sequence[EmployeeInput],
    levels: Sequence[Sequence[int]] | None = None,
    teams: Mapping[int, list[int]] | None = None,
) -> dict[int, UnitAggregate]:
    """Σ over unit(e) for every employee, bottom-up: totals of the unit-ratio metrics (with
    counts, so "any value recorded in the unit" is known) and month-by-month sums of the
    metrics M2 compares. Pass ``levels``/``teams`` when already computed."""
    if teams is None:
        teams = team_index(employees)
    if levels is None:
        levels = tree_levels(employees, teams)
    by_key = {employee.key: employee for employee in employees}
    metrics = policy.unit_metrics()
    month_metrics = policy.unit_metrics_by_month()
    units: dict[int, UnitAggregate] = {}
    with localcontext(ENGINE_CONTEXT):
        for level in levels:
            for key in level:
                employee = by_key[key]
                team = teams.get(key)
                if not team:
                    units[key] = UnitAggregate(totals=employee.totals, by_month=employee.by_month, has_team=False)
                    continue
                members = [units[member] for member in team]
                totals: dict[str, MetricAgg] = {}
                for metric in metrics:
                    own = employee.totals.get(metric, NO_VALUES)
                    total, count = own.total, own.count
                    for member in members:
                        agg = member.totals.get(metric)
                        if agg is not None:
                            total += agg.total
                            count += agg.count
                    totals[metric] = MetricAgg(total, count)
                by_month: dict[str, dict[str, Decimal]] = {}
                for metric in month_metrics:
                    sums = dict(monthly_values(employee.by_month, employee.totals, metric, period))
                    for member in members:
                        for month, value in monthly_values(member.by_month, member.totals, metric, period).items():
                            sums[month] = sums.get(month, ZERO) + value
                    by_month[metric] = sums
                units[key] = UnitAggregate(totals=totals, by_month=by_month, has_team=True)
    return units


def team_target_hits(
    *, policy: PolicyRules, period: PeriodSpec, role: str, team_units: Iterable[UnitAggregate]
) -> dict[str, TargetHits]:
    """M2's tally for one employee: per TEAM_TARGET_HIT_SHARE KPI of ``role``, the (d, month)
    pairs with d in the team having a team of its own and Σ unit(d) target > 0, and the hits
    (Σ unit(d) actual ≥ Σ unit(d) target)."""
    kpis = [kpi for kpi in policy.kpis_for(role, period.kind) if kpi.formula == Formula.TEAM_TARGET_HIT_SHARE]
    if not kpis:
        return {}
    subteams = [unit for unit in team_units if unit.has_team]
    result: dict[str, TargetHits] = {}
    for kpi in kpis:
        pairs = hits = 0
        for unit in subteams:
            actuals = monthly_values(unit.by_month, unit.totals, kpi.numerator_metric, period)
            targets = monthly_values(unit.by_month, unit.totals, kpi.denominator_metric, period)
            for month in period.months:
                target = targets.get(month, ZERO)
                if target > 0:
                    pairs += 1
                    if actuals.get(month, ZERO) >= target:
                        hits += 1
        result[kpi.code] = TargetHits(pairs, hits)
    return result


def score_employee(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    employee: EmployeeInput,
    unit: UnitAggregate,
    team_composites: Sequence[Decimal] = (),
    team_hits: Mapping[str, TargetHits] | None = None,
) -> ScorecardResult | None:
    """One employee's scorecard, or ``None`` ("no data") when no KPI can be computed.

    ``team_composites``: composites of team(e)'s scorecards for this period (members with no
    data left out). ``team_hits``: ``team_target_hits(...)`` for this employee."""
    with localcontext(ENGINE_CONTEXT):
        return _score_employee(policy, period, employee, unit, team_composites, team_hits or {})


def _score_employee(
    policy: PolicyRules,
    period: PeriodSpec,
    employee: EmployeeInput,
    unit: UnitAggregate,
    team_composites: Sequence[Decimal],
    team_hits: Mapping[str, TargetHits],
) -> ScorecardResult | None:
    kpis = policy.kpis_for(employee.role, period.kind)
    figures = _Figures(period, employee, unit, team_composites, team_hits)
    results = []
    weighted = weights = ZERO
    for kpi in kpis:
        result = _score_kpi(policy, kpi, figures)
        results.append(result)
        if result.score is not None:
            weighted += kpi.weight * result.score
            weights += kpi.weight
    if weights == 0:
        # No KPI present (or only zero-weight ones): nothing to build a composite from.
        return None
    composite = round_half_up(weighted / weights)
    threshold = policy.development_threshold(employee.role, period.kind)
    development = ()
    if threshold is not None:
        development = tuple(r.code for r in results if r.score is not None and r.score < threshold)
    return ScorecardResult(
        key=employee.key,
        role=employee.role,
        composite=composite,
        band=policy.band_for(composite),
        kpis=tuple(results),
        missing_kpis=tuple(r.code for r in results if r.score is None),
        development_kpis=development,
    )


class _Figures(NamedTuple):
    """Everything a KPI of one employee may read (``score_employee``'s arguments)."""

    period: PeriodSpec
    employee: EmployeeInput
    unit: UnitAggregate
    team_composites: Sequence[Decimal]
    team_hits: Mapping[str, TargetHits]


class _Measure(NamedTuple):
    """What one KPI formula reads: the raw inputs kept beside the score, and numerator ÷ denominator
    (both None, with the reason, when the KPI is missing)."""

    inputs: dict[str, str]
    numerator: Decimal | None
    denominator: Decimal | None
    missing: Missing | None = None


def _score_kpi(policy: PolicyRules, kpi: KpiDef, figures: _Figures) -> KpiResult:
    """value = numerator ÷ denominator; score = numerator × 100 ÷ (denominator × target),
    clamped and rounded. A missing KPI has value and score None and a ``reason``."""
    inputs, numerator, denominator, missing = _MEASURES[kpi.formula](kpi, figures)
    if kpi.formula != Formula.OWN_DELTA:  # a delta is read at two quarters, not over the period
        period = figures.period
        span = period_span(period.months if kpi.cadence == MONTHLY else period.quarters)
        if span:
            inputs["months" if kpi.cadence == MONTHLY else "quarters"] = span
    if numerator is not None and kpi.target <= 0:
        numerator, missing = None, Missing(MissingReason.TARGET_NOT_POSITIVE)
    if missing is not None:
        inputs.update(missing.as_inputs())
        return KpiResult(kpi.code, kpi.weight, kpi.target, None, None, inputs, missing)
    raw_score = numerator * HUNDRED / (denominator * kpi.target)
    score = round_half_up(min(max(raw_score, policy.score_min), policy.score_max))
    value = (numerator / denominator).quantize(VALUE_QUANTUM, rounding=ROUND_HALF_UP)
    return KpiResult(kpi.code, kpi.weight, kpi.target, value, score, inputs)


# One function per formula of POLICY.md §5.


def _ratio(kpi: KpiDef, totals: Mapping[str, MetricAgg]) -> _Measure:
    top = totals.get(kpi.numerator_metric, NO_VALUES)
    bottom = totals.get(kpi.denominator_metric, NO_VALUES)
    inputs = {kpi.numerator_metric: decimal_text(top.total), kpi.denominator_metric: decimal_text(bottom.total)}
    if top.count == 0:
        return _Measure(inputs, None, None, Missing(MissingReason.NO_VALUES, metric=kpi.numerator_metric))
    if bottom.total == 0:
        return _Measure(inputs, None, None, Missing(MissingReason.ZERO_TOTAL, metric=kpi.denominator_metric))
    return _Measure(inputs, top.total, bottom.total)


def _own_ratio(kpi: KpiDef, figures: _Figures) -> _Measure:
    """Own Σ numerator ÷ own Σ denominator (R1)."""
    return _ratio(kpi, figures.employee.totals)


def _unit_ratio(kpi: KpiDef, figures: _Figures) -> _Measure:
    """Σ numerator ÷ Σ denominator over unit(e), the employee's own figures included (S1, M1, M3)."""
    measure = _ratio(kpi, figures.unit.totals)
    measure.inputs["scope"] = "unit"
    return measure


def _own_mean(kpi: KpiDef, figures: _Figures) -> _Measure:
    """The mean of the employee's recorded values (R2, R3 …)."""
    agg = figures.employee.totals.get(kpi.numerator_metric, NO_VALUES)
    inputs = {
        input_key(kpi.numerator_metric, "_total"): decimal_text(agg.total),
        input_key(kpi.numerator_metric, "_count"): count_text(agg.count),
    }
    if agg.count == 0:
        return _Measure(inputs, None, None, Missing(MissingReason.NO_VALUES, metric=kpi.numerator_metric))
    return _Measure(inputs, agg.total, Decimal(agg.count))


def _team_mean_composite(kpi: KpiDef, figures: _Figures) -> _Measure:
    """The mean composite of team(e)'s scorecards (S4)."""
    composites = figures.team_composites
    total = sum(composites, ZERO)
    inputs = {"team_scorecards": count_text(len(composites)), "composites_total": decimal_text(total)}
    if not composites:
        return _Measure(inputs, None, None, Missing(MissingReason.NO_TEAM_SCORECARDS))
    return _Measure(inputs, total, Decimal(len(composites)))


def _team_target_hit_share(kpi: KpiDef, figures: _Figures) -> _Measure:
    """Hits ÷ the (d, month) pairs with a target, as ``team_target_hits`` tallied them (M2)."""
    tally = figures.team_hits.get(kpi.code, TargetHits(0, 0))
    inputs = {"pairs": count_text(tally.pairs), "hits": count_text(tally.hits)}
    if tally.pairs == 0:
        return _Measure(inputs, None, None, Missing(MissingReason.NO_SUBTEAM_TARGETS))
    return _Measure(inputs, Decimal(tally.hits), Decimal(tally.pairs))


def _own_delta(kpi: KpiDef, figures: _Figures) -> _Measure:
    """The value at the period's last quarter minus the value at its baseline quarter (M5)."""
    metric, period, at = kpi.numerator_metric, figures.period, figures.employee.at
    last = at.get((metric, period.last_quarter)) if period.last_quarter else None
    baseline = at.get((metric, period.baseline_quarter)) if period.baseline_quarter else None
    last_key = input_key(metric, "@", period.last_quarter or period.code)
    baseline_key = input_key(metric, "@", period.baseline_quarter or "baseline")
    inputs = {
        last_key: "" if last is None else decimal_text(last),
        baseline_key: "" if baseline is None else decimal_text(baseline),
    }
    if last is None or baseline is None:
        quarter = period.last_quarter if last is None else period.baseline_quarter
        return _Measure(inputs, None, None, Missing(MissingReason.NO_POINT, metric=metric, quarter=quarter or ""))
    return _Measure(inputs, last - baseline, Decimal(1))


_MEASURES = {
    Formula.OWN_RATIO: _own_ratio,
    Formula.UNIT_RATIO: _unit_ratio,
    Formula.OWN_MEAN: _own_mean,
    Formula.TEAM_MEAN_COMPOSITE: _team_mean_composite,
    Formula.TEAM_TARGET_HIT_SHARE: _team_target_hit_share,
    Formula.OWN_DELTA: _own_delta,
}
